package deploy

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// harness is a Deployer over a real FileLedger in a temp dir, a fake target
// and a check that fails for the app versions in bad.
type harness struct {
	t        *testing.T
	clock    *fakeClock
	ledger   *trace.FileLedger
	target   *fakeTarget
	deployer *Deployer
	bad      map[string]bool // app versions whose checks fail
	failAt   int             // weight at which a bad version fails (0: any)
	checks   []string        // "app@weight" per check
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, clock: newFakeClock(), bad: map[string]bool{}}
	h.ledger = &trace.FileLedger{Dir: t.TempDir(), Now: h.clock.Now}
	h.target = &fakeTarget{DeployFunc: func(context.Context, Request) error {
		h.clock.Advance(time.Second)
		return nil
	}}
	h.deployer = &Deployer{
		Ledger: h.ledger, Target: h.target, Now: h.clock.Now, Sleep: h.clock.Sleep,
		Check: func(ctx context.Context) (bool, string) {
			last := h.target.requests[len(h.target.requests)-1]
			h.checks = append(h.checks, last.AppVersion+"@"+strconv.Itoa(last.Weight))
			if h.bad[last.AppVersion] && (h.failAt == 0 || h.failAt == last.Weight) {
				return false, "smoke failed for 1 of 1 URL: http://127.0.0.1/healthz: 503 after 7 attempts"
			}
			return true, "smoke: 1 URL healthy"
		},
	}
	return h
}

// seed records past deployments.
func (h *harness) seed(entries ...trace.Entry) {
	h.t.Helper()
	for _, e := range entries {
		status := e.Status
		e.Status = ""
		got, err := h.ledger.Record(context.Background(), e)
		require.NoError(h.t, err)
		require.NoError(h.t, h.ledger.SetStatus(context.Background(), got.ID, status, ""))
		h.clock.Advance(time.Minute)
	}
}

func (h *harness) deployed() []string {
	var out []string
	for _, r := range h.target.requests {
		out = append(out, r.AppVersion+"@"+strconv.Itoa(r.Weight))
	}
	return out
}

func (h *harness) list() []trace.Entry {
	h.t.Helper()
	entries, err := h.ledger.List(context.Background(), "production")
	require.NoError(h.t, err)
	return entries
}

func plan(app string, s Strategy) Plan {
	return Plan{
		Environment: "production", AppVersion: app, InfraVersion: "infraA", PlanSHA256: "9f86d0",
		Actor: "octocat", RunURL: "https://github.com/o/r/actions/runs/7",
		Outputs: map[string]string{"url": "http://127.0.0.1:8080"}, Strategy: s, AutoRollback: true,
	}
}

func TestDeployDirectSuccess(t *testing.T) {
	h := newHarness(t)
	res, err := h.deployer.Deploy(context.Background(), plan("v1", nil))
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Nil(t, res.Rollback)
	assert.Equal(t, []string{"v1@100"}, h.deployed())
	req := h.target.requests[0]
	assert.Equal(t, Request{
		AppVersion: "v1", InfraVersion: "infraA", DeploymentVersion: "app:v1-infra:infraA", Environment: "production",
		Weight: 100, Step: 1, Steps: 1, Outputs: map[string]string{"url": "http://127.0.0.1:8080"}, LockstepID: res.Entry.ID,
	}, req)

	entries := h.list()
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, res.Entry.ID, e.ID)
	assert.Equal(t, trace.StatusSuccess, e.Status)
	assert.Equal(t, "healthy at 100%", e.Description)
	assert.Equal(t, trace.TaskDeploy, e.Task)
	assert.Equal(t, "app:v1-infra:infraA", e.DeploymentVersion)
	assert.Equal(t, "9f86d0", e.PlanSHA256)
	assert.Equal(t, "octocat", e.Actor)
	assert.Equal(t, "https://github.com/o/r/actions/runs/7", e.RunURL)
	assert.Equal(t, e.Status, res.Entry.Status)
	assert.Contains(t, res.Markdown(), "### ✅ Deployed `app:v1-infra:infraA` to production\n")
}

// The headline scenario: a canary of v3 fails at 50%; the app goes
// back to v2, the newest good version on the same infra version, not v9 which
// is newer but ran on other infrastructure.
func TestDeployCanaryFailsAndRollsBack(t *testing.T) {
	h := newHarness(t)
	h.seed(
		ledgerEntry("", "production", "v1", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0),
		ledgerEntry("", "production", "v2", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0),
		ledgerEntry("", "production", "v9", "infraB", trace.StatusSuccess, trace.TaskDeploy, 0),
	)
	h.bad["v3"], h.failAt = true, 50

	res, err := h.deployer.Deploy(context.Background(), plan("v3", Canary{Steps: []int{10, 50, 100}, Bake: time.Minute}))
	require.Error(t, err)
	assert.Equal(t, "deploying app v3 to production: canary step 2 of 3 (50%): checks failed: "+
		"smoke failed for 1 of 1 URL: http://127.0.0.1/healthz: 503 after 7 attempts; rolled back to app v2", err.Error())
	var fe *FailedError
	require.ErrorAs(t, err, &fe)
	assert.False(t, res.OK())

	assert.Equal(t, []string{"v3@10", "v3@50", "v2@100"}, h.deployed(), "stops at the failing step, then redeploys v2 at 100%")
	assert.Equal(t, []string{"v3@10", "v3@50", "v2@100"}, h.checks, "the rollback is checked too")
	assert.Equal(t, repeat(10*time.Second, 12), h.clock.Sleeps(), "a minute's bake after each canary step, in 10s slices; none for the rollback")

	f, _ := res.Outcome.FailedStep()
	assert.Equal(t, 2, f.Step)
	require.NotNil(t, res.Rollback)
	assert.True(t, res.Rollback.OK())
	assert.Equal(t, "v2", res.Rollback.To.AppVersion)
	assert.Equal(t, "v3", res.Rollback.From)

	entries := h.list()
	require.Len(t, entries, 5)
	rb, failed := entries[0], entries[1]
	assert.Equal(t, trace.TaskRollback, rb.Task)
	assert.Equal(t, "v2", rb.AppVersion)
	assert.Equal(t, "infraA", rb.InfraVersion)
	assert.Equal(t, "v3", rb.RolledBackFrom)
	assert.Equal(t, trace.StatusSuccess, rb.Status)
	assert.Equal(t, "rolled back from v3; healthy", rb.Description)
	assert.Equal(t, res.Rollback.Entry.ID, rb.ID)
	assert.Equal(t, rb.ID, h.target.requests[2].LockstepID, "the rollback deploys under its own ledger ID")

	assert.Equal(t, "v3", failed.AppVersion)
	assert.Equal(t, trace.StatusFailure, failed.Status)
	assert.True(t, strings.HasPrefix(failed.Description, "canary step 2 of 3 (50%): checks failed: smoke failed"), failed.Description)
	assert.LessOrEqual(t, len([]rune(failed.Description)), 140, "fits a GitHub status description")

	md := res.Markdown()
	assert.Contains(t, md, "### ❌ Deploying `app:v3-infra:infraA` to production failed\n")
	assert.Contains(t, md, "**Canary 10,50,100 (1m0s bake per step): ❌ stopped at step 2 of 3 (50%).**")
	assert.Contains(t, md, "#### ↩️ Rolled back from `v3` to `app:v2-infra:infraA`\n")
	assert.Contains(t, md, "| 3 | 100% | ⏭️ not run | | |\n")
}

func TestDeployFailsWithNothingToRollBackTo(t *testing.T) {
	h := newHarness(t)
	h.seed(ledgerEntry("", "production", "v1", "infraB", trace.StatusSuccess, trace.TaskDeploy, 0))
	h.bad["v2"] = true

	res, err := h.deployer.Deploy(context.Background(), plan("v2", nil))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoRollbackTarget)
	assert.Equal(t, "deploying app v2 to production: deploying at 100%: checks failed: smoke failed for 1 of 1 URL: "+
		"http://127.0.0.1/healthz: 503 after 7 attempts; no earlier app version succeeded on infra infraA; nothing to roll back to", err.Error())
	assert.Nil(t, res.Rollback)
	assert.Equal(t, []string{"v2@100"}, h.deployed(), "nothing else is deployed")
	assert.Equal(t, trace.StatusFailure, h.list()[0].Status)
	assert.Contains(t, res.Markdown(), "#### ↩️ No rollback\n\nno earlier app version succeeded on infra infraA; nothing to roll back to\n")
}

func TestDeployRollbackNever(t *testing.T) {
	h := newHarness(t)
	h.seed(ledgerEntry("", "production", "v1", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0))
	h.bad["v2"] = true
	p := plan("v2", nil)
	p.AutoRollback = false
	res, err := h.deployer.Deploy(context.Background(), p)
	require.Error(t, err)
	assert.Nil(t, res.Rollback)
	assert.NoError(t, res.RollbackErr)
	assert.Equal(t, []string{"v2@100"}, h.deployed())
}

func TestDeployRollbackAlsoFails(t *testing.T) {
	h := newHarness(t)
	h.seed(ledgerEntry("", "production", "v1", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0))
	h.bad["v2"], h.bad["v1"] = true, true
	res, err := h.deployer.Deploy(context.Background(), plan("v2", nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "; rolling back to app v1 in production: deploying at 100%: checks failed")
	require.NotNil(t, res.Rollback)
	assert.False(t, res.Rollback.OK())
	entries := h.list()
	assert.Equal(t, trace.StatusFailure, entries[0].Status, "the rollback's own entry failed")
	assert.Equal(t, trace.TaskRollback, entries[0].Task)
	assert.Equal(t, trace.StatusFailure, entries[1].Status)
	assert.Contains(t, res.Markdown(), "#### ❌ Rolling back from `v2` to `app:v1-infra:infraA` failed\n")
}

func TestDeployCanceledIsErrorWithoutRollback(t *testing.T) {
	h := newHarness(t)
	h.seed(ledgerEntry("", "production", "v1", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0))
	ctx, cancel := context.WithCancel(context.Background())
	h.target.DeployFunc = func(ctx context.Context, _ Request) error {
		cancel()
		return ctx.Err()
	}
	res, err := h.deployer.Deploy(ctx, plan("v2", nil))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, res.Rollback)
	e := h.list()[0]
	assert.Equal(t, trace.StatusError, e.Status, "recorded although the context is canceled")
	assert.Equal(t, "canceled: deploying at 100%: context canceled", e.Description)
	assert.Equal(t, []string{"v2@100"}, h.deployed())
}

// failingLedger wraps a ledger with injectable failures.
type failingLedger struct {
	trace.Ledger
	RecordErr, SetStatusErr error
}

func (l *failingLedger) Record(ctx context.Context, e trace.Entry) (trace.Entry, error) {
	if l.RecordErr != nil {
		return trace.Entry{}, l.RecordErr
	}
	return l.Ledger.Record(ctx, e)
}

func (l *failingLedger) SetStatus(ctx context.Context, id, status, desc string) error {
	if l.SetStatusErr != nil {
		return l.SetStatusErr
	}
	return l.Ledger.SetStatus(ctx, id, status, desc)
}

func TestDeployLedgerErrors(t *testing.T) {
	h := newHarness(t)
	boom := errors.New("403 resource not accessible by integration")
	h.deployer.Ledger = &failingLedger{Ledger: h.ledger, RecordErr: boom}
	_, err := h.deployer.Deploy(context.Background(), plan("v1", nil))
	assert.EqualError(t, err, "recording the deployment of app v1 to production: 403 resource not accessible by integration")
	assert.Empty(t, h.deployed(), "nothing deploys unrecorded")

	h.deployer.Ledger = &failingLedger{Ledger: h.ledger, SetStatusErr: boom}
	res, err := h.deployer.Deploy(context.Background(), plan("v1", nil))
	assert.True(t, res.OK(), "the app is deployed")
	assert.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "recording status success of deployment")

	// A failed deploy whose status cannot be recorded reports both.
	h.target.DeployFunc = func(context.Context, Request) error { return errors.New("exit status 1") }
	res, err = h.deployer.Deploy(context.Background(), plan("v1", nil))
	assert.False(t, res.OK())
	var failed *FailedError
	assert.ErrorAs(t, err, &failed)
	assert.ErrorIs(t, err, boom, "the status error is not lost behind the failure")

	h.deployer.Target = nil
	_, err = h.deployer.Deploy(context.Background(), plan("v1", nil))
	assert.EqualError(t, err, "deploying app v1 to production: no deploy target configured: set deploy-command or deploy-workflow")
	_, err = (&Deployer{Ledger: h.ledger, Target: h.target}).Deploy(context.Background(), Plan{AppVersion: "v1"})
	assert.EqualError(t, err, "deploying app v1: no infra version given")
}

// The verify command's path: a deployment that was recorded successful
// fails its smoke checks later and is rolled back.
func TestRollbackAfterVerifyFails(t *testing.T) {
	h := newHarness(t)
	h.seed(
		ledgerEntry("", "production", "v1", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0),
		ledgerEntry("", "production", "v2", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0),
	)
	failedID := h.list()[0].ID
	res, err := h.deployer.Rollback(context.Background(), RollbackRequest{
		Environment: "production", InfraVersion: "infraA", FailedAppVersion: "v2",
		FailedID: failedID, Reason: "smoke failed for 1 of 1 URL", Actor: "octocat",
	})
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Equal(t, []string{"v1@100"}, h.deployed())
	entries := h.list()
	assert.Equal(t, trace.TaskRollback, entries[0].Task)
	assert.Equal(t, "v1", entries[0].AppVersion)
	assert.Equal(t, trace.StatusSuccess, entries[0].Status)
	assert.Equal(t, failedID, entries[1].ID)
	assert.Equal(t, trace.StatusFailure, entries[1].Status)
	assert.Equal(t, "smoke failed for 1 of 1 URL", entries[1].Description)

	// Rolling back again from v1 finds nothing older... except v2, which
	// now failed: nothing.
	_, err = h.deployer.Rollback(context.Background(), RollbackRequest{Environment: "production", InfraVersion: "infraA", FailedAppVersion: "v1"})
	assert.ErrorIs(t, err, ErrNoRollbackTarget)
}

func TestRollbackTo(t *testing.T) {
	seed := func(h *harness) {
		h.seed(
			ledgerEntry("", "production", "v1", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0),
			ledgerEntry("", "production", "v2", "infraB", trace.StatusSuccess, trace.TaskDeploy, 0),
			ledgerEntry("", "production", "v3", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0),
		)
	}
	t.Run("a version proven on this infra", func(t *testing.T) {
		h := newHarness(t)
		seed(h)
		res, err := h.deployer.RollbackTo(context.Background(), RollbackToRequest{Environment: "production", InfraVersion: "infraA", AppVersion: "v1"})
		require.NoError(t, err)
		assert.Equal(t, []string{"v1@100"}, h.deployed())
		assert.Equal(t, "v3", res.From, "from the newest deployment")
		assert.Equal(t, "v1", res.To.AppVersion)
		e := h.list()[0]
		assert.Equal(t, trace.TaskRollback, e.Task)
		assert.Equal(t, "v3", e.RolledBackFrom)
		assert.Equal(t, trace.StatusSuccess, e.Status)
	})
	t.Run("refused without force", func(t *testing.T) {
		h := newHarness(t)
		seed(h)
		_, err := h.deployer.RollbackTo(context.Background(), RollbackToRequest{Environment: "production", InfraVersion: "infraA", AppVersion: "v2"})
		assert.ErrorIs(t, err, ErrRollbackRefused)
		assert.EqualError(t, err, "refusing to roll back to app version v2: it never succeeded on infra infraA in production, "+
			"so nothing shows it works there (rollback --to v2 --force deploys it anyway)")
		assert.Empty(t, h.deployed())
		assert.Len(t, h.list(), 3, "nothing recorded")
	})
	t.Run("forced", func(t *testing.T) {
		h := newHarness(t)
		seed(h)
		res, err := h.deployer.RollbackTo(context.Background(), RollbackToRequest{
			Environment: "production", InfraVersion: "infraA", AppVersion: "v2", Force: true, From: "v3",
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"v2@100"}, h.deployed())
		assert.Empty(t, res.To.ID, "no entry proves v2 on infraA")
		e := h.list()[0]
		assert.Equal(t, "app:v2-infra:infraA", e.DeploymentVersion)
		assert.Equal(t, trace.StatusSuccess, e.Status)
	})
}
