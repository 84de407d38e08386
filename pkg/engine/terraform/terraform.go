package terraform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	tfcli "github.com/lockstep-ci/lockstep/pkg/terraform"
)

// Options configure the adapter for one stack.
type Options struct {
	// Engine is engine.Terraform (the default) or engine.OpenTofu.
	Engine string
	// ExecPath is the binary (looked up in PATH when not absolute).
	ExecPath string
	// Dir is the stack's root module.
	Dir string
	// Log receives the engine's human output; nil discards it.
	Log io.Writer
}

// Adapter drives one stack's Terraform or OpenTofu.
type Adapter struct {
	name string
	path string
	tf   *tfcli.Terraform
}

var _ engine.Engine = (*Adapter)(nil)

// New returns the adapter for o.Dir.
func New(o Options) (*Adapter, error) {
	name := o.Engine
	if name == "" {
		name = engine.Terraform
	}
	if name != engine.Terraform && name != engine.OpenTofu {
		return nil, fmt.Errorf("engine %q is not Terraform or OpenTofu", name)
	}
	tf, err := tfcli.New(tfcli.Options{ExecPath: o.ExecPath, Dir: o.Dir, Log: o.Log})
	if err != nil {
		return nil, err
	}
	return &Adapter{name: name, path: o.ExecPath, tf: tf}, nil
}

// Identity reads which engine the binary is and its version. A binary
// older than lockstep supports, or another engine than the one asked for
// (terraform for engine opentofu, say), is an *engine.UnsupportedError.
func (a *Adapter) Identity(ctx context.Context) (engine.Identity, error) {
	product, v, err := a.tf.Product(ctx)
	id := engine.Identity{Name: a.name, Version: v}
	var old *tfcli.TooOldError
	if errors.As(err, &old) {
		return id, &engine.UnsupportedError{Path: a.path, Found: "version " + old.Found, Problem: old.Need() + ": point it at a newer binary"}
	}
	if err != nil {
		return id, err
	}
	if want := engine.DisplayName(a.name); product != want {
		return id, &engine.UnsupportedError{Path: a.path, Found: product + " " + v,
			Problem: "engine " + a.name + " needs " + want + ": point terraform-path at the " + want + " binary, or set engine to match it"}
	}
	return id, nil
}

// FormatCheck lists the files terraform fmt would change.
func (a *Adapter) FormatCheck(ctx context.Context) ([]string, error) { return a.tf.FormatCheck(ctx) }

// Init runs init.
func (a *Adapter) Init(ctx context.Context, o engine.InitOptions) error {
	return a.tf.Init(ctx, tfcli.InitOptions{NoBackend: o.NoBackend, BackendConfig: o.BackendConfig})
}

// Validate runs validate -json.
func (a *Adapter) Validate(ctx context.Context) ([]engine.Diagnostic, error) {
	out, err := a.tf.Validate(ctx)
	if err != nil {
		return nil, err
	}
	ds := make([]engine.Diagnostic, 0, len(out.Diagnostics))
	for _, d := range out.Diagnostics {
		ed := engine.Diagnostic{Warning: d.Severity == "warning", Summary: d.Summary, Detail: d.Detail}
		if d.Range != nil {
			ed.File = d.Range.Filename
			ed.Line, ed.Column = d.Range.Start.Line, d.Range.Start.Column
			ed.EndLine, ed.EndColumn = d.Range.End.Line, d.Range.End.Column
		}
		ds = append(ds, ed)
	}
	return ds, nil
}

// Plan runs plan -out, then reads the saved plan back with show -json.
// The plan text returned is Terraform's own (sensitive values hidden by
// Terraform), trimmed for display; the caller logs it after masking.
func (a *Adapter) Plan(ctx context.Context, o engine.PlanOptions) (*engine.Plan, error) {
	res, err := a.tf.Plan(ctx, tfcli.PlanOptions{Out: o.Out, VarFiles: o.VarFiles, LockTimeout: o.LockTimeout})
	if err != nil {
		// Terraform's own diagnostics say why; they hide sensitive values.
		return &engine.Plan{Text: res.Text}, locked(err, err.Error())
	}
	p, err := a.ReadPlan(ctx, engine.ReadOptions{PlanFile: o.Out})
	if err != nil {
		return nil, err
	}
	p.HasChanges = res.HasChanges
	p.Text = tfcli.DisplayText(res.Text)
	return p, nil
}

// ReadPlan decodes a saved plan with show -json and summarises it. The
// decoded plan (with its secrets in clear text) does not outlive the call.
// HasChanges stays false: only plan's exit code says it, and the binding
// record keeps that answer. The plan holds its variables: o.VarFiles
// are not read.
func (a *Adapter) ReadPlan(ctx context.Context, o engine.ReadOptions) (*engine.Plan, error) {
	tfPlan, err := a.tf.ShowPlan(ctx, o.PlanFile)
	if err != nil {
		return nil, err
	}
	summary, err := plan.Summarize(tfPlan)
	if err != nil {
		return nil, fmt.Errorf("summarising the plan: %w", err)
	}
	summary.Engine = a.name
	return &engine.Plan{Summary: summary, Fingerprint: plan.Fingerprint(tfPlan)}, nil
}

// Apply applies the saved plan.
func (a *Adapter) Apply(ctx context.Context, o engine.ApplyOptions) (*engine.ApplyReport, error) {
	r, err := a.tf.Apply(ctx, tfcli.ApplyOptions{PlanFile: o.PlanFile, LockTimeout: o.LockTimeout})
	report := convertReport(r)
	if err != nil {
		err = locked(err, err.Error()+"\n"+strings.Join(report.Errors, "\n"))
	}
	if errors.Is(err, tfcli.ErrStalePlan) {
		return report, fmt.Errorf("%s refused the saved plan as stale: %w", engine.DisplayName(a.name), engine.ErrStalePlan)
	}
	return report, err
}

// StateFingerprint is "": Terraform refuses a saved plan whose state moved
// on by itself (lineage and serial), reported as engine.ErrStalePlan.
func (a *Adapter) StateFingerprint(context.Context) (string, error) { return "", nil }

// Outputs reads the root module's outputs from the state.
func (a *Adapter) Outputs(ctx context.Context) (map[string]engine.Output, error) {
	outs, err := a.tf.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	return convertOutputs(outs), nil
}

// locked wraps err as an *engine.LockedError when text holds Terraform's
// "Error acquiring the state lock" diagnostic.
func locked(err error, text string) error {
	info, ok := tfcli.StateLock(text)
	if !ok {
		return err
	}
	return &engine.LockedError{ID: info.ID, Who: info.Who, Operation: info.Operation, Created: info.Created, Err: err}
}

func convertReport(r *tfcli.ApplyReport) *engine.ApplyReport {
	if r == nil {
		return &engine.ApplyReport{}
	}
	conv := func(rs []tfcli.ResourceResult) []engine.ResourceResult {
		if rs == nil {
			return nil
		}
		out := make([]engine.ResourceResult, len(rs))
		for i, x := range rs {
			out[i] = engine.ResourceResult{Address: x.Address, Action: x.Action, Error: x.Error}
		}
		return out
	}
	return &engine.ApplyReport{
		Planned: conv(r.Planned), Applied: conv(r.Applied), Failed: conv(r.Failed), NotReached: conv(r.NotReached),
		Errors: r.Errors, Outputs: convertOutputs(r.Outputs),
	}
}

func convertOutputs(in map[string]tfcli.Output) map[string]engine.Output {
	if in == nil {
		return nil
	}
	out := make(map[string]engine.Output, len(in))
	for name, o := range in {
		out[name] = engine.Output{Sensitive: o.Sensitive, Value: o.Value}
	}
	return out
}
