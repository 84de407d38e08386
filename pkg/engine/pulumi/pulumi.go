package pulumi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// Options configure the adapter for one stack.
type Options struct {
	// ExecPath is the pulumi binary (looked up in PATH when empty or not a
	// path).
	ExecPath string
	// Dir is the Pulumi project (the directory holding Pulumi.yaml).
	Dir string
	// Stack is the stack's name, as `pulumi stack select` takes it.
	Stack string
	// Env is added to the process environment of every pulumi command
	// (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, ...).
	Env []string
	// Log receives the engine's human output while it initialises and
	// applies; nil discards it. Plan's output is returned as the plan's
	// Text instead, for the caller to mask first.
	Log io.Writer
}

// Adapter drives one Pulumi stack.
type Adapter struct {
	path  string
	dir   string
	stack string
	env   []string
	log   io.Writer

	// mu guards planState.
	mu sync.Mutex
	// planState is the state fingerprint Plan took as its preview started,
	// for the StateFingerprint call that follows it (see Plan).
	planState string
}

var _ engine.Engine = (*Adapter)(nil)

// stackName is what a stack name may be: Pulumi's own characters, with an
// optional org/project/ prefix. Anything else (an option, a path) is
// refused before it reaches a command line.
var stackName = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$`)

// New returns the adapter for the stack o.Stack of the project in o.Dir.
func New(o Options) (*Adapter, error) {
	if o.Stack == "" {
		return nil, errors.New("the stack input is empty: Pulumi needs the name of the stack to plan")
	}
	if !stackName.MatchString(o.Stack) || strings.HasPrefix(o.Stack, "-") || slices.ContainsFunc(strings.Split(o.Stack, "/"), func(s string) bool { return s == "." || s == ".." }) {
		return nil, fmt.Errorf("the stack input %q is not a Pulumi stack name (letters, digits, _ . -, optionally org/project/ before it)", o.Stack)
	}
	if o.Dir == "" {
		return nil, errors.New("the Pulumi project directory is empty")
	}
	path := o.ExecPath
	if path == "" {
		path = "pulumi"
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	return &Adapter{path: path, dir: o.Dir, stack: o.Stack, env: o.Env, log: log}, nil
}

// environ is the environment of every pulumi command: the process's as
// every child of lockstep gets it (childenv: no inputs, runner credentials
// or tokens), then Options.Env, then what keeps Pulumi quiet and what
// lockstep needs of it:
// --event-log is one of its "debug commands" (Pulumi's Automation API sets
// the same variable for its event streams).
func (a *Adapter) environ() []string {
	env := append(childenv.Environ(), a.env...)
	return append(env, "PULUMI_SKIP_UPDATE_CHECK=true", "PULUMI_DEBUG_COMMANDS=true")
}

// cancelWait is how long a cancelled pulumi command other than up may take
// to stop before it is killed.
const cancelWait = 10 * time.Second

// run runs pulumi with args in the project directory. Standard output goes
// to stdout (nil: returned); standard error is kept for the error.
func (a *Adapter) run(ctx context.Context, stdout io.Writer, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, a.path, args...)
	cmd.Dir = a.dir
	cmd.Env = a.environ()
	// On cancellation pulumi gets an interrupt and stops cleanly, finishing
	// the steps under way and writing the state. An update is never killed
	// (a killed one leaves pending operations in the state); anything else
	// is, once it has had cancelWait to stop.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if args[0] != "up" {
		cmd.WaitDelay = cancelWait
	}
	var out, stderr bytes.Buffer
	if stdout != nil {
		cmd.Stdout = stdout
	} else {
		cmd.Stdout = &out
	}
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return out.Bytes(), fmt.Errorf("running pulumi %s: %w", args[0], err)
		}
		return out.Bytes(), fmt.Errorf("running pulumi %s: %w: %s", args[0], err, msg)
	}
	return out.Bytes(), nil
}

// stackArgs are the flags every stack command takes.
func (a *Adapter) stackArgs(args ...string) []string {
	return append(args, "--stack", a.stack, "--non-interactive", "--color", "never")
}

// Identity runs `pulumi version`.
func (a *Adapter) Identity(ctx context.Context) (engine.Identity, error) {
	id := engine.Identity{Name: engine.Pulumi}
	out, err := a.run(ctx, nil, "version")
	if err != nil {
		return id, err
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if !regexp.MustCompile(`^3\.\d+\.\d+`).MatchString(v) {
		return id, &engine.UnsupportedError{Path: a.path, Found: fmt.Sprintf("%q (from pulumi version)", strings.TrimSpace(string(out))), Problem: "lockstep needs Pulumi 3"}
	}
	id.Version = v
	return id, nil
}

// FormatCheck is nil: Pulumi has no formatter of its own (a program's
// language has its own).
func (a *Adapter) FormatCheck(context.Context) ([]string, error) { return nil, nil }

// Init selects the stack, creating it when the backend has none of that
// name. With o.NoBackend there is nothing to do: Pulumi has no offline
// initialisation.
func (a *Adapter) Init(ctx context.Context, o engine.InitOptions) error {
	if o.NoBackend {
		return nil
	}
	if len(o.BackendConfig) > 0 {
		return errors.New("backend-config is for Terraform and OpenTofu: a Pulumi stack's backend comes from PULUMI_BACKEND_URL or `pulumi login`")
	}
	// Select only, never create: a pull request's plan must not add stacks
	// to a shared backend, and a misspelt stack name must not plan
	// creating everything.
	out, err := a.run(ctx, a.log, "stack", "select", "--stack", a.stack, "--non-interactive", "--color", "never")
	if err != nil {
		if strings.Contains(string(out)+err.Error(), "no stack named") {
			return fmt.Errorf("the Pulumi stack %s does not exist in the backend: create it once with `pulumi stack init %s` (lockstep never creates a stack): %w", a.stack, a.stack, err)
		}
		return fmt.Errorf("selecting the Pulumi stack %s: %w", a.stack, err)
	}
	return nil
}

// Validate checks that the directory is a Pulumi project. Pulumi has no
// check of the program cheaper than a preview, which plan runs anyway.
func (a *Adapter) Validate(context.Context) ([]engine.Diagnostic, error) {
	for _, name := range []string{"Pulumi.yaml", "Pulumi.yml"} {
		if _, err := os.Stat(filepath.Join(a.dir, name)); err == nil {
			return nil, nil
		}
	}
	return []engine.Diagnostic{{
		Summary: "not a Pulumi project",
		Detail:  "there is no Pulumi.yaml in the working directory: with engine pulumi, working-directory is the directory holding the project's Pulumi.yaml",
	}}, nil
}

// Plan runs `pulumi preview --json --save-plan --event-log` and summarises
// the saved plan with the preview's events. Its Text is written from the
// events (previewText), secrets shown as [secret]; the config's secret
// values and the state's secrets are in the Summary's Secrets for the
// caller to mask.
func (a *Adapter) Plan(ctx context.Context, o engine.PlanOptions) (*engine.Plan, error) {
	if o.Scratch {
		return a.driftPlan(ctx, o) // drift.go: a refreshing preview
	}
	args, events, cleanup, err := a.previewArgs(o)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	// What the plan needs besides the preview only reads the config and
	// the state, which a preview does not write: the state's export (a
	// pulumi start), then the secrets to mask (secretReads), beside the
	// preview instead of after it. The export for the binding is taken as
	// the preview starts, so that it is the state the preview reads (see
	// StateFingerprint).
	side, cancel := context.WithCancel(ctx)
	defer cancel()
	state := a.start(side, a.stackArgs("stack", "export")...)
	configFile, _ := stackConfigFile(o.VarFiles) // previewArgs refused more than one
	reads := a.secretReads(side, state, configFile)
	defer func() { cancel(); reads.wait(); state.wait() }()

	_, runErr := a.run(ctx, io.Discard, args...)
	evs, evErr := readEvents(events)
	if runErr == nil && evErr == nil {
		runErr = reportedError(evs)
	}
	if runErr != nil {
		// The caller logs a failed plan's text without masking it first:
		// Pulumi shows secrets as [secret], but a program's own error may
		// quote a config value, so the config's secrets are taken out here.
		var secrets []string
		if reads.wait(); reads.configErr == nil {
			secrets, _ = collectSecrets(reads.config, []byte("{}"))
		}
		p, err := failedPlan(a.stack, failedText(a.stack, evs), runErr, secrets)
		return p, err
	}
	if evErr != nil {
		return nil, evErr
	}
	raw, err := os.ReadFile(a.abs(o.Out))
	if err != nil {
		return nil, fmt.Errorf("reading the saved Pulumi plan: %w", err)
	}
	dp, err := decodePlan(raw)
	if err != nil {
		return nil, err
	}
	stateOut, err := state.wait()
	if err != nil {
		return nil, fmt.Errorf("exporting the state of stack %s: %w", a.stack, err)
	}
	if reads.wait(); reads.configErr != nil {
		return nil, reads.configErr
	}
	if reads.stateErr != nil {
		return nil, reads.stateErr
	}
	fp, err := stateFingerprint(stateOut)
	if err != nil {
		return nil, err
	}
	p := &engine.Plan{Summary: summarize(dp), Fingerprint: fingerprint(dp)}
	if p.Summary.Secrets, err = collectSecrets(reads.config, reads.export); err != nil {
		return nil, err
	}
	enrich(p.Summary, evs)
	// The events show a secret output as [secret] before and after, so
	// enrich counts every one as changed; the plan's stack goal says which
	// really change.
	p.Summary.Outputs = keepChangedSecretsOf(p.Summary.Outputs, dp)
	p.HasChanges = hasChanges(p.Summary)
	p.Text = previewText(a.stack, p.Summary, evs)
	a.mu.Lock()
	a.planState = fp
	a.mu.Unlock()
	return p, nil
}

// background is a pulumi command running beside another.
type background struct {
	done chan struct{}
	out  []byte
	err  error
}

// start runs pulumi with args in the background.
func (a *Adapter) start(ctx context.Context, args ...string) *background {
	bg := &background{done: make(chan struct{})}
	go func() {
		defer close(bg.done)
		bg.out, bg.err = a.run(ctx, nil, args...)
	}()
	return bg
}

// reads are the config's secret values and the state's secrets, as
// collectSecrets takes them, read in the background.
type reads struct {
	done chan struct{}
	// config is `pulumi config --json --show-secrets`, or what lockstep
	// decrypted in-process in its shape.
	config    []byte
	configErr error
	// export is `pulumi stack export --show-secrets` ("{}" when the state
	// holds no secret), or what lockstep decrypted in-process in its
	// shape.
	export   []byte
	stateErr error
}

// secretReads reads, once state (the encrypted export) is in, the
// config's secret values (of configFile when given) and the state's
// secrets: in-process for a stack on the passphrase provider
// (localSecrets), else with the CLI, both commands at once, the decrypted
// export only when the state holds secrets.
func (a *Adapter) secretReads(ctx context.Context, state *background, configFile string) *reads {
	r := &reads{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		export, exportErr := state.wait()
		if exportErr == nil {
			if cfg, plain, err := a.localSecrets(export, configFile); err == nil {
				r.config, r.export = cfg, plain
				return
			}
		}
		cfg := a.start(ctx, withConfigFile(a.stackArgs("config", "--json", "--show-secrets"), configFile)...)
		switch {
		case exportErr != nil:
			r.stateErr = fmt.Errorf("exporting the state of stack %s: %w", a.stack, exportErr)
		case !holdsSecrets(export):
			r.export = []byte("{}")
		default:
			if r.export, r.stateErr = a.run(ctx, nil, a.stackArgs("stack", "export", "--show-secrets")...); r.stateErr != nil {
				r.stateErr = fmt.Errorf("exporting the state of stack %s: %w", a.stack, r.stateErr)
			}
		}
		if r.config, r.configErr = cfg.wait(); r.configErr != nil {
			r.configErr = fmt.Errorf("reading the config of stack %s: %w", a.stack, r.configErr)
		}
	}()
	return r
}

// wait waits for the reads to finish.
func (r *reads) wait() { <-r.done }

// holdsSecrets is whether a state export (encrypted) holds a secret:
// Pulumi stores every secret as an object marked with secretSigKey.
func holdsSecrets(export []byte) bool { return bytes.Contains(export, []byte(secretSigKey)) }

// wait waits for the command to finish and returns its standard output.
func (bg *background) wait() ([]byte, error) {
	<-bg.done
	return bg.out, bg.err
}

// previewArgs are the arguments of a preview that saves its plan to o.Out
// and its events to a fresh log (events), removed by cleanup; extra go
// before the plan's own flags. Its display is --json, the cheapest of
// Pulumi's (it only gathers the steps, for one document at the end, which
// lockstep does not read): the text comes from the events (previewText).
func (a *Adapter) previewArgs(o engine.PlanOptions, extra ...string) (args []string, events string, cleanup func(), err error) {
	configFile, err := stackConfigFile(o.VarFiles)
	if err != nil {
		return nil, "", nil, err
	}
	args = withConfigFile(a.stackArgs(append(append([]string{"preview"}, extra...), "--save-plan", o.Out, "--json")...), configFile)
	events, cleanup, err = a.eventLog()
	if err != nil {
		return nil, "", nil, err
	}
	return append(args, "--event-log", events), events, cleanup, nil
}

// stackConfigFile is the stack config file var-files names, "" for the
// stack's own (Pulumi.<stack>.yaml). Pulumi takes one.
func stackConfigFile(varFiles []string) (string, error) {
	switch len(varFiles) {
	case 0:
		return "", nil
	case 1:
		return varFiles[0], nil
	}
	return "", fmt.Errorf("var-files names %d files: Pulumi takes one stack config file", len(varFiles))
}

// withConfigFile adds --config-file file to args, when file is set.
func withConfigFile(args []string, file string) []string {
	if file == "" {
		return args
	}
	return append(args, "--config-file", file)
}

// ReadPlan summarises a saved plan file. Its secrets are the secret values
// of the stack config (o.VarFiles' file, when the plan had one) and every
// secret in the state (the plan file holds its own secrets encrypted, and
// they are the config's or the state's).
func (a *Adapter) ReadPlan(ctx context.Context, o engine.ReadOptions) (*engine.Plan, error) {
	configFile, err := stackConfigFile(o.VarFiles)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(a.abs(o.PlanFile))
	if err != nil {
		return nil, fmt.Errorf("reading the saved Pulumi plan: %w", err)
	}
	dp, err := decodePlan(raw)
	if err != nil {
		return nil, err
	}
	summary := summarize(dp)
	summary.Secrets, err = a.secrets(ctx, configFile)
	if err != nil {
		return nil, err
	}
	return &engine.Plan{Summary: summary, Fingerprint: fingerprint(dp)}, nil
}

// Apply runs `pulumi up --plan` of exactly the saved plan, with the plan's
// stack config file (o.VarFiles), and reports per resource from the engine
// events. Pulumi's refusals of operations the plan does not allow are a
// *PlanConstraintError; when the state did not move (Pulumi may still have
// written the stack's outputs, or applied steps before the refused one),
// it is also engine.ErrStalePlan.
func (a *Adapter) Apply(ctx context.Context, o engine.ApplyOptions) (*engine.ApplyReport, error) {
	configFile, err := stackConfigFile(o.VarFiles)
	if err != nil {
		return &engine.ApplyReport{}, err
	}
	a.mu.Lock()
	a.planState = "" // the state before this update is exported anew
	a.mu.Unlock()
	raw, err := os.ReadFile(a.abs(o.PlanFile))
	if err != nil {
		return &engine.ApplyReport{}, fmt.Errorf("reading the saved Pulumi plan: %w", err)
	}
	dp, err := decodePlan(raw)
	if err != nil {
		return &engine.ApplyReport{}, err
	}
	events, cleanup, err := a.eventLog()
	if err != nil {
		return &engine.ApplyReport{}, err
	}
	defer cleanup()
	// Pulumi refusing the plan may still write the stack's outputs: only a
	// state that did not move is a refusal.
	before, err := a.StateFingerprint(ctx)
	if err != nil {
		return &engine.ApplyReport{}, err
	}
	_, runErr := a.run(ctx, a.log, withConfigFile(a.stackArgs("up", "--plan", o.PlanFile, "--skip-preview", "--yes", "--event-log", events), configFile)...)
	evs, evErr := readEvents(events)
	report := applyReport(summarize(dp).Changes, evs)
	if runErr == nil && evErr != nil {
		return report, evErr
	}
	if runErr != nil {
		if c := constraintError(evs); c != nil {
			if after, err := a.StateFingerprint(ctx); err == nil && after == before {
				return report, fmt.Errorf("%w: %w", c, engine.ErrStalePlan)
			}
			c.StateChanged = true
			return report, c
		}
		if len(report.Failed) > 0 {
			f := report.Failed[0]
			return report, fmt.Errorf("pulumi up of stack %s failed at %s: %s (%w)", a.stack, f.Address, f.Error, runErr)
		}
		return report, fmt.Errorf("pulumi up of stack %s: %w", a.stack, runErr)
	}
	outs, err := a.Outputs(ctx)
	if err != nil {
		return report, err
	}
	report.Outputs = outs
	return report, nil
}

// Outputs runs `pulumi stack output --json`. Pulumi shows a secret output
// (or a secret inside one) as "[secret]": such an output is Sensitive and
// carries no value.
func (a *Adapter) Outputs(ctx context.Context) (map[string]engine.Output, error) {
	out, err := a.run(ctx, nil, a.stackArgs("stack", "output", "--json", "--show-secrets=false")...)
	if err != nil {
		return nil, fmt.Errorf("reading the outputs of stack %s: %w", a.stack, err)
	}
	return decodeOutputs(out)
}

// StateFingerprint is the SHA-256 of `pulumi stack export` with the
// deployment's manifest (the time and CLI version of the last update)
// left out. Secrets stay in as Pulumi encrypted them: an update re-encrypts
// every secret with a fresh nonce, so even an update that changed nothing
// makes a plan of a stack holding secrets stale (re-planning fixes it),
// while a changed secret is never missed.
//
// Right after Plan, the first call returns the fingerprint Plan took
// instead of exporting again: the export Plan ran as its preview started,
// which is the state the preview planned from. (Taken after the preview, as
// before, a change landing while the preview ran went unnoticed; taken
// beside it, only one landing between the two reads of the state, both in
// the commands' first second, could.)
func (a *Adapter) StateFingerprint(ctx context.Context) (string, error) {
	a.mu.Lock()
	fp := a.planState
	a.planState = ""
	a.mu.Unlock()
	if fp != "" {
		return fp, nil
	}
	out, err := a.run(ctx, nil, a.stackArgs("stack", "export")...)
	if err != nil {
		return "", fmt.Errorf("exporting the state of stack %s: %w", a.stack, err)
	}
	return stateFingerprint(out)
}

// secrets are the secret values of the config (of configFile, when set)
// and the secrets in the state, for masking (see secretReads). The
// decrypted state does not outlive the call.
func (a *Adapter) secrets(ctx context.Context, configFile string) ([]string, error) {
	r := a.secretReads(ctx, a.start(ctx, a.stackArgs("stack", "export")...), configFile)
	if r.wait(); r.configErr != nil {
		return nil, r.configErr
	}
	if r.stateErr != nil {
		return nil, r.stateErr
	}
	return collectSecrets(r.config, r.export)
}

// failedPlan is a failed preview's text and error with the secrets taken
// out (Pulumi hides the ones it knows of itself, as [secret]).
func failedPlan(stack, text string, runErr error, secrets []string) (*engine.Plan, error) {
	r := redact.New(secrets, "***")
	return &engine.Plan{Text: r.Replace(text)}, errors.New(r.Replace(fmt.Sprintf("pulumi preview of stack %s: %v", stack, runErr)))
}

// eventLog is a fresh path for --event-log, outside the project (it may
// hold secret-free but large data) and removed by cleanup.
func (a *Adapter) eventLog() (string, func(), error) {
	dir, err := os.MkdirTemp("", "lockstep-pulumi-events-")
	if err != nil {
		return "", nil, fmt.Errorf("making a directory for pulumi's event log: %w", err)
	}
	return filepath.Join(dir, "events.jsonl"), func() { _ = os.RemoveAll(dir) }, nil
}

func (a *Adapter) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(a.dir, filepath.FromSlash(p))
}

// stateFingerprint hashes an export (apitype.UntypedDeployment) without the
// deployment's manifest.
func stateFingerprint(export []byte) (string, error) {
	var d struct {
		Version    int                        `json:"version"`
		Deployment map[string]json.RawMessage `json:"deployment"`
	}
	if err := json.Unmarshal(export, &d); err != nil {
		return "", fmt.Errorf("decoding pulumi stack export: %w", err)
	}
	delete(d.Deployment, "manifest")
	// Marshalling a map sorts its keys: the hash does not depend on the
	// export's key order.
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encoding the state for its fingerprint: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
