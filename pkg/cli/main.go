package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/metrics"
	"github.com/lockstep-ci/lockstep/pkg/sealed"
	"github.com/lockstep-ci/lockstep/pkg/version"
)

// Env is everything lockstep takes from the process: arguments, streams,
// environment, files, clock and network. cmd/lockstep fills it from the real
// process; tests fill it with fakes.
type Env struct {
	Args       []string // without the program name
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Getenv     func(string) string
	ReadFile   func(string) ([]byte, error)
	Getwd      func() (string, error)
	Now        func() time.Time
	HTTPClient *http.Client
	// IsTerminal reports whether Stdin is an interactive terminal (for the
	// approval prompt in CLI mode).
	IsTerminal func() bool
	// StdoutIsTerminal reports whether Stdout is a terminal: the local
	// summary is then printed as plain text (comment.PlainText) instead of
	// Markdown. nil means no.
	StdoutIsTerminal func() bool
	// ScrubEnv removes from the process environment what no child process
	// may inherit (see childenv.Scrub), once the inputs are read and before
	// any child starts; tokens are the secret values to drop wherever they
	// are. nil leaves the environment alone (tests that run Main in-process:
	// Getenv is then not the process's).
	ScrubEnv func(tokens ...string) error
}

func (e *Env) defaults() {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.ReadFile == nil {
		e.ReadFile = os.ReadFile
	}
	if e.Getwd == nil {
		e.Getwd = os.Getwd
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.HTTPClient == nil {
		e.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if e.IsTerminal == nil {
		e.IsTerminal = func() bool { return false }
	}
}

// commandFunc runs one command with a loaded app.
type commandFunc func(ctx context.Context, a *app) error

// commands maps each command to its implementation.
var commands = map[string]commandFunc{
	"validate": runValidate,
	"plan":     runPlan,
	"apply":    runApply,
	"gate":     runGate,
	"deploy":   runDeploy,
	"verify":   runVerify,
	"rollback": runRollback,
	"history":  runHistory,
	"detect":   runDetect,
	"run":      runPipeline,
	"cleanup":  runCleanup,
	"drift":    runDrift,
}

const usage = `lockstep ships Terraform and the application together.

Usage:
  lockstep <command> [--flag value ...]   run one command locally (flags are the action's inputs)
  lockstep action                         run as the GitHub Action (reads INPUT_* and GITHUB_*)
  lockstep version                        print the version

Commands:
  validate   terraform fmt -check, init -backend=false, validate
  plan       init, plan -out, summarise; write the binding record and the summary
  apply      apply the reviewed saved plan (never re-plans; infrastructure is never rolled back)
  gate       in Actions: check apply's approval gate and promotion without running any engine
  deploy     deploy the app after the infra (--deploy-command locally), with smoke checks
             (--smoke-urls) and an automatic app rollback; records app:<v>-infra:<v>
  verify     smoke checks and the watch window; on failure, roll the app back
  rollback   redeploy the last good app version for the current infra (or --to <version>,
             --force when it never ran there). App only: to undo an infrastructure change,
             revert it and run the pipeline again; lockstep never rolls infrastructure back
  detect     the stacks a pull request, push or (locally) the last commit and uncommitted
             changes touch, as a job matrix, with their apply layers (--json)
  history    which app version ran on which infra version, when and how it ended (--json)
  cleanup    in GitHub Actions: delete this run's plan artifacts (--artifact-prefix)
  drift      plan the checked-out commit of every stack (no saved plan) and report drift:
             changes made outside Terraform and code not applied; in Actions, one issue
             per stack and environment (labelled lockstep:drift), closed once clean
  run        the local pipeline: validate, plan, approval (--auto-approve), apply,
             deploy, verify, history; stops at the first failing stage

Locally, deployments are recorded in --state-dir (default .lockstep).
Run "lockstep <command> --help" (or "lockstep help <command>") for the flags
that command reads and an example.
`

// Main runs lockstep and returns its exit code. It never panics: a panic is
// reported as an internal error.
func Main(ctx context.Context, e Env) (code int) {
	e.defaults()
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(e.Stderr, "lockstep: internal error (a bug in lockstep, please report it): %v\n%s", p, debug.Stack())
			code = ExitInternal
		}
	}()
	if len(e.Args) == 0 {
		fmt.Fprintln(e.Stderr, `lockstep: no command given; "lockstep --help" lists the commands`)
		return ExitBadInput
	}
	switch name := e.Args[0]; name {
	case "action":
		return runAction(ctx, e)
	case "version", "--version", "-v":
		fmt.Fprintf(e.Stdout, "lockstep %s\n", version.Version)
		return ExitOK
	case "help", "--help", "-h":
		if len(e.Args) > 1 && e.Args[0] == "help" {
			// lockstep help plan is lockstep plan --help.
			return runLocal(ctx, e, e.Args[1], []string{"--help"})
		}
		fmt.Fprint(e.Stdout, usage)
		return ExitOK
	default:
		return runLocal(ctx, e, name, e.Args[1:])
	}
}

// validCommands lists what a user may type, for "unknown command" errors.
// suggestCommand is " (did you mean plan?)" for a near miss of a command,
// else "".
func suggestCommand(name string) string {
	best, bestDist := "", 3
	for _, c := range strings.Split(validCommands(), ", ") {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

func validCommands() string {
	names := append([]string{}, config.Commands...)
	names = append(names, "run", "action", "version", "help")
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// runAction is the GitHub Action front door.
func runAction(ctx context.Context, e Env) int {
	r := actions.NewActionReporter(e.Stdout, e.Getenv)
	defer r.Flush()
	cfg, err := config.Load(config.Source{Lookup: func(name string) (string, bool) {
		key := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
		v := e.Getenv(key)
		return v, v != ""
	}})
	if err != nil {
		return report(r, err)
	}
	// The tokens, the secret-env values and the plan key are secrets from
	// the first moment: mask them before anything else could print them.
	maskSecrets(r, cfg, e.Getenv)
	for _, name := range []string{sealed.KeyEnv, ApproverTokenEnv} {
		if key := e.Getenv(name); key != "" {
			r.Mask(key)
		}
	}
	gctx, err := config.LoadContext(e.Getenv, e.ReadFile)
	if err != nil {
		return report(r, &badInput{err})
	}
	if gctx.Workspace == "" {
		if gctx.Workspace, err = e.Getwd(); err != nil {
			return report(r, err)
		}
	}
	return execute(ctx, &app{env: e, cfg: cfg, gh: gctx, r: r, identity: &github.Identity{}})
}

// runLocal is the command-line front door.
func runLocal(ctx context.Context, e Env, name string, args []string) int {
	if _, ok := commands[name]; !ok {
		known := false
		for _, c := range config.Commands {
			known = known || c == name
		}
		if !known && name != "run" {
			fmt.Fprintf(e.Stderr, "lockstep: unknown command %q%s; valid commands: %s (\"lockstep --help\" says what each does)\n", name, suggestCommand(name), validCommands())
			return ExitBadInput
		}
	}
	fl, err := parseFlags(name, args, e.Stdout)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "lockstep %s: %v\n", name, err)
		return ExitBadInput
	}
	summary := e.Stdout
	if e.StdoutIsTerminal != nil && e.StdoutIsTerminal() {
		summary = plainWriter{e.Stdout}
	}
	var summaryFile *os.File
	if fl.summaryFile != "" {
		if summaryFile, err = os.Create(fl.summaryFile); err != nil {
			fmt.Fprintf(e.Stderr, "lockstep %s: flag --summary-file: %v\n", name, err)
			return ExitBadInput
		}
		defer summaryFile.Close()
		summary = summaryFile
	}
	r := actions.NewLocalReporter(e.Stderr, summary)
	defer r.Flush()
	cfg, err := config.Load(config.Source{Flags: true, Lookup: func(name string) (string, bool) {
		if name == "command" && fl.pipeline() {
			// run is no action command: its config is validated as that of
			// its first stage's, then named run below.
			return "validate", true
		}
		if name == "github-token" {
			v := e.Getenv("GITHUB_TOKEN")
			if v == "" {
				v = e.Getenv("GH_TOKEN")
			}
			return v, v != ""
		}
		return fl.lookup(name)
	}})
	if err != nil {
		return report(r, err)
	}
	maskSecrets(r, cfg, e.Getenv)
	if fl.pipeline() {
		cfg.Command = "run"
	}
	wd, err := e.Getwd()
	if err != nil {
		return report(r, err)
	}
	gctx := &config.Context{Local: true, Workspace: wd, EventName: "local"}
	gctx.SHA = gitHead(ctx, wd)
	gctx.HeadSHA = gctx.SHA
	return execute(ctx, &app{env: e, cfg: cfg, gh: gctx, r: r, local: fl})
}

// maskSecrets registers the run's secrets that do not come from Terraform:
// the GitHub token and the values of the variables secret-env names. The
// reporter then masks them in the log and replaces them in everything
// rendered or sent, exactly as it does Terraform's sensitive values.
func maskSecrets(r *actions.Reporter, cfg *config.Config, getenv func(string) string) {
	secrets := []string{cfg.GitHubToken}
	for _, name := range cfg.SecretEnv {
		secrets = append(secrets, getenv(name))
	}
	// The metrics gate's Prometheus URL may carry basic-auth credentials.
	secrets = append(secrets, metrics.Credentials(cfg.PrometheusURL)...)
	r.Mask(secrets...)
}

// execute runs the loaded command and maps its error to an exit code.
func execute(ctx context.Context, a *app) int {
	run, ok := commands[a.cfg.Command]
	if !ok {
		return report(a.r, fmt.Errorf("command %q is not implemented in lockstep %s yet", a.cfg.Command, version.Version))
	}
	if a.env.ScrubEnv != nil {
		// terraform-exec passes lockstep's whole environment on (its SetEnv
		// refuses TF_VAR_*), so the environment itself is cleaned.
		if err := a.env.ScrubEnv(a.cfg.GitHubToken); err != nil {
			return report(a.r, fmt.Errorf("removing inputs and tokens from the environment of child processes: %w", err))
		}
	}
	err := run(ctx, a)
	if err != nil && a.r.IsAction() {
		// Every failure path sets result and failure-reason for the workflow.
		if _, set := a.r.Outputs()["result"]; !set {
			result := "failed"
			if exitCode(err) == ExitBadInput {
				result = "refused"
			}
			_ = a.r.SetOutput("result", result)
			_ = a.r.SetOutput("failure-reason", failureReason(err))
		}
	}
	return report(a.r, err)
}

// report prints err (each input error as its own annotation) and returns the
// exit code.
func report(r *actions.Reporter, err error) int {
	if err == nil {
		return ExitOK
	}
	var ies config.Errors
	if errors.As(err, &ies) {
		for _, ie := range ies {
			r.Annotate(actions.Annotation{Level: "error", Title: "Invalid input", Message: ie.Error()})
		}
		return ExitBadInput
	}
	code := exitCode(err)
	title := "lockstep failed"
	switch code {
	case ExitBadInput:
		title = "Invalid input"
	case ExitInternal:
		title = "lockstep internal error"
	}
	r.Annotate(actions.Annotation{Level: "error", Title: title, Message: err.Error()})
	return code
}

// plainWriter prints the Markdown the summary is written in as plain text,
// for a terminal. The reporter writes each summary whole, in one call.
type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, comment.PlainText(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}
