// Package terraform adapts hashicorp/terraform-exec to what lockstep needs:
// fmt check, init, validate, plan (capturing Terraform's own human plan text),
// show -json and apply. It decides where each command's output goes: logs go
// to the caller's (masked) writer, and machine output such as show -json never
// reaches the log. The same runner drives OpenTofu, whose command line and
// JSON formats are Terraform's; Product tells the two apart.
package terraform

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
)

// Options configure a Terraform runner for one root module.
type Options struct {
	ExecPath string    // terraform or tofu binary (looked up in PATH when not absolute)
	Dir      string    // the root module
	Log      io.Writer // human output (init, stderr); nil discards
}

// Terraform runs Terraform commands in one root module. Its methods are not
// safe for concurrent use; run one Terraform per module.
type Terraform struct {
	tf       *tfexec.Terraform
	log      io.Writer
	execPath string // as given, for messages
	mu       sync.Mutex
	product  *productVersion // what Product found, once read
	segments []int           // the product's version: major, minor, patch
}

// New returns a runner for o.Dir.
func New(o Options) (*Terraform, error) {
	execPath, err := lookPath(o.ExecPath)
	if err != nil {
		return nil, err
	}
	tf, err := tfexec.NewTerraform(o.Dir, execPath)
	if err != nil {
		return nil, fmt.Errorf("using terraform in %s: %w", o.Dir, err)
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	tf.SetStderr(log)
	tf.SetStdout(log)
	return &Terraform{tf: tf, log: log, execPath: o.ExecPath}, nil
}

// withStdout runs f with Terraform's stdout sent to w instead of the log.
// terraform-exec copies every command's stdout to the writer set here, so
// commands whose stdout is data (show -json, validate -json) must not
// leave it pointing at the log.
func (t *Terraform) withStdout(w io.Writer, f func() error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tf.SetStdout(w)
	defer t.tf.SetStdout(t.log)
	return f()
}

// FormatCheck returns the files (relative to the module) that terraform fmt
// would change.
func (t *Terraform) FormatCheck(ctx context.Context) ([]string, error) {
	var files []string
	err := t.withStdout(io.Discard, func() error {
		_, f, err := t.tf.FormatCheck(ctx)
		if err != nil {
			return fmt.Errorf("running terraform fmt -check: %w", err)
		}
		files = f
		return nil
	})
	return files, err
}

// InitOptions configure terraform init.
type InitOptions struct {
	NoBackend     bool     // -backend=false, for validate
	BackendConfig []string // -backend-config values
}

// Init runs terraform init, logging its output. Inits that share a provider
// plugin cache (TF_PLUGIN_CACHE_DIR) run one at a time, in this process and
// across processes; see lockPluginCache.
func (t *Terraform) Init(ctx context.Context, o InitOptions) error {
	opts := []tfexec.InitOption{tfexec.Backend(!o.NoBackend)}
	for _, bc := range o.BackendConfig {
		opts = append(opts, tfexec.BackendConfig(bc))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	unlock, err := lockPluginCache(ctx, t.tf.WorkingDir(), t.log)
	if err != nil {
		return fmt.Errorf("running terraform init: %w", err)
	}
	defer unlock()
	if err := t.tf.Init(ctx, opts...); err != nil {
		return fmt.Errorf("running terraform init: %w", err)
	}
	return nil
}

// Validate runs terraform validate -json and returns its diagnostics (also
// when the configuration is invalid).
func (t *Terraform) Validate(ctx context.Context) (*tfjson.ValidateOutput, error) {
	var out *tfjson.ValidateOutput
	err := t.withStdout(io.Discard, func() error {
		v, err := t.tf.Validate(ctx)
		if err != nil {
			return fmt.Errorf("running terraform validate: %w", err)
		}
		out = v
		return nil
	})
	return out, err
}

// PlanOptions configure terraform plan.
type PlanOptions struct {
	Out         string // -out, relative to the module
	VarFiles    []string
	LockTimeout time.Duration
}

// PlanResult is what terraform plan said.
type PlanResult struct {
	HasChanges bool
	// Text is Terraform's own human output of the plan (sensitive values
	// already hidden by Terraform), captured instead of running
	// terraform show a second time.
	Text string
}

// Plan runs terraform plan -out. Its stdout is captured, not logged: the
// caller prints it through the masker once it knows the plan's secrets.
func (t *Terraform) Plan(ctx context.Context, o PlanOptions) (PlanResult, error) {
	opts := []tfexec.PlanOption{tfexec.Out(o.Out), tfexec.LockTimeout(lockTimeout(o.LockTimeout))}
	for _, vf := range o.VarFiles {
		opts = append(opts, tfexec.VarFile(vf))
	}
	var buf bytes.Buffer
	var res PlanResult
	err := t.withStdout(&buf, func() error {
		changes, err := t.tf.Plan(ctx, opts...)
		res = PlanResult{HasChanges: changes, Text: buf.String()}
		if err != nil {
			return fmt.Errorf("running terraform plan: %w", err)
		}
		return nil
	})
	return res, err
}

// ShowPlan decodes a saved plan with terraform show -json, streaming:
// the plan holds what plan.Summarize and plan.Fingerprint read (see
// plan.Decode). The JSON holds secrets in clear text: it is never logged,
// buffered whole or written to disk.
func (t *Terraform) ShowPlan(ctx context.Context, planFile string) (*tfjson.Plan, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, err := t.showPlan(ctx, planFile)
	if err != nil {
		return nil, fmt.Errorf("reading the saved plan with terraform show -json: %w", err)
	}
	return p, nil
}

func lockTimeout(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return d.String()
}
