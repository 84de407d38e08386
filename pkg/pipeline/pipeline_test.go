package pipeline

import (
	"context"
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

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// These tests check the pipeline's order of steps and its refusals with a
// recording engine; what the steps do with a real engine is the e2e
// suite's job (test/e2e, real Terraform and OpenTofu).

// recorder is an engine.Engine that records each call and answers with
// its fields.
type recorder struct {
	calls    []string
	summary  *plan.Summary
	text     string
	changes  bool
	planErr  error
	applyErr error
	report   *engine.ApplyReport
	root     string // where Plan writes the saved plan
	state    string // StateFingerprint's answer
	readFP   string // ReadPlan's fingerprint; "" means Plan's ("f1")
	name     string // the engine's name; "" is Terraform
	// readVarFiles and applyVarFiles are the var-files ReadPlan and Apply
	// were given.
	readVarFiles, applyVarFiles []string
}

func (e *recorder) Identity(context.Context) (engine.Identity, error) {
	return engine.Identity{Name: engine.Terraform, Version: "1.11.4"}, nil
}
func (e *recorder) FormatCheck(context.Context) ([]string, error) { return nil, nil }
func (e *recorder) Init(context.Context, engine.InitOptions) error {
	e.calls = append(e.calls, "init")
	return nil
}
func (e *recorder) Validate(context.Context) ([]engine.Diagnostic, error) { return nil, nil }
func (e *recorder) Plan(_ context.Context, o engine.PlanOptions) (*engine.Plan, error) {
	e.calls = append(e.calls, "plan")
	if e.planErr != nil {
		return &engine.Plan{Text: "Error: boom"}, e.planErr
	}
	// The saved plan is the engine's to write, as Terraform's plan -out.
	if err := os.WriteFile(filepath.Join(e.root, o.Out), []byte("saved plan"), 0o600); err != nil {
		return nil, err
	}
	return &engine.Plan{Summary: e.summary, Fingerprint: "f1", HasChanges: e.changes, Text: e.text}, nil
}
func (e *recorder) ReadPlan(_ context.Context, o engine.ReadOptions) (*engine.Plan, error) {
	e.calls = append(e.calls, "read-plan")
	e.readVarFiles = o.VarFiles
	fp := e.readFP
	if fp == "" {
		fp = "f1"
	}
	return &engine.Plan{Summary: e.summary, Fingerprint: fp}, nil
}
func (e *recorder) Apply(_ context.Context, o engine.ApplyOptions) (*engine.ApplyReport, error) {
	e.calls = append(e.calls, "apply")
	e.applyVarFiles = o.VarFiles
	return e.report, e.applyErr
}
func (e *recorder) Outputs(context.Context) (map[string]engine.Output, error) { return nil, nil }
func (e *recorder) StateFingerprint(context.Context) (string, error) {
	e.calls = append(e.calls, "state")
	return e.state, nil
}

// log is a Reporter that keeps the order of masks and log writes.
type log struct{ events []string }

func (l *log) Printf(format string, args ...any) {
	l.events = append(l.events, "printf "+fmt.Sprintf(format, args...))
}
func (l *log) Group(title string) func() {
	l.events = append(l.events, "group "+title)
	return func() {}
}
func (l *log) Log() io.Writer { return l }
func (l *log) Write(p []byte) (int, error) {
	l.events = append(l.events, "log "+string(p))
	return len(p), nil
}
func (l *log) Mask(secrets ...string) {
	l.events = append(l.events, "mask "+strings.Join(secrets, ","))
}

func stack(t *testing.T, e *recorder) Stack {
	root := t.TempDir()
	e.root = root
	name := e.name
	if name == "" {
		name = engine.Terraform
	}
	return Stack{Dir: "infra", Root: root, Engine: e, Identity: engine.Identity{Name: name, Version: "1.11.4"}}
}

var deletes = &plan.Summary{Destroy: 1, Changes: []plan.Change{{Address: "aws_db_instance.main", Action: plan.ActionDelete}}, Secrets: []string{"hunter2"}}

func planOpts() PlanOptions {
	return PlanOptions{PlanFile: "tfplan", Commit: "abc1234", Environment: "production", LockstepVersion: "0.9.0", Now: time.Unix(1e9, 0)}
}

func applyOpts() ApplyOptions {
	return ApplyOptions{PlanFile: "tfplan", Commit: "abc1234", Environment: "production"}
}

func TestPlanMasksBeforeTheTextAndBindsTheRun(t *testing.T) {
	e := &recorder{summary: deletes, changes: true, text: "password = hunter2"}
	s := stack(t, e)
	// Left by an earlier run: must not survive to pair with this plan.
	require.NoError(t, os.WriteFile(binding.Path(filepath.Join(s.Root, "tfplan")), []byte("{}"), 0o600))
	r := &log{}
	p, err := Plan(context.Background(), r, s, planOpts())
	require.NoError(t, err)
	assert.Equal(t, []string{"init", "plan", "state"}, e.calls)

	mask, text := -1, -1
	for i, ev := range r.events {
		switch ev {
		case "mask hunter2":
			mask = i
		case "log password = hunter2":
			text = i
		}
	}
	require.GreaterOrEqual(t, mask, 0, "the plan's secrets are masked: %q", r.events)
	require.GreaterOrEqual(t, text, 0, "the plan text is logged: %q", r.events)
	assert.Less(t, mask, text, "masked before the text reaches the log")

	rec, err := binding.Read(binding.Path(p.PlanPath))
	require.NoError(t, err)
	assert.Equal(t, "terraform", rec.Engine)
	assert.Equal(t, "1.11.4", rec.EngineVersion)
	assert.Equal(t, "abc1234", rec.Commit)
	assert.Equal(t, "infra", rec.Directory)
	assert.Equal(t, "f1", rec.Fingerprint)
	assert.True(t, rec.HasChanges)
	assert.Equal(t, 1, rec.Counts.Destroy)
}

func TestPlanFailureWritesNoRecord(t *testing.T) {
	e := &recorder{planErr: errors.New("running terraform plan: exit status 1")}
	s := stack(t, e)
	r := &log{}
	_, err := Plan(context.Background(), r, s, planOpts())
	assert.Contains(t, r.events, "log Error: boom", "the engine's own diagnostics reach the log")
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "plan-failed", f.Reason)
	_, statErr := os.Stat(binding.Path(filepath.Join(s.Root, "tfplan")))
	assert.ErrorIs(t, statErr, os.ErrNotExist)
}

// planned makes a real binding record for the recorder's plan.
func planned(t *testing.T, e *recorder) Stack {
	s := stack(t, e)
	_, err := Plan(context.Background(), &log{}, s, planOpts())
	require.NoError(t, err)
	require.Equal(t, []string{"init", "plan", "state"}, e.calls)
	e.calls = nil
	return s
}

func TestApplyOrderAndRefusals(t *testing.T) {
	stale := fmt.Errorf("terraform refused the saved plan as stale: %w", engine.ErrStalePlan)
	tests := []struct {
		name      string
		engine    *recorder
		edit      func(s Stack, o *ApplyOptions)
		reason    string // "" applies
		wantCalls []string
	}{
		{"applies when everything holds", &recorder{summary: &plan.Summary{Add: 1, Changes: []plan.Change{{Address: "a.b", Action: plan.ActionCreate}}}, changes: true},
			nil, "", []string{"init", "read-plan", "apply"}},
		{"another commit: nothing runs", &recorder{summary: deletes, changes: true},
			func(s Stack, o *ApplyOptions) { o.Commit = "def5678" }, "binding-commit", nil},
		{"another engine version: nothing runs", &recorder{summary: deletes, changes: true},
			func(s Stack, o *ApplyOptions) {}, "binding-engine", nil},
		{"destroy without an allow: refused after reading the plan", &recorder{summary: deletes, changes: true},
			func(s Stack, o *ApplyOptions) { o.Policy = policy.Policy{} }, "destroy-not-allowed", []string{"init", "read-plan"}},
		{"destroy allowed by the hook", &recorder{summary: deletes, changes: true},
			func(s Stack, o *ApplyOptions) {
				o.AllowDestroys = func(context.Context, *policy.DestroyRefusedError, binding.Record) error { return nil }
			}, "", []string{"init", "read-plan", "apply"}},
		{"declined approval: never applied", &recorder{summary: deletes, changes: true},
			func(s Stack, o *ApplyOptions) {
				o.Policy.AllowDestroy = true
				o.Approve = func(*plan.Summary, binding.Record) error { return Refuse("approval-declined", errors.New("no")) }
			}, "approval-declined", []string{"init", "read-plan"}},
		{"no changes: nothing applied", &recorder{summary: &plan.Summary{}},
			nil, "", []string{"init", "read-plan"}},
		{"state moved on, for an engine that does not check it", &recorder{summary: &plan.Summary{Add: 1}, changes: true, state: "s1"},
			func(s Stack, o *ApplyOptions) { s.Engine.(*recorder).state = "s2" }, "plan-stale", []string{"init", "read-plan", "state"}},
		{"same state, for an engine that does not check it", &recorder{summary: &plan.Summary{Add: 1}, changes: true, state: "s1"},
			nil, "", []string{"init", "read-plan", "state", "apply"}},
		{"the saved plan's changes are not the recorded ones", &recorder{summary: &plan.Summary{Add: 1}, changes: true, readFP: "f2"},
			nil, "binding-fingerprint", []string{"init", "read-plan"}},
		{"stale plan", &recorder{summary: &plan.Summary{Add: 1}, changes: true, applyErr: stale},
			nil, "plan-stale", []string{"init", "read-plan", "apply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := planned(t, tt.engine)
			o := applyOpts()
			if tt.edit != nil {
				tt.edit(s, &o)
			}
			if tt.reason == "binding-engine" {
				s.Identity.Version = "1.9.8"
			}
			applied, err := Apply(context.Background(), &log{}, s, o)
			assert.Equal(t, tt.wantCalls, tt.engine.calls)
			if tt.reason == "" {
				require.NoError(t, err)
				require.NotNil(t, applied.Report)
				return
			}
			var r *Refusal
			require.ErrorAs(t, err, &r)
			assert.Equal(t, tt.reason, r.Reason)
			assert.Nil(t, applied)
		})
	}
}

// plannedWithVarFile plans the recorder's stack with one var-file of that
// content, then forgets the plan's calls.
func plannedWithVarFile(t *testing.T, e *recorder, name, content string) (Stack, *Planned) {
	t.Helper()
	s := stack(t, e)
	require.NoError(t, os.WriteFile(filepath.Join(s.Root, name), []byte(content), 0o600))
	o := planOpts()
	o.VarFiles = []string{name}
	p, err := Plan(context.Background(), &log{}, s, o)
	require.NoError(t, err)
	e.calls = nil
	return s, p
}

// An engine whose saved plan does not carry the var-files (Pulumi's stack
// config file) reads them again at apply: the record binds their content,
// apply hands the recorded ones to the engine, and a file changed, gone or
// outside the repository is refused before the engine runs.
func TestVarFilesAreBoundForAnEngineThatReadsThemAtApply(t *testing.T) {
	for _, tt := range []struct {
		name   string
		edit   func(t *testing.T, s Stack)
		reason string // "" applies
		msg    string
	}{
		{"unchanged", nil, "", ""},
		{"changed", func(t *testing.T, s Stack) {
			require.NoError(t, os.WriteFile(filepath.Join(s.Root, "prod.yaml"), []byte("value: two\n"), 0o600))
		}, "binding-var-files", "var-file prod.yaml changed since the plan (its SHA-256 is 9ecf182eaa00, the plan read 549aa4d1f177)"},
		{"gone", func(t *testing.T, s Stack) {
			require.NoError(t, os.Remove(filepath.Join(s.Root, "prod.yaml")))
		}, "binding-var-files", "var-file prod.yaml, which the plan read, is missing"},
		{"a record naming a file outside the repository", func(t *testing.T, s Stack) {
			path := binding.Path(filepath.Join(s.Root, "tfplan"))
			rec, err := binding.Read(path)
			require.NoError(t, err)
			rec.VarFiles[0].Path = "../../prod.yaml"
			require.NoError(t, binding.Write(path, rec))
		}, "binding-var-files", `names var-file "../../prod.yaml", which is not a path inside the repository`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := &recorder{summary: &plan.Summary{Add: 1}, changes: true, name: engine.Pulumi}
			s, p := plannedWithVarFile(t, e, "prod.yaml", "value: one\n")
			assert.Equal(t, []binding.VarFile{{Path: "prod.yaml", SHA256: "549aa4d1f1772ca92d96a87e26660b2674dfaa167b926d9ce38a6f3a8d37b853"}}, p.Record.VarFiles)
			if tt.edit != nil {
				tt.edit(t, s)
			}
			_, err := Apply(context.Background(), &log{}, s, applyOpts())
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, []string{"init", "read-plan", "apply"}, e.calls)
				assert.Equal(t, []string{"prod.yaml"}, e.readVarFiles)
				assert.Equal(t, []string{"prod.yaml"}, e.applyVarFiles)
				return
			}
			var r *Refusal
			require.ErrorAs(t, err, &r)
			assert.Equal(t, tt.reason, r.Reason)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Empty(t, e.calls, "refused before the engine runs")
		})
	}
}

// Terraform's saved plan holds its variables: the record lists the
// var-files, and apply neither reads them nor minds that they changed (a
// var-file the plan job wrote need not exist at apply).
func TestVarFilesAreNotReadAgainForTerraform(t *testing.T) {
	e := &recorder{summary: &plan.Summary{Add: 1}, changes: true}
	s, p := plannedWithVarFile(t, e, "prod.tfvars", "value = \"one\"\n")
	require.Len(t, p.Record.VarFiles, 1)
	assert.Equal(t, "prod.tfvars", p.Record.VarFiles[0].Path)
	require.NoError(t, os.Remove(filepath.Join(s.Root, "prod.tfvars")))
	_, err := Apply(context.Background(), &log{}, s, applyOpts())
	require.NoError(t, err)
	assert.Equal(t, []string{"init", "read-plan", "apply"}, e.calls)
	assert.Nil(t, e.readVarFiles)
	assert.Nil(t, e.applyVarFiles)
}

func TestApplyFailureKeepsTheReport(t *testing.T) {
	report := &engine.ApplyReport{Applied: []engine.ResourceResult{{Address: "a.one", Action: "create"}}, Failed: []engine.ResourceResult{{Address: "a.two", Action: "create", Error: "boom"}}}
	e := &recorder{summary: &plan.Summary{Add: 2}, changes: true, applyErr: errors.New("running terraform apply: exit status 1"), report: report}
	s := planned(t, e)
	applied, err := Apply(context.Background(), &log{}, s, applyOpts())
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "apply-failed", f.Reason)
	assert.Contains(t, err.Error(), "infrastructure is not rolled back")
	require.NotNil(t, applied)
	assert.Equal(t, report, applied.Report)
	assert.EqualError(t, applied.ApplyErr, "running terraform apply: exit status 1")
}
