package pulumi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/engine/pulumi"
	"github.com/lockstep-ci/lockstep/pkg/pipeline"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/pulumitest"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// These tests run the real Pulumi CLI (built by make tools) on a YAML
// program whose resources are lockstep's test provider's
// (test/fixtures/pulumi), on a file backend: nothing leaves the machine.

const secret = "hunter2-very-secret"

// project is a Pulumi project with its stack dev made and configured.
type project struct {
	dir, bin string
	env      []string
	a        *pulumi.Adapter
}

func newProject(t *testing.T) *project {
	t.Helper()
	bin := pulumitest.Path(t)
	p := &project{dir: t.TempDir(), bin: bin, env: pulumitest.Env(t, bin)}
	program, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "pulumi", "Pulumi.yaml"))
	require.NoError(t, err)
	tftest.WriteFiles(t, p.dir, map[string]string{"Pulumi.yaml": string(program)})
	a, err := pulumi.New(pulumi.Options{ExecPath: bin, Dir: p.dir, Stack: "dev", Env: p.env})
	require.NoError(t, err)
	p.a = a
	pulumitest.Run(t, bin, p.dir, p.env, "stack", "init", "dev", "--non-interactive")
	require.NoError(t, a.Init(context.Background(), engine.InitOptions{}))
	p.config(t, "password", secret, "--secret")
	return p
}

func (p *project) config(t *testing.T, key, value string, flags ...string) {
	t.Helper()
	pulumitest.Run(t, p.bin, p.dir, p.env, append([]string{"config", "set", "--stack", "dev", key, value}, flags...)...)
}

// up is another update, outside lockstep.
func (p *project) up(t *testing.T) {
	t.Helper()
	pulumitest.Run(t, p.bin, p.dir, p.env, "up", "--yes", "--stack", "dev", "--non-interactive", "--skip-preview")
}

// refusedApply plans, sets the config key to value (a change after
// review) and applies the plan, which Pulumi must refuse.
func (p *project) refusedApply(t *testing.T, key, value string) (*engine.ApplyReport, *pulumi.PlanConstraintError, error) {
	t.Helper()
	ctx := context.Background()
	_, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	p.config(t, key, value)
	report, err := p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	var constraint *pulumi.PlanConstraintError
	require.ErrorAs(t, err, &constraint, "%v", err)
	return report, constraint, err
}

func actions(s *plan.Summary) []string {
	var out []string
	for _, c := range s.Changes {
		if c.Type == "lockstep:index:Thing" {
			out = append(out, string(c.Action)+" "+c.Name)
		}
	}
	return out
}

func addresses(rs []engine.ResourceResult) []string {
	var out []string
	for _, r := range rs {
		if strings.HasPrefix(r.Address, "lockstep:index:Thing::") {
			out = append(out, r.Action+" "+strings.TrimPrefix(r.Address, "lockstep:index:Thing::"))
		}
	}
	return out
}

// noSecret fails when the secret appears in the plan's text or summary
// (outside its Secrets, which exist to carry it).
func noSecret(t *testing.T, p *engine.Plan) {
	t.Helper()
	s := *p.Summary
	s.Secrets = nil
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)
	assert.NotContains(t, p.Text, secret)
	assert.Contains(t, p.Summary.Secrets, secret, "the config's secret is for the caller to mask")
}

func TestPlanThenApplyExactlyThatPlan(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)

	id, err := p.a.Identity(ctx)
	require.NoError(t, err)
	assert.Equal(t, engine.Identity{Name: engine.Pulumi, Version: "3.274.1"}, id)

	planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	assert.True(t, planned.HasChanges)
	assert.Equal(t, engine.Pulumi, planned.Summary.Engine)
	assert.Equal(t, []string{"create first", "create second", "create third"}, actions(planned.Summary))
	assert.Contains(t, planned.Text, "lockstep:index:Thing")
	noSecret(t, planned)

	// The same change planned again: the same fingerprint; ReadPlan sees
	// the same changes.
	again, err := p.a.Plan(ctx, engine.PlanOptions{Out: "again.json"})
	require.NoError(t, err)
	assert.Equal(t, planned.Fingerprint, again.Fingerprint)
	read, err := p.a.ReadPlan(ctx, engine.ReadOptions{PlanFile: "plan.json"})
	require.NoError(t, err)
	assert.Equal(t, planned.Fingerprint, read.Fingerprint)
	assert.Equal(t, planned.Summary.Changes, read.Summary.Changes)

	report, err := p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.NoError(t, err)
	assert.Equal(t, []string{"create first", "create second", "create third"}, addresses(report.Applied))
	assert.Empty(t, report.Failed)
	assert.Empty(t, report.NotReached)
	assert.Equal(t, json.RawMessage(`"hello-one"`), report.Outputs["greeting"].Value)
	assert.Equal(t, engine.Output{Sensitive: true}, report.Outputs["token"], "a secret output carries no value")

	// An update and a replace, with what Pulumi's diff names.
	p.config(t, "value", "two")
	p.config(t, "key", "k2")
	planned, err = p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	assert.Equal(t, []string{"replace first", "update second", "update third"}, actions(planned.Summary))
	first := planned.Summary.Changes[0]
	assert.Equal(t, []string{"key", "value"}, first.ChangedAttributes)
	assert.Equal(t, []string{"key"}, first.ReplacePaths)
	assert.Equal(t, []int{1, 2, 1, 1}, []int{planned.Summary.Add, planned.Summary.Change, planned.Summary.Destroy, planned.Summary.Replace})
	var greeting *plan.OutputChange
	for i, o := range planned.Summary.Outputs {
		if o.Name == "greeting" {
			greeting = &planned.Summary.Outputs[i]
		}
		if o.Name == "token" {
			assert.True(t, o.Sensitive)
		}
	}
	require.NotNil(t, greeting, "%+v", planned.Summary.Outputs)
	assert.Equal(t, plan.OutputChange{Name: "greeting", Action: plan.ActionUpdate, Before: `"hello-one"`, After: `"hello-two"`}, *greeting)
	noSecret(t, planned)
	assert.Contains(t, planned.Summary.Secrets, secret, "the secret output's value, from the state")

	report, err = p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"replace first", "update second", "update third"}, addresses(report.Applied))
	outs, err := p.a.Outputs(ctx)
	require.NoError(t, err)
	assert.Equal(t, json.RawMessage(`"hello-two"`), outs["greeting"].Value)
}

func TestAFailingResourceIsReportedAndLaterOnesNotReached(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	p.up(t)

	p.config(t, "value", "two")
	p.config(t, "fail", "true")
	planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	assert.Equal(t, []string{"update first", "update second", "update third"}, actions(planned.Summary))

	report, err := p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.Error(t, err)
	assert.False(t, errors.Is(err, engine.ErrStalePlan), "a resource failing is not a stale plan: %v", err)
	assert.Equal(t, []string{"update first"}, addresses(report.Applied))
	assert.Equal(t, []string{"update second"}, addresses(report.Failed))
	require.Len(t, report.Failed, 1)
	assert.Contains(t, report.Failed[0].Error, "failing on purpose")
	assert.Equal(t, []string{"update third"}, addresses(report.NotReached))
}

func TestPulumiRefusesAnOperationThePlanDoesNotAllow(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	p.up(t)

	p.config(t, "value", "two")
	// The program's config changes after review: the state does not, so
	// only Pulumi's own plan constraints can catch it.
	report, constraint, err := p.refusedApply(t, "key", "k9")
	assert.Contains(t, err.Error(), "violates plan")
	assert.Empty(t, report.Applied)
	assert.Equal(t, []string{"update first"}, addresses(report.Failed), "the refused resource")
	assert.Contains(t, report.Failed[0].Error, "violates plan")
	assert.Equal(t, []string{"update second", "update third"}, addresses(report.NotReached))

	// Measured: Pulumi still writes the stack's outputs after refusing, so
	// this is a failure that changed the state, not a refusal.
	outs, err := p.a.Outputs(ctx)
	require.NoError(t, err)
	assert.Equal(t, json.RawMessage(`"hello-two"`), outs["greeting"].Value)
	assert.True(t, constraint.StateChanged)
	assert.False(t, errors.Is(err, engine.ErrStalePlan), "the state moved: not a clean refusal")
}

// A refusal that leaves the state as it was (no secret in it to
// re-encrypt, the outputs unchanged) is a clean one: a
// *PlanConstraintError that is also engine.ErrStalePlan.
func TestARefusalThatLeavesTheStateIsAStalePlan(t *testing.T) {
	p := newProject(t)
	p.config(t, "password", "not-secret-here") // no secret: an update re-encrypts none
	p.up(t)

	p.config(t, "key", "k2") // replaces first; no output changes
	report, constraint, err := p.refusedApply(t, "key", "k3")
	assert.False(t, constraint.StateChanged)
	assert.ErrorIs(t, err, engine.ErrStalePlan)
	assert.Equal(t, []string{"replace first"}, addresses(report.Failed))
}

// passwordProgram is the head of a program of the stack dev's project
// (newProject) with only its secret config, password; a test adds the
// rest.
const passwordProgram = `name: demo
runtime: yaml
config:
  password:
    type: string
`

// A provider failing with a config secret in its error (the test provider
// quotes a value starting with "invalid"): the failed plan's text and
// error, which the pipeline logs as they are, do not hold it. Pulumi hides
// it itself; the adapter's own redaction is TestFailedPlanRedacts'.
func TestAFailedPreviewHidesTheConfigSecrets(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	tftest.WriteFiles(t, p.dir, map[string]string{"Pulumi.yaml": passwordProgram + `resources:
  broken:
    type: lockstep:index:Thing
    properties:
      value: invalid-${password}
`})
	planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.Error(t, err)
	require.NotNil(t, planned)
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, planned.Text, secret)
	assert.Contains(t, planned.Text+err.Error(), `"invalid-[secret]" is not a valid value`, "Pulumi printed the provider's error, the secret hidden")
}

// A preview that reports an error is a failed plan even when pulumi exits
// 0, which it does in about half the runs of this program (a fn::readFile
// of a secret path that does not exist): four plans, four failures.
func TestAPreviewReportingAnErrorFailsWhateverItsExitStatus(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	tftest.WriteFiles(t, p.dir, map[string]string{"Pulumi.yaml": passwordProgram + `variables:
  content:
    fn::readFile: ${password}
resources:
  broken:
    type: lockstep:index:Thing
    properties:
      value: ${content}
`})
	for i := 0; i < 4; i++ {
		planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
		require.Error(t, err, "plan %d", i+1)
		assert.NotContains(t, err.Error(), secret)
		require.NotNil(t, planned)
		assert.True(t, strings.HasPrefix(planned.Text, "Pulumi preview of stack dev failed\n"), planned.Text)
		assert.Contains(t, planned.Text, "\n  error: Error reading file at path [secret]")
		assert.NotContains(t, planned.Text, secret)
	}
}

// A cancelled apply interrupts pulumi, which stops cleanly: it releases
// the stack's lock and leaves no pending operation, so the next plan runs.
func TestACancelledApplyLeavesTheStackUsable(t *testing.T) {
	p := newProject(t)
	p.up(t)
	p.config(t, "value", "slow-two")
	_, err := p.a.Plan(context.Background(), engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.Error(t, err)
	assert.Less(t, time.Since(start), time.Minute)

	export := pulumitest.Run(t, p.bin, p.dir, p.env, "stack", "export", "--stack", "dev")
	assert.NotContains(t, export, "pending_operations", "an interrupted pulumi finishes its steps")
	_, err = p.a.Plan(context.Background(), engine.PlanOptions{Out: "again.json"})
	require.NoError(t, err, "the stack is not left locked")
}

func TestStateFingerprint(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	p.up(t)
	fp, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	require.Len(t, fp, 64)

	_, err = p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	after, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.Equal(t, fp, after, "a preview does not change the state")

	// Measured: an update that changes nothing still re-encrypts the
	// stack's secrets (here the token output) with a fresh nonce. The
	// fingerprint keeps the ciphertexts, so a changed secret is never
	// missed, at the price of a stale plan after a no-op update.
	p.up(t)
	after, err = p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, fp, after, "a no-op update re-encrypts the secrets")
	fp = after

	p.config(t, "value", "two")
	p.up(t)
	after, err = p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, fp, after)
}

// TestStateFingerprintAfterPlanIsThePlansState: Plan exports the state as
// its preview starts; the StateFingerprint call after it (the plan
// pipeline's, for the binding) gets that export, the state the preview
// planned from, also when the state moved since. The next call exports
// anew.
func TestStateFingerprintAfterPlanIsThePlansState(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	p.up(t)
	before, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)

	_, err = p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	p.config(t, "value", "two")
	p.up(t) // another update, after the plan
	atPlan, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, atPlan, "the state the plan was made from, not the one after it")
	now, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, before, now, "a later call exports the state again")

	// Apply drops a plan's fingerprint: after an apply, the state is
	// exported again (the plan's would be the state before the update).
	_, err = p.a.Plan(ctx, engine.PlanOptions{Out: "again.json"})
	require.NoError(t, err)
	_, err = p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "again.json"})
	require.NoError(t, err)
	first, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	second, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.Equal(t, second, first, "both exported after the apply")
	assert.NotEqual(t, now, first)
}

// reporter is a pipeline.Reporter that keeps the log.
type reporter struct {
	log   strings.Builder
	masks []string
}

func (r *reporter) Printf(format string, args ...any) { fmt.Fprintf(&r.log, format+"\n", args...) }
func (r *reporter) Group(title string) func()         { r.Printf("::group::%s", title); return func() {} }
func (r *reporter) Log() io.Writer                    { return &r.log }
func (r *reporter) Mask(secrets ...string)            { r.masks = append(r.masks, secrets...) }

func TestThePipelineRefusesAPlanWhoseStateMovedOn(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	p.up(t)
	p.config(t, "value", "two")

	s := pipeline.Stack{Dir: "infra", Root: p.dir, Engine: p.a, Identity: engine.Identity{Name: engine.Pulumi, Version: "3.274.1"}}
	r := &reporter{}
	planned, err := pipeline.Plan(ctx, r, s, pipeline.PlanOptions{PlanFile: "plan.json", Commit: "abc1234", Environment: "dev", Now: time.Unix(1e9, 0)})
	require.NoError(t, err)
	assert.NotEmpty(t, planned.Record.StateFingerprint, "Pulumi's plans need the state's fingerprint")
	assert.Contains(t, r.masks, secret)
	assert.NotContains(t, r.log.String(), secret)
	assert.FileExists(t, filepath.Join(p.dir, "plan.json"))

	// Another update after the review: Pulumi itself would apply the old
	// plan (FACTS), the pipeline must not.
	p.config(t, "value", "three")
	p.up(t)
	p.config(t, "value", "two")

	_, err = pipeline.Apply(ctx, r, s, pipeline.ApplyOptions{PlanFile: "plan.json", Commit: "abc1234", Environment: "dev"})
	var refusal *pipeline.Refusal
	require.ErrorAs(t, err, &refusal, "%v", err)
	assert.Equal(t, "plan-stale", refusal.Reason)
	outs, err := p.a.Outputs(ctx)
	require.NoError(t, err)
	assert.Equal(t, json.RawMessage(`"hello-three"`), outs["greeting"].Value, "nothing applied")

	// Planned again, the same stack applies.
	_, err = pipeline.Plan(ctx, r, s, pipeline.PlanOptions{PlanFile: "plan.json", Commit: "abc1234", Environment: "dev", Now: time.Unix(1e9, 0)})
	require.NoError(t, err)
	applied, err := pipeline.Apply(ctx, r, s, pipeline.ApplyOptions{PlanFile: "plan.json", Commit: "abc1234", Environment: "dev"})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"update first", "update second", "update third"}, addresses(applied.Report.Applied))
	assert.NotContains(t, r.log.String(), secret)
}

// lockstep selects the stack and never creates one: a missing or
// misspelt stack is an error saying how to create it, and no stack
// appears in the backend.
func TestInitNeverCreatesAStack(t *testing.T) {
	bin := pulumitest.Path(t)
	dir := t.TempDir()
	env := pulumitest.Env(t, bin)
	program, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "pulumi", "Pulumi.yaml"))
	require.NoError(t, err)
	tftest.WriteFiles(t, dir, map[string]string{"Pulumi.yaml": string(program)})
	a, err := pulumi.New(pulumi.Options{ExecPath: bin, Dir: dir, Stack: "prdo", Env: env})
	require.NoError(t, err)
	err = a.Init(context.Background(), engine.InitOptions{})
	require.ErrorContains(t, err, "the Pulumi stack prdo does not exist in the backend: create it once with `pulumi stack init prdo` (lockstep never creates a stack)")
	out := pulumitest.Run(t, bin, dir, env, "stack", "ls", "--json")
	assert.NotContains(t, out, "prdo", "no stack was created")
}

// var-files' stack config file is the config of the preview, of ReadPlan's
// secrets and of the apply: up without it reads Pulumi.dev.yaml, whose
// other value Pulumi refuses as beyond the plan.
func TestAConfigFileIsThePlansConfigThroughApply(t *testing.T) {
	const prodSecret = "prod-only-secret-value"
	ctx := context.Background()
	p := newProject(t)
	dev, err := os.ReadFile(filepath.Join(p.dir, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(p.dir, "prod.yaml"), dev, 0o600))
	p.config(t, "value", "two", "--config-file", "prod.yaml")
	p.config(t, "password", prodSecret, "--secret", "--config-file", "prod.yaml")
	varFiles := []string{"prod.yaml"}

	planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json", VarFiles: varFiles})
	require.NoError(t, err)
	assert.Contains(t, planned.Summary.Secrets, prodSecret)
	assert.NotContains(t, planned.Summary.Secrets, secret, "Pulumi.dev.yaml is not the config")
	read, err := p.a.ReadPlan(ctx, engine.ReadOptions{PlanFile: "plan.json", VarFiles: varFiles})
	require.NoError(t, err)
	assert.Contains(t, read.Summary.Secrets, prodSecret, "apply masks the file's secrets")
	_, err = p.a.ReadPlan(ctx, engine.ReadOptions{PlanFile: "plan.json", VarFiles: []string{"a.yaml", "b.yaml"}})
	assert.EqualError(t, err, "var-files names 2 files: Pulumi takes one stack config file")
	_, err = p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json", VarFiles: []string{"a.yaml", "b.yaml"}})
	assert.EqualError(t, err, "var-files names 2 files: Pulumi takes one stack config file")

	// Without the file, the apply is of another config: refused.
	_, err = p.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	var refused *pulumi.PlanConstraintError
	require.ErrorAs(t, err, &refused, "%v", err)

	_, err = p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json", VarFiles: varFiles})
	require.NoError(t, err)
	// Options.Log gets what pulumi up prints.
	var log strings.Builder
	logged, err := pulumi.New(pulumi.Options{ExecPath: p.bin, Dir: p.dir, Stack: "dev", Env: p.env, Log: &log})
	require.NoError(t, err)
	report, err := logged.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json", VarFiles: varFiles})
	require.NoError(t, err)
	assert.Equal(t, []string{"create first", "create second", "create third"}, addresses(report.Applied))
	assert.Equal(t, json.RawMessage(`"hello-two"`), report.Outputs["greeting"].Value)
	assert.Contains(t, log.String(), "lockstep:index:Thing", "the update's display")
	assert.NotContains(t, log.String(), prodSecret)
}

// The adapter runs the binary it is given; the pulumi on PATH only when it
// is given none.
func TestTheAdapterRunsThePulumiItIsGiven(t *testing.T) {
	ctx := context.Background()
	bin := pulumitest.Path(t)
	missing := filepath.Join(t.TempDir(), "pulumi")
	a, err := pulumi.New(pulumi.Options{ExecPath: missing, Dir: t.TempDir(), Stack: "dev"})
	require.NoError(t, err)
	_, err = a.Identity(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)

	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	a, err = pulumi.New(pulumi.Options{Dir: t.TempDir(), Stack: "dev"})
	require.NoError(t, err)
	id, err := a.Identity(ctx)
	require.NoError(t, err)
	assert.Equal(t, engine.Identity{Name: engine.Pulumi, Version: "3.274.1"}, id)
}
