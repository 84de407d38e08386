package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// Names of the engines, as the `engine` input spells them.
const (
	Terraform = "terraform"
	OpenTofu  = "opentofu"
	Pulumi    = "pulumi"
	// CloudFormation is AWS CloudFormation, driven through its API (no
	// binary).
	CloudFormation = "cloudformation"
)

// Engine is one stack's engine. Methods take ctx first and may be slow
// (they run the engine's binary); an Engine is used by one goroutine at a
// time.
type Engine interface {
	// Identity names the engine and its version, for the binding record
	// and the reports. It also refuses a binary lockstep cannot drive
	// (an *UnsupportedError).
	Identity(ctx context.Context) (Identity, error)
	// FormatCheck lists the files (relative to the stack) that the
	// engine's formatter would change.
	FormatCheck(ctx context.Context) ([]string, error)
	// Init prepares the stack (providers, modules, backend).
	Init(ctx context.Context, o InitOptions) error
	// Validate checks the configuration; an invalid one is a result with
	// error diagnostics, not an error.
	Validate(ctx context.Context) ([]Diagnostic, error)
	// Plan writes a saved plan to o.Out and summarises it. Its text is not
	// logged: the caller masks the plan's secrets first.
	Plan(ctx context.Context, o PlanOptions) (*Plan, error)
	// ReadPlan summarises a saved plan without re-planning, for apply.
	ReadPlan(ctx context.Context, o ReadOptions) (*Plan, error)
	// Apply applies exactly the saved plan, reporting per resource what was
	// applied, what failed and what was never reached. A plan the engine
	// refuses because the state moved on is ErrStalePlan.
	Apply(ctx context.Context, o ApplyOptions) (*ApplyReport, error)
	// Outputs are the stack's outputs from its state.
	Outputs(ctx context.Context) (map[string]Output, error)
	// StateFingerprint identifies the stack's current state, for engines
	// whose saved plans do not refuse a state that moved on by
	// themselves (Pulumi's do not): plan records it, and apply refuses the
	// plan as stale when it differs. "" means the engine checks this
	// itself (Terraform's "Saved plan is stale").
	StateFingerprint(ctx context.Context) (string, error)
}

// Identity is an engine and its version.
type Identity struct {
	// Name is the engine as the `engine` input spells it (Terraform,
	// OpenTofu, ...).
	Name string
	// Version is the binary's own version, e.g. "1.11.4".
	Version string
}

// Display is the engine's name for people: "Terraform", "OpenTofu".
func (i Identity) Display() string { return DisplayName(i.Name) }

// Traits are what the commands need to know of an engine without running
// it: adding an engine means one adapter package, its wiring in pkg/cli's
// engine.go and a row here, and no edit to any command.
type Traits struct {
	// Display is the engine's name for people: "Terraform", "OpenTofu".
	Display string
	// Command is its command as people type it, for log lines.
	Command string
	// PlanNoun is what it calls a plan, for headings ("preview").
	PlanNoun string
	// WholeDirectory means a stack is a directory (a Pulumi project, a
	// CloudFormation template) rather than Terraform files and modules:
	// detect takes it as it is.
	WholeDirectory bool
	// ValidMarkdown is validate's verdict when nothing was found, saying
	// what the check covered.
	ValidMarkdown string
	// VarFilesAtApply means the saved plan does not carry what var-files
	// gave the plan (Pulumi's stack config file): apply reads the files
	// the binding record names again, and refuses when one changed.
	VarFilesAtApply bool
}

var traits = map[string]Traits{
	Terraform: {Display: "Terraform", Command: "terraform", PlanNoun: "plan",
		ValidMarkdown: "✅ **Valid and formatted.** `terraform fmt -check` and `terraform validate` found nothing."},
	OpenTofu: {Display: "OpenTofu", Command: "tofu", PlanNoun: "plan",
		ValidMarkdown: "✅ **Valid and formatted.** `tofu fmt -check` and `tofu validate` found nothing."},
	Pulumi: {Display: "Pulumi", Command: "pulumi", PlanNoun: "preview", WholeDirectory: true, VarFilesAtApply: true,
		ValidMarkdown: "✅ **A Pulumi project.** Pulumi has no check cheaper than the preview, which plan runs."},
	CloudFormation: {Display: "CloudFormation", Command: "cloudformation", PlanNoun: "plan", WholeDirectory: true,
		ValidMarkdown: "✅ **A valid template.** Its sections, resource types, properties and references match CloudFormation's resource schema, the parameters file names only declared parameters, and the template passes the cfn-guard rules in `.cfn-guard/`, when the stack has them."},
}

// TraitsOf is the engine's traits by its input name; "" is Terraform, and
// an unknown name is displayed as it is.
func TraitsOf(name string) Traits {
	if name == "" {
		name = Terraform
	}
	if t, ok := traits[name]; ok {
		return t
	}
	return Traits{Display: name, Command: name, PlanNoun: "plan"}
}

// DisplayName is the engine's name for people.
func DisplayName(name string) string { return TraitsOf(name).Display }

// Command is the engine's command as people type it, for log lines:
// "terraform", "tofu".
func (i Identity) Command() string { return TraitsOf(i.Name).Command }

// PlanNoun is what the engine calls a plan, for headings: "preview" for
// Pulumi, "plan" for the others.
func PlanNoun(name string) string { return TraitsOf(name).PlanNoun }

// String is "Terraform 1.11.4".
func (i Identity) String() string { return i.Display() + " " + i.Version }

// UnsupportedError is a binary lockstep cannot drive: too old, or another
// engine than the one asked for.
type UnsupportedError struct {
	Path    string // the binary, as given
	Found   string // what it is, e.g. "Terraform 1.4.6"
	Problem string // what lockstep needs instead
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s is %s; %s", e.Path, e.Found, e.Problem)
}

// InitOptions configure Init.
type InitOptions struct {
	NoBackend     bool     // for validate: no state, no credentials
	BackendConfig []string // engine-specific backend settings
}

// PlanOptions configure Plan.
type PlanOptions struct {
	Out         string // the saved plan, relative to the stack
	VarFiles    []string
	LockTimeout time.Duration
	// Scratch marks a plan that is only looked at and never applied (the
	// drift command's): an engine whose plan leaves something behind (a
	// CloudFormation change set) removes it and never touches what a
	// reviewed plan left, and an engine that can ask for changes made
	// outside it (CloudFormation's drift detection) puts them in the
	// Summary's Drift.
	Scratch bool
}

// Plan is a saved plan as the pipeline sees it.
type Plan struct {
	// Summary is what reviewers are shown; its Secrets must be masked
	// before Text or anything else from the plan is logged.
	Summary *plan.Summary
	// Fingerprint identifies the plan's changes (not its file bytes), so
	// that the same change planned twice is recognised; see
	// plan.Fingerprint.
	Fingerprint string
	// HasChanges is false when applying would change nothing (set by Plan
	// only).
	HasChanges bool
	// Text is the engine's own human rendering of the plan, with its
	// sensitive values already hidden by the engine; empty from ReadPlan.
	Text string
}

// ReadOptions configure ReadPlan.
type ReadOptions struct {
	PlanFile string // relative to the stack
	// VarFiles are the plan's var-files, for an engine that reads them
	// again at apply (Traits.VarFilesAtApply); the others ignore them.
	VarFiles []string
}

// ApplyOptions configure Apply.
type ApplyOptions struct {
	PlanFile    string // relative to the stack
	LockTimeout time.Duration
	// VarFiles are the plan's var-files, unchanged since the plan, for an
	// engine that reads them again at apply (Traits.VarFilesAtApply).
	VarFiles []string
}

// ResourceResult is what happened to one resource during apply.
type ResourceResult struct {
	Address string
	Action  string // create, update, delete, replace, ...
	Error   string // the engine's error, for failed resources
}

// ApplyReport is what a (possibly failed) apply did.
type ApplyReport struct {
	Planned    []ResourceResult // every planned change, in plan order
	Applied    []ResourceResult
	Failed     []ResourceResult
	NotReached []ResourceResult
	// Errors are error diagnostics not tied to one resource.
	Errors []string
	// Outputs are the stack's outputs after apply; sensitive ones carry no
	// value.
	Outputs map[string]Output
}

// Output is one stack output. A sensitive output carries no value: it
// must never reach a deploy command's environment or a log.
type Output struct {
	Sensitive bool
	Value     json.RawMessage
}

// Diagnostic is one problem Validate found.
type Diagnostic struct {
	Warning bool // else an error
	Summary string
	Detail  string
	// File is relative to the stack; empty when the diagnostic has no
	// place. Lines and columns are 1-based; zero when unknown.
	File               string
	Line, Column       int
	EndLine, EndColumn int
}

// ErrStalePlan is the engine refusing a saved plan because the state
// changed after the plan was made.
// Adapters wrap it with the engine's name ("terraform refused the saved
// plan as stale: ...").
var ErrStalePlan = errors.New("the state changed after the plan was made (another apply ran, or this plan was already applied); re-run the plan and review it again")

// LockedError is the engine refusing to run because another run holds the
// stack's state lock. The fields are what the engine said about the lock;
// any may be empty.
type LockedError struct {
	ID, Who, Operation, Created string
	Err                         error
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("the state is locked (lock ID %s, %s by %s since %s): %v", orUnknown(e.ID), orUnknown(e.Operation), orUnknown(e.Who), orUnknown(e.Created), e.Err)
}

func (e *LockedError) Unwrap() error { return e.Err }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
