package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	tfcli "github.com/lockstep-ci/lockstep/pkg/terraform"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// TestMain drops a TF_CLI_CONFIG_FILE naming a missing file (see
// tftest.DropMissingCLIConfig).
func TestMain(m *testing.M) {
	tftest.DropMissingCLIConfig()
	os.Exit(m.Run())
}

// stack writes files into a new stack directory and returns the adapter
// for it, driving the real Terraform.
func stack(t *testing.T, files map[string]string) (*Adapter, string) {
	t.Helper()
	t.Setenv("CHECKPOINT_DISABLE", "1")
	dir := t.TempDir()
	tftest.WriteFiles(t, dir, files)
	a, err := New(Options{ExecPath: tftest.Path(t), Dir: dir})
	require.NoError(t, err)
	return a, dir
}

const twoResources = `
resource "terraform_data" "a" {
  input = "one"
}

resource "terraform_data" "b" {
  input = terraform_data.a.output
}

output "b" {
  value = terraform_data.b.output
}

output "token" {
  value     = "s3cret-token"
  sensitive = true
}
`

func TestNewRefusesOtherEngines(t *testing.T) {
	for _, name := range []string{"pulumi", "cloudformation", "Terraform"} {
		_, err := New(Options{Engine: name, ExecPath: "terraform", Dir: t.TempDir()})
		require.Error(t, err, name)
		assert.Equal(t, `engine "`+name+`" is not Terraform or OpenTofu`, err.Error())
	}
	a, err := New(Options{Engine: "opentofu", ExecPath: tftest.Path(t), Dir: t.TempDir()})
	require.NoError(t, err)
	require.NotNil(t, a)
}

func TestIdentity(t *testing.T) {
	ctx := context.Background()
	a, _ := stack(t, map[string]string{"main.tf": twoResources})
	id, err := a.Identity(ctx)
	require.NoError(t, err)
	assert.Equal(t, "terraform", id.Name, `"" is Terraform`)
	assert.Regexp(t, `^1\.\d+\.\d+$`, id.Version)

	// The Terraform binary where OpenTofu was asked for.
	bin := tftest.Path(t)
	tofu, err := New(Options{Engine: "opentofu", ExecPath: bin, Dir: t.TempDir()})
	require.NoError(t, err)
	id, err = tofu.Identity(ctx)
	var unsupported *engine.UnsupportedError
	require.ErrorAs(t, err, &unsupported)
	assert.Equal(t, "opentofu", id.Name)
	assert.Equal(t, bin, unsupported.Path)
	assert.Equal(t, "Terraform "+id.Version, unsupported.Found)
	assert.Equal(t, "engine opentofu needs OpenTofu: point terraform-path at the OpenTofu binary, or set engine to match it", unsupported.Problem)

	// A Terraform older than lockstep drives.
	stub := tftest.VersionStub(t, "Terraform", "1.4.6")
	old, err := New(Options{ExecPath: stub, Dir: t.TempDir()})
	require.NoError(t, err)
	id, err = old.Identity(ctx)
	require.ErrorAs(t, err, &unsupported)
	assert.Equal(t, stub, unsupported.Path)
	assert.Equal(t, "version 1.4.6", unsupported.Found)
	assert.True(t, strings.HasSuffix(unsupported.Problem, ": point it at a newer binary"), unsupported.Problem)
	assert.Equal(t, "1.4.6", id.Version)

	// A binary that is not there at all is an error, not an identity.
	missing, err := New(Options{ExecPath: filepath.Join(t.TempDir(), "terraform"), Dir: t.TempDir()})
	if err == nil {
		_, err = missing.Identity(ctx)
	}
	require.Error(t, err)
	assert.False(t, errors.As(err, &unsupported), "a missing binary is not an unsupported one: %v", err)
}

func TestValidateDiagnostics(t *testing.T) {
	ctx := context.Background()
	a, _ := stack(t, map[string]string{"main.tf": `resource "terraform_data" "a" {
  input = var.missing
}
`})
	require.NoError(t, a.Init(ctx, engine.InitOptions{NoBackend: true}))
	ds, err := a.Validate(ctx)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, engine.Diagnostic{Warning: false, Summary: "Reference to undeclared input variable",
		Detail: ds[0].Detail, File: "main.tf", Line: 2, Column: 11, EndLine: 2, EndColumn: 22}, ds[0])
	assert.Contains(t, ds[0].Detail, `An input variable with the name "missing" has not been declared.`)

	b, _ := stack(t, map[string]string{"main.tf": twoResources})
	require.NoError(t, b.Init(ctx, engine.InitOptions{NoBackend: true}))
	ds, err = b.Validate(ctx)
	require.NoError(t, err)
	assert.Empty(t, ds)

	// A binary that cannot validate is an error of the run, not a diagnostic.
	c, err := New(Options{ExecPath: tftest.VersionStub(t, "Terraform", "1.11.4"), Dir: t.TempDir()})
	require.NoError(t, err)
	ds, err = c.Validate(ctx)
	require.Error(t, err)
	assert.Nil(t, ds)
}

func TestFormatCheck(t *testing.T) {
	a, _ := stack(t, map[string]string{"main.tf": twoResources, "ugly.tf": "output \"x\" {\nvalue=1\n}\n"})
	files, err := a.FormatCheck(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"ugly.tf"}, files)
}

// Plan, read the plan back, apply it and read the outputs, through the
// real Terraform.
func TestPlanApplyOutputs(t *testing.T) {
	ctx := context.Background()
	a, dir := stack(t, map[string]string{"main.tf": twoResources})
	require.NoError(t, a.Init(ctx, engine.InitOptions{}))
	fp, err := a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.Equal(t, "", fp, "Terraform checks a stale plan itself")

	p, err := a.Plan(ctx, engine.PlanOptions{Out: "tfplan"})
	require.NoError(t, err)
	assert.True(t, p.HasChanges)
	assert.True(t, strings.HasPrefix(p.Text, "  # terraform_data.a will be created\n"), p.Text)
	assert.Contains(t, p.Text, "Plan: 2 to add, 0 to change, 0 to destroy.")
	assert.Equal(t, "terraform", p.Summary.Engine)
	assert.Equal(t, 2, p.Summary.Add)
	assert.Len(t, p.Fingerprint, 64)

	read, err := a.ReadPlan(ctx, engine.ReadOptions{PlanFile: "tfplan"})
	require.NoError(t, err)
	assert.False(t, read.HasChanges, "only plan's exit code says it")
	assert.Equal(t, "", read.Text)
	assert.Equal(t, p.Fingerprint, read.Fingerprint)
	assert.Equal(t, "terraform", read.Summary.Engine)
	assert.Equal(t, 2, read.Summary.Add)

	_, err = a.ReadPlan(ctx, engine.ReadOptions{PlanFile: "no-such-plan"})
	require.Error(t, err)

	report, err := a.Apply(ctx, engine.ApplyOptions{PlanFile: "tfplan"})
	require.NoError(t, err)
	want := []engine.ResourceResult{{Address: "terraform_data.a", Action: "create"}, {Address: "terraform_data.b", Action: "create"}}
	assert.Equal(t, want, report.Planned)
	assert.Equal(t, want, report.Applied)
	assert.Nil(t, report.Failed)
	assert.Nil(t, report.NotReached)
	assert.Empty(t, report.Errors)
	assert.Equal(t, engine.Output{Value: json.RawMessage(`"one"`)}, report.Outputs["b"])
	assert.True(t, report.Outputs["token"].Sensitive)
	assert.NotContains(t, string(report.Outputs["token"].Value), "s3cret-token")

	outs, err := a.Outputs(ctx)
	require.NoError(t, err)
	require.Len(t, outs, 2)
	assert.JSONEq(t, `"one"`, string(outs["b"].Value))
	assert.False(t, outs["b"].Sensitive)
	assert.True(t, outs["token"].Sensitive)
	assert.NotContains(t, string(outs["token"].Value), "s3cret-token")

	// A plan with nothing to do.
	p, err = a.Plan(ctx, engine.PlanOptions{Out: "again"})
	require.NoError(t, err)
	assert.False(t, p.HasChanges)
	assert.Equal(t, 0, p.Summary.Add)

	// An invalid configuration: plan fails with Terraform's diagnostic.
	tftest.WriteFiles(t, dir, map[string]string{"bad.tf": "output \"c\" {\n  value = var.nope\n}\n"})
	p, err = a.Plan(ctx, engine.PlanOptions{Out: "bad"})
	require.Error(t, err)
	require.NotNil(t, p)
	assert.Nil(t, p.Summary)
	var lockedErr *engine.LockedError
	assert.False(t, errors.As(err, &lockedErr))
	assert.Contains(t, err.Error()+p.Text, "Reference to undeclared input variable")
}

// Outputs of a stack without state are empty, and of a stack whose
// state cannot be read an error.
func TestOutputsWithoutState(t *testing.T) {
	ctx := context.Background()
	a, dir := stack(t, map[string]string{"main.tf": twoResources})
	require.NoError(t, a.Init(ctx, engine.InitOptions{}))
	outs, err := a.Outputs(ctx)
	require.NoError(t, err)
	assert.Empty(t, outs)

	tftest.WriteFiles(t, dir, map[string]string{"terraform.tfstate": "not a state"})
	outs, err = a.Outputs(ctx)
	require.Error(t, err)
	assert.Nil(t, outs)
}

// A plan made before another apply changed the state is refused as
// engine.ErrStalePlan, named by the engine.
func TestApplyStalePlan(t *testing.T) {
	ctx := context.Background()
	a, dir := stack(t, map[string]string{"main.tf": twoResources})
	require.NoError(t, a.Init(ctx, engine.InitOptions{}))
	_, err := a.Plan(ctx, engine.PlanOptions{Out: "first"})
	require.NoError(t, err)
	_, err = a.Apply(ctx, engine.ApplyOptions{PlanFile: "first"})
	require.NoError(t, err)

	tftest.WriteFiles(t, dir, map[string]string{"main.tf": strings.Replace(twoResources, `"one"`, `"two"`, 1)})
	_, err = a.Plan(ctx, engine.PlanOptions{Out: "old"})
	require.NoError(t, err)
	_, err = a.Plan(ctx, engine.PlanOptions{Out: "new"})
	require.NoError(t, err)
	_, err = a.Apply(ctx, engine.ApplyOptions{PlanFile: "new"})
	require.NoError(t, err)

	report, err := a.Apply(ctx, engine.ApplyOptions{PlanFile: "old"})
	require.ErrorIs(t, err, engine.ErrStalePlan)
	assert.True(t, strings.HasPrefix(err.Error(), "Terraform refused the saved plan as stale: "), err.Error())
	require.NotNil(t, report)
	assert.Empty(t, report.Applied)
}

// A failure in the middle of apply is reported per resource.
func TestApplyPartialFailure(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "partial", "main.tf"))
	require.NoError(t, err)
	ctx := context.Background()
	a, _ := stack(t, map[string]string{"main.tf": string(src)})
	require.NoError(t, a.Init(ctx, engine.InitOptions{}))
	_, err = a.Plan(ctx, engine.PlanOptions{Out: "tfplan"})
	require.NoError(t, err)
	report, err := a.Apply(ctx, engine.ApplyOptions{PlanFile: "tfplan"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, engine.ErrStalePlan)
	assert.Equal(t, []engine.ResourceResult{{Address: "terraform_data.ok", Action: "create"}}, report.Applied)
	require.Len(t, report.Failed, 1)
	assert.Equal(t, "terraform_data.bad", report.Failed[0].Address)
	assert.Equal(t, "create", report.Failed[0].Action)
	assert.Contains(t, report.Failed[0].Error, "local-exec provisioner error")
	assert.Equal(t, []engine.ResourceResult{{Address: "terraform_data.after", Action: "create"}}, report.NotReached)
}

// Another run holding the state lock: plan and apply fail with an
// *engine.LockedError naming the lock.
func TestLockedState(t *testing.T) {
	ctx := context.Background()
	a, dir := stack(t, map[string]string{"main.tf": `resource "terraform_data" "slow" {
  input = "x"

  provisioner "local-exec" {
    command = "sleep 60"
  }
}
`})
	require.NoError(t, a.Init(ctx, engine.InitOptions{}))
	_, err := a.Plan(ctx, engine.PlanOptions{Out: "tfplan"})
	require.NoError(t, err)

	holder := exec.Command(tftest.Path(t), "apply", "-auto-approve", "-input=false", "-no-color")
	holder.Dir = dir
	holder.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its provisioner's sleep goes with it
	require.NoError(t, holder.Start())
	t.Cleanup(func() { _ = syscall.Kill(-holder.Process.Pid, syscall.SIGKILL); _ = holder.Wait() })
	lockFile := filepath.Join(dir, ".terraform.tfstate.lock.info")
	var lock struct{ ID, Who, Operation string }
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(lockFile)
		if err == nil && json.Unmarshal(b, &lock) == nil && lock.ID != "" {
			break
		}
		require.True(t, time.Now().Before(deadline), "the other run never took the lock")
		time.Sleep(50 * time.Millisecond)
	}

	_, err = a.Plan(ctx, engine.PlanOptions{Out: "second"})
	var lockedErr *engine.LockedError
	require.ErrorAs(t, err, &lockedErr)
	assert.Equal(t, lock.ID, lockedErr.ID)
	assert.Equal(t, "OperationTypeApply", lockedErr.Operation)
	assert.Equal(t, lock.Who, lockedErr.Who)

	report, err := a.Apply(ctx, engine.ApplyOptions{PlanFile: "tfplan"})
	require.ErrorAs(t, err, &lockedErr)
	assert.Equal(t, lock.ID, lockedErr.ID)
	assert.NotErrorIs(t, err, engine.ErrStalePlan)
	require.NotNil(t, report)
	assert.Empty(t, report.Applied)
}

func TestConvertReport(t *testing.T) {
	assert.Equal(t, &engine.ApplyReport{}, convertReport(nil))
	got := convertReport(&tfcli.ApplyReport{
		Planned: []tfcli.ResourceResult{{Address: "a.b", Action: "delete"}},
		Failed:  []tfcli.ResourceResult{{Address: "a.b", Action: "delete", Error: "boom"}},
		Errors:  []string{"later"},
		Outputs: map[string]tfcli.Output{"x": {Sensitive: true}},
	})
	assert.Equal(t, &engine.ApplyReport{
		Planned: []engine.ResourceResult{{Address: "a.b", Action: "delete"}},
		Failed:  []engine.ResourceResult{{Address: "a.b", Action: "delete", Error: "boom"}},
		Errors:  []string{"later"},
		Outputs: map[string]engine.Output{"x": {Sensitive: true}},
	}, got)
	assert.Nil(t, got.Applied)
	assert.Nil(t, got.NotReached)
}
