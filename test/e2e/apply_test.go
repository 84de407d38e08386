package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// stateAddresses lists the resources in a stack's state, from Terraform.
func (w *workspace) stateAddresses(dir string) []string {
	w.t.Helper()
	if _, err := os.Stat(filepath.Join(w.root, dir, "terraform.tfstate")); err != nil {
		return nil
	}
	out := strings.TrimSpace(w.tf(dir, "state", "list"))
	if out == "" {
		return nil
	}
	lines := strings.Split(out, "\n")
	sort.Strings(lines)
	return lines
}

// editRecord rewrites dir's binding record through edit, as a plan made
// by another engine or version would have written it.
func editRecord(w *workspace, dir string, edit func(map[string]any)) {
	w.t.Helper()
	p := filepath.Join(w.root, dir, "tfplan.lockstep.json")
	var r map[string]any
	require.NoError(w.t, json.Unmarshal([]byte(readFile(w.t, p)), &r))
	edit(r)
	data, err := json.Marshal(r)
	require.NoError(w.t, err)
	require.NoError(w.t, os.WriteFile(p, data, 0o644))
}

// pushWorkspace is a push run against the fake GitHub.
func pushWorkspace(t *testing.T) (*workspace, *fakegithub.Server) {
	gh := fakegithub.New(t, fakegithub.WithToken("ghs_e2eTokenValue0123456789"))
	gh.AddRepo("octo-org", "shop") // the run's repository exists (default branch main)
	w := newWorkspace(t)
	w.env["GITHUB_API_URL"] = gh.APIURL()
	return w, gh
}

func TestPlanThenApply(t *testing.T) {
	w, _ := pushWorkspace(t)
	w.fixture("changes/v1", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging"}

	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Equal(t, []string{"terraform_data.delete", "terraform_data.keep", "terraform_data.old_name",
		"terraform_data.replace_cbd", "terraform_data.replace_default", "terraform_data.update"}, w.stateAddresses("infra"))
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.outputs["outputs-json"]), &outputs))
	assert.Equal(t, map[string]any{"version": "v1", "removed": "soon gone"}, outputs)
	// The report counts what Terraform's own "Apply complete!" line says.
	m := regexp.MustCompile(`Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "Terraform's apply line in the log:\n%s", r.stdout)
	assert.Contains(t, r.summary, "Apply complete:** "+m[1]+" added, "+m[2]+" changed, "+m[3]+" destroyed")
	assert.Equal(t, []string{"6", "0", "0"}, m[1:], "the first apply of the fixture creates its six resources")
	assert.Regexp(t, `^h-[0-9a-f]{7}$`, r.outputs["infra-version"], "outside git, a content hash of the stack")

	// The same plan again is stale: Terraform refuses it, and so does lockstep.
	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "plan-stale", r.outputs["failure-reason"])
}

// Every way of applying something else than the reviewed plan is refused
// before Terraform runs, and the state is untouched.
func TestApplyRefusesAnythingButTheReviewedPlan(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *workspace, in map[string]string)
		reason string
		msg    string
	}{
		{"tampered plan", func(w *workspace, in map[string]string) {
			p := filepath.Join(w.root, "infra", "tfplan")
			data, err := os.ReadFile(p)
			require.NoError(w.t, err)
			require.NoError(w.t, os.WriteFile(p, append(data, 0), 0o644))
		}, "binding-plan-sha256", "the plan file is not the one that was reviewed"},
		{"another commit", func(w *workspace, in map[string]string) {
			w.env["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
		}, "binding-commit", "re-run the plan for commit 0123456"},
		{"another environment", func(w *workspace, in map[string]string) { in["environment"] = "dev" },
			"binding-environment", `the plan was made for environment "staging", not "dev"`},
		{"another directory", func(w *workspace, in map[string]string) {
			require.NoError(w.t, os.Rename(filepath.Join(w.root, "infra"), filepath.Join(w.root, "infra2")))
			in["working-directory"] = "infra2"
		}, "binding-directory", `the plan was made for working directory "infra", not "infra2"`},
		{"another engine version", func(w *workspace, in map[string]string) {
			editRecord(w, "infra", func(r map[string]any) { r["engine_version"] = "1.5.7" })
		}, "binding-engine", "the plan was made with " + engineName(t) + " 1.5.7, but this run has " + engineName(t) + " 1."},
		{"another engine", func(w *workspace, in map[string]string) {
			other := map[string]string{"terraform": "opentofu", "opentofu": "terraform"}[engineInput(w.t)]
			editRecord(w, "infra", func(r map[string]any) { r["engine"] = other })
		}, "binding-engine", "the plan was made with "},
		{"missing record", func(w *workspace, in map[string]string) {
			require.NoError(w.t, os.Remove(filepath.Join(w.root, "infra", "tfplan.lockstep.json")))
		}, "binding-missing", "only a plan made by lockstep plan can be applied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := pushWorkspace(t)
			w.fixture("changes/v1", "infra")
			in := map[string]string{"working-directory": "infra", "environment": "staging"}
			r := w.action(with(in, "command", "plan"))
			require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)

			tt.mutate(w, in)
			r = w.action(with(in, "command", "apply"))
			assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
			assert.Equal(t, "refused", r.outputs["result"])
			assert.Equal(t, tt.reason, r.outputs["failure-reason"])
			assert.Contains(t, r.stdout, tt.msg)
			assert.Contains(t, r.summary, "Refused: nothing was applied")
			assert.Empty(t, w.stateAddresses(in["working-directory"]), "nothing was applied")
		})
	}
}

func TestApplyProductionNeedsReviewers(t *testing.T) {
	w, gh := pushWorkspace(t)
	w.fixture("nochange", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "production"}
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)

	// No environment at all, then one without reviewers: in environment
	// mode refused, fail closed.
	envMode := with(in, "approval-mode", "environment")
	r = w.action(with(envMode, "command", "apply"))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "approval-not-configured", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, `the GitHub environment "production" does not exist`)
	// approval-mode auto falls back to pull-request mode, and this commit
	// came from no pull request: refused too.
	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "pr-not-approved", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "no pull request is associated with commit")
	gh.PutEnvironment("octo-org", "shop", fakegithub.Environment{Name: "production"})
	r = w.action(with(envMode, "command", "apply"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, `the GitHub environment "production" has no required reviewers`)
	assert.Contains(t, r.stdout, "Settings → Environments → production → Required reviewers")
	assert.Empty(t, w.stateAddresses("infra"))

	// With a required reviewer who approved this run (GitHub held the job
	// until then), admins who cannot bypass and protected branches only,
	// applied.
	strictProduction(gh)
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "alice", r.outputs["approved-by"])
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))

	// An input can say this environment needs no approval: then no look-up.
	w2, gh2 := pushWorkspace(t)
	w2.fixture("nochange", "infra")
	in["require-approval"] = "false"
	require.Equal(t, 0, w2.action(with(in, "command", "plan")).code)
	r = w2.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Zero(t, gh2.Count("GET", "/repos/octo-org/shop/environments/{name}"))
}

func TestApplyDestroyGuard(t *testing.T) {
	w, _ := pushWorkspace(t)
	changesStack(w) // v2 deletes and replaces
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	before := w.stateAddresses("infra")
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)

	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "destroy-not-allowed", r.outputs["failure-reason"])
	for _, addr := range []string{"terraform_data.delete", "terraform_data.replace_default", "terraform_data.replace_cbd"} {
		assert.Contains(t, r.stdout, addr)
	}
	assert.Equal(t, before, w.stateAddresses("infra"))

	r = w.action(with(with(in, "command", "apply"), "allow-destroy", "true"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.NotContains(t, w.stateAddresses("infra"), "terraform_data.delete")
}

func TestApplyPartialFailureReport(t *testing.T) {
	w, gh := pushWorkspace(t)
	// The pushed commit came from PR #7: the report goes there too.
	gh.AddPullRequest("octo-org", "shop", 7, w.env["GITHUB_SHA"])
	gh.AddCommitPulls("octo-org", "shop", w.env["GITHUB_SHA"], 7)
	w.fixture("partial", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)

	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "apply-failed", r.outputs["failure-reason"])

	// The report says exactly where the infrastructure stands.
	s := r.summary
	require.Contains(t, s, "The apply failed")
	failedAt := strings.Index(s, "Failed (1)")
	appliedAt := strings.Index(s, "Applied (1)")
	notReachedAt := strings.Index(s, "Not reached (1)")
	require.True(t, failedAt >= 0 && appliedAt > failedAt && notReachedAt > appliedAt, s)
	assert.Contains(t, s[failedAt:appliedAt], "`terraform_data.bad`")
	assert.Contains(t, s[failedAt:appliedAt], "database migration failed")
	assert.Contains(t, s[appliedAt:notReachedAt], "`terraform_data.ok`")
	assert.Contains(t, s[notReachedAt:], "`terraform_data.after`")
	assert.Contains(t, s, "fix forward in a new pull request")
	comments := lockstepComments(gh)
	require.Len(t, comments, 1)
	assert.True(t, strings.HasPrefix(comments[0].Body, "<!-- lockstep:apply dir=infra env=staging -->\n"))
	assert.Contains(t, comments[0].Body, "database migration failed")

	// Nothing is rolled back: the resource that succeeded stays in state
	// (and the failed one is there, tainted).
	assert.Contains(t, w.stateAddresses("infra"), "terraform_data.ok")
	assert.NotContains(t, w.stateAddresses("infra"), "terraform_data.after")
}

// SIGINT during an apply: Terraform gets the interrupt, stops cleanly and
// leaves no state lock behind.
func TestApplyInterruptedLeavesNoLock(t *testing.T) {
	w, _ := pushWorkspace(t)
	w.fixture("slow", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)

	cmd := exec.Command(lockstepBin, "action")
	cmd.Dir = w.root
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range with(in, "command", "apply") {
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Provisioning with 'local-exec'") {
		require.True(t, time.Now().Before(deadline), "the apply never started:\n%s", out.String())
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	require.Error(t, err, "an interrupted apply is not a success")
	assert.Contains(t, out.String(), "interrupted")

	_, statErr := os.Stat(filepath.Join(w.root, "infra", ".terraform.tfstate.lock.info"))
	assert.ErrorIs(t, statErr, os.ErrNotExist, "the state lock was released")
	// Terraform can take the lock again at once.
	w.tf("infra", "plan", "-lock-timeout=0s", "-input=false")
	assert.NotContains(t, w.stateAddresses("infra"), "terraform_data.later", "the interrupt stopped the apply")
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
