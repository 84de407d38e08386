package config

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bmatcuk/doublestar/v4"
)

// Mode of the three-valued inputs (comment, require-approval, strategy, rollback).
const (
	Auto   = "auto"
	Always = "always"
	Never  = "never"
	Direct = "direct"
	Canary = "canary"
)

// Values of the approval-mode input besides Auto.
const (
	ApprovalEnvironment = "environment"
	ApprovalPullRequest = "pull-request"
)

// Config is the validated configuration of one lockstep run, built from action
// inputs or command-line flags by Load. Its zero value is never used: Load fills
// every default of the design contract.
type Config struct {
	Command string

	// WorkingDirectories holds the Terraform root modules, cleaned and relative
	// to the repository root (or absolute in CLI mode); the first is the
	// primary one.
	WorkingDirectories []string
	Environment        string
	GitHubToken        string
	// Engine is "terraform", "opentofu", "pulumi" or "cloudformation"
	// (engine.Terraform, engine.OpenTofu, engine.Pulumi,
	// engine.CloudFormation).
	Engine string
	// Stack is the Pulumi or CloudFormation stack's name (required with
	// those engines, refused with the others).
	Stack string
	// Template is the CloudFormation template, relative to the working
	// directory, and ParametersFile its optional parameters (engine
	// cloudformation only).
	Template       string
	ParametersFile string
	// TerraformVersion is the requested version or constraint; empty means
	// the repository's pin, else the binary on PATH.
	TerraformVersion string
	TerraformPath    string
	VarFiles         []string
	BackendConfig    []string
	PlanFile         string

	Comment         string // auto, always, never
	CommentAuthor   string // the login lockstep's comments are by; "" = the token's
	AllowDestroy    bool
	RequireApproval string // auto, true, false
	// ApprovalMode is auto, environment or pull-request; MinApprovals
	// counts approving reviews in pull-request mode. Either gives way to
	// the policy file's key only when its input was not set.
	ApprovalMode string
	MinApprovals int

	AppVersion     string // "" = derived
	InfraVersion   string // "" = derived
	DeployWorkflow string
	DeployCommand  string
	Strategy       string // auto, direct, canary
	CanarySteps    []int
	SmokeURLs      []string
	SmokeTimeout   time.Duration
	Rollback       string // auto, never
	ConfigFile     string
	LockTimeout    time.Duration
	DeployTimeout  time.Duration
	CanaryBake     time.Duration
	ExpectStatus   StatusSet
	Watch          time.Duration
	InfraPaths     []string
	AppPaths       []string
	Parallelism    int
	// ArtifactPrefix names the plan artifacts cleanup deletes.
	ArtifactPrefix string
	// SecretEnv names the environment variables whose values are secrets.
	SecretEnv []string
	// RequiresOutputs are the stack outputs the app needs (the infra/app
	// contract); nil means lockstep-requires.txt decides, if present.
	RequiresOutputs []string
	// PromoteFrom is the environment a commit must have succeeded on
	// before apply and deploy take it to this one; "" turns it off.
	PromoteFrom string

	// PrometheusURL is the metrics gate's Prometheus ("" = no gate); it may
	// carry credentials, so it is never shown as given.
	PrometheusURL      string
	MetricsQueries     []string
	MetricsInterval    time.Duration
	MetricsRequireData bool

	// Set is the set of inputs the user gave explicitly (not defaulted), so that
	// an input can override a policy file only when it was given.
	Set map[string]bool
}

// WorkingDirectory is the primary Terraform root module.
func (c *Config) WorkingDirectory() string { return c.WorkingDirectories[0] }

// InputError reports one invalid input. Its message names the input and says
// what is wrong, e.g. `input "smoke-timeout": "soon" is not a duration like 90s or 2m`.
type InputError struct {
	Input   string
	Value   string
	Problem string // e.g. "is not a duration like 90s or 2m"
	// Flag is set when the value came from a command-line flag, so the message
	// says --smoke-timeout instead of input "smoke-timeout".
	Flag bool
}

func (e *InputError) Error() string {
	name := fmt.Sprintf("input %q", e.Input)
	if e.Flag {
		name = "flag --" + e.Input
	}
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", name, e.Problem)
	}
	return fmt.Sprintf("%s: %q %s", name, e.Value, e.Problem)
}

// Errors is every input error found by Load, so a user fixes them all at once.
type Errors []*InputError

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Source gives Load the raw values: Lookup returns an input's value and
// whether it was given at all. Flags reports whether they came from flags.
type Source struct {
	Lookup func(name string) (string, bool)
	Flags  bool
}

// Load validates every input and returns the Config with the design contract's
// defaults filled in. On bad input it returns Errors listing each problem.
func Load(src Source) (*Config, error) {
	l := loader{src: src, set: map[string]bool{}}
	c := &Config{Set: l.set}

	c.Command = l.oneOf("command", Commands)
	c.WorkingDirectories = l.dirs("working-directory")
	c.Environment = l.environment("environment")
	c.GitHubToken = l.raw("github-token")
	c.CommentAuthor = l.login("comment-author")
	c.Engine = l.oneOf("engine", []string{"terraform", "opentofu", "pulumi", "cloudformation"})
	c.TerraformVersion = l.engineVersion("terraform-version")
	c.TerraformPath = l.nonEmpty("terraform-path")
	// The action always passes terraform-path (action.yml's default is
	// terraform), so its default value means "not chosen" here.
	if c.Engine == "opentofu" && (!l.set["terraform-path"] || c.TerraformPath == "terraform") {
		c.TerraformPath = "tofu"
	}
	// Only the commands that run the engine need its stack and template
	// (detect, gate, deploy, verify and the others get the engine input too,
	// from the same workflow, without them).
	runsEngine := slices.Contains([]string{"validate", "plan", "apply", "drift", "run"}, c.Command)
	c.Stack = l.stack("stack", c.Engine, runsEngine)
	if c.Engine == "pulumi" {
		if !l.set["terraform-path"] || c.TerraformPath == "terraform" {
			c.TerraformPath = "pulumi"
		}
		if c.TerraformVersion != "" {
			l.fail("terraform-version", c.TerraformVersion, "is for engine terraform and opentofu: engine pulumi runs the pulumi on PATH (or terraform-path)")
		}
	}
	c.Template = l.cfnFile("template", c.Engine, runsEngine)
	c.ParametersFile = l.cfnFile("parameters-file", c.Engine, false)
	if c.Engine == "cloudformation" && c.TerraformVersion != "" {
		l.fail("terraform-version", c.TerraformVersion, "is for engine terraform and opentofu: engine cloudformation runs no binary (it talks to the CloudFormation API)")
	}
	c.VarFiles = l.paths("var-files")
	c.BackendConfig = l.lines("backend-config")
	c.PlanFile = l.planFile("plan-file")
	c.Comment = l.oneOf("comment", []string{Auto, Always, Never})
	c.AllowDestroy = l.boolean("allow-destroy")
	c.RequireApproval = l.oneOf("require-approval", []string{Auto, "true", "false"})
	c.ApprovalMode = l.oneOf("approval-mode", []string{Auto, ApprovalEnvironment, ApprovalPullRequest})
	c.MinApprovals = l.minApprovals("min-approvals")
	c.AppVersion = l.version("app-version")
	c.InfraVersion = l.version("infra-version")
	c.DeployWorkflow = l.workflowFile("deploy-workflow")
	c.DeployCommand = l.raw("deploy-command")
	c.Strategy = l.oneOf("strategy", []string{Auto, Direct, Canary})
	c.CanarySteps = l.canarySteps("canary-steps")
	c.SmokeURLs = l.urls("smoke-urls")
	c.SmokeTimeout = l.duration("smoke-timeout")
	c.Rollback = l.oneOf("rollback", []string{Auto, Never})
	c.ConfigFile = l.nonEmpty("config")
	c.LockTimeout = l.duration("lock-timeout")
	c.DeployTimeout = l.duration("deploy-timeout")
	c.CanaryBake = l.duration("canary-bake")
	c.ExpectStatus = l.statusSet("expect-status")
	c.Watch = l.duration("watch")
	c.PrometheusURL = l.prometheusURL("prometheus-url")
	c.MetricsQueries = l.lines("metrics-queries")
	c.MetricsInterval = l.duration("metrics-interval")
	if c.MetricsInterval < time.Second && l.set["metrics-interval"] && !l.failed("metrics-interval") {
		l.fail("metrics-interval", l.raw("metrics-interval"), "must be at least 1s")
	}
	c.MetricsRequireData = l.boolean("metrics-require-data")
	switch {
	case c.PrometheusURL != "" && len(c.MetricsQueries) == 0:
		l.fail("metrics-queries", "", "is needed with prometheus-url: one PromQL query per line that returns a sample when the app is unhealthy, like sum(rate(http_requests_total{code=~\"5..\"}[1m])) / sum(rate(http_requests_total[1m])) > 0.05")
	case c.PrometheusURL == "" && len(c.MetricsQueries) > 0 && !l.failed("prometheus-url"):
		l.fail("prometheus-url", "", "is needed with metrics-queries: the Prometheus server to evaluate them on, like http://prometheus:9090")
	}
	c.InfraPaths = l.globs("infra-paths")
	c.AppPaths = l.globs("app-paths")
	c.Parallelism = l.parallelism("parallelism")
	c.ArtifactPrefix = l.raw("artifact-prefix")
	c.SecretEnv = l.envNames("secret-env")
	c.RequiresOutputs = l.outputNames("requires-outputs")
	c.PromoteFrom = l.environment("promote-from")
	if c.PromoteFrom != "" && c.PromoteFrom == c.Environment {
		l.fail("promote-from", c.PromoteFrom, "is the environment itself: name the environment a commit must succeed on first, like staging")
	}

	if c.DeployWorkflow != "" && c.DeployCommand != "" {
		l.fail("deploy-command", "", "cannot be used together with deploy-workflow: choose one way to deploy")
	}
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	return c, nil
}

// loader reads and checks one input at a time, collecting errors.
type loader struct {
	src  Source
	set  map[string]bool
	errs Errors
}

func (l *loader) fail(name, value, problem string) {
	l.errs = append(l.errs, &InputError{Input: name, Value: value, Problem: problem, Flag: l.src.Flags})
}

// raw returns the given value, or the input's default.
func (l *loader) raw(name string) string {
	if v, ok := l.src.Lookup(name); ok && strings.TrimSpace(v) != "" {
		l.set[name] = true
		return strings.TrimSpace(v)
	}
	for _, in := range Inputs {
		if in.Name == name {
			if strings.HasPrefix(in.Default, "${{") {
				return ""
			}
			return in.Default
		}
	}
	return ""
}

func (l *loader) nonEmpty(name string) string {
	v := l.raw(name)
	if v == "" {
		l.fail(name, "", "must not be empty")
	}
	if strings.ContainsAny(v, "\n\r\x00") {
		l.fail(name, v, "must be a single line")
	}
	return v
}

// pulumiStack is a Pulumi stack name: Pulumi's own characters, with an
// optional org/ or org/project/ before it.
var pulumiStack = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$`)

// cloudFormationStack is CloudFormation's rule for stack names.
var cloudFormationStack = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)

// stack is the Pulumi or CloudFormation stack's name: required with those
// engines, refused with the others (which have no stacks of that kind).
func (l *loader) stack(name, engine string, required bool) string {
	v := l.raw(name)
	switch {
	case engine != "pulumi" && engine != "cloudformation" && v != "":
		l.fail(name, v, "names a Pulumi or CloudFormation stack; engine "+engine+" has none (set engine: pulumi or cloudformation, or leave stack empty)")
		return ""
	case engine != "pulumi" && engine != "cloudformation":
		return ""
	case v == "" && !required:
		return ""
	case v == "" && engine == "cloudformation":
		l.fail(name, "", "is required with engine cloudformation: name the stack to plan and apply, like shop-prod")
	case v == "":
		l.fail(name, "", "is required with engine pulumi: name the stack to plan and apply, like dev or my-org/prod")
	case engine == "cloudformation" && !cloudFormationStack.MatchString(v):
		l.fail(name, v, "is not a CloudFormation stack name: a letter, then letters, digits and hyphens, at most 128 characters")
	case engine == "pulumi" && (!pulumiStack.MatchString(v) || strings.HasPrefix(v, "-") || strings.HasPrefix(v, ".") || strings.Contains(v, "/.")):
		l.fail(name, v, "is not a Pulumi stack name: letters, digits and _ . - (not first), optionally org/ or org/project/ before it")
	}
	return v
}

// cfnFile is a CloudFormation file input (template, parameters-file): a
// path inside the working directory, only with engine cloudformation
// (required there when required is set).
func (l *loader) cfnFile(name, engine string, required bool) string {
	v := l.raw(name)
	switch {
	case engine != "cloudformation" && v != "":
		l.fail(name, v, "is for engine cloudformation; engine "+engine+" has none (set engine: cloudformation, or leave "+name+" empty)")
		return ""
	case engine != "cloudformation":
		return ""
	case v == "" && required:
		l.fail(name, "", "is required with engine cloudformation: the template file, relative to the working directory, like template.yaml")
		return ""
	case v == "":
		return ""
	case strings.ContainsAny(v, "\n\r\x00"):
		l.fail(name, v, "must be a single file path")
		return ""
	case filepath.IsAbs(v):
		l.fail(name, v, "is an absolute path: give it relative to the working directory")
		return ""
	}
	clean := path.Clean(filepath.ToSlash(v))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		l.fail(name, v, "points outside the working directory")
		return ""
	}
	if strings.HasSuffix(v, "/") || clean == "." {
		l.fail(name, v, "is a directory: name a file")
		return ""
	}
	return clean
}

func (l *loader) oneOf(name string, valid []string) string {
	v := l.raw(name)
	if name == "command" && v == "" {
		l.fail(name, "", "is required; valid commands: "+strings.Join(valid, ", "))
		return ""
	}
	// Accept the YAML spellings GitHub's own toolkit accepts for booleans.
	lv := strings.ToLower(v)
	for _, ok := range valid {
		if lv == ok {
			return ok
		}
	}
	what := "is not one of"
	if name == "command" {
		what = "is not a command; valid commands are"
	}
	l.fail(name, v, what+" "+strings.Join(valid, ", "))
	return ""
}

// boolean accepts what @actions/core's getBooleanInput accepts: the YAML 1.2
// core schema spellings true, True, TRUE, false, False, FALSE.
func (l *loader) boolean(name string) bool {
	v := l.raw(name)
	switch v {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	l.fail(name, v, "is not a boolean: use true or false")
	return false
}

func (l *loader) lines(name string) []string {
	var out []string
	for _, line := range strings.Split(l.raw(name), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// relPath checks a path that must stay inside the repository (or, for
// absolute paths in CLI mode, be clean).
func (l *loader) relPath(name, p string) (string, bool) {
	if strings.ContainsRune(p, 0) {
		l.fail(name, p, "contains a NUL byte")
		return "", false
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p), true
	}
	clean := path.Clean(filepath.ToSlash(p))
	if clean == ".." || strings.HasPrefix(clean, "../") {
		l.fail(name, p, "points outside the repository")
		return "", false
	}
	return clean, true
}

func (l *loader) dirs(name string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range l.lines(name) {
		if clean, ok := l.relPath(name, p); ok && !seen[clean] {
			seen[clean] = true
			out = append(out, clean)
		}
	}
	if len(out) == 0 {
		out = []string{"."}
	}
	return out
}

func (l *loader) paths(name string) []string {
	var out []string
	for _, p := range l.lines(name) {
		if clean, ok := l.relPath(name, p); ok {
			out = append(out, clean)
		}
	}
	return out
}

func (l *loader) planFile(name string) string {
	v := l.nonEmpty(name)
	if v == "" {
		return "tfplan"
	}
	if strings.HasSuffix(v, "/") {
		l.fail(name, v, "is a directory: name a file such as tfplan")
		return v
	}
	clean, _ := l.relPath(name, v)
	return clean
}

// GitHub limits environment names to 255 characters; control characters would
// break the comment marker and logs.
func (l *loader) environment(name string) string {
	v := l.raw(name)
	if len(v) > 255 {
		l.fail(name, v[:20]+"…", "is longer than GitHub's 255-character limit for environment names")
		return v
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			l.fail(name, v, "contains a control character")
			break
		}
	}
	return v
}

// loginRE is GitHub's shape for a login: letters, digits and single hyphens,
// not at either end, at most 39 characters; a GitHub App's bot adds "[bot]".
var loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}(?:\[bot\])?$`)

// login checks a GitHub login such as octocat or my-app[bot].
func (l *loader) login(name string) string {
	v := l.raw(name)
	if v != "" && !loginRE.MatchString(v) {
		l.fail(name, v, "is not a GitHub login: letters, digits and single hyphens (at most 39), and [bot] after a GitHub App's name, like my-app[bot]")
	}
	return v
}

var engineVersionRE = regexp.MustCompile(`^[0-9A-Za-z.,<>=~!^* +-]{1,100}$`)

// engineVersion checks terraform-version's shape: an exact version or a
// constraint (whether it parses as one is checked where it is resolved,
// with the resolver's own message).
func (l *loader) engineVersion(name string) string {
	v := l.raw(name)
	if v != "" && !engineVersionRE.MatchString(v) {
		l.fail(name, v, "is not a version or a version constraint, like 1.9.8 or ~> 1.9")
	}
	return v
}

var versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+/-]{0,127}$`)

// version checks an app or infra version: it becomes part of
// DEPLOYMENT_VERSION=app:<app>-infra:<infra>, of deployment payloads and of
// environment variables, so it stays a plain token.
func (l *loader) version(name string) string {
	v := l.raw(name)
	if v != "" && !ValidVersion(v) {
		l.fail(name, v, VersionProblem)
	}
	return v
}

// VersionProblem says what a valid app or infra version looks like.
const VersionProblem = "is not a version: use letters, digits and . _ + - / (at most 128), like v1.4.2"

// ValidVersion reports whether v may be an app or infra version: the rule
// of the app-version and infra-version inputs, which a version derived from
// a tag name must follow too (a tag may hold quotes, spaces or "$(...)").
func ValidVersion(v string) bool { return versionRE.MatchString(v) }

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envNames checks a list of environment variable names: the names a shell
// accepts, so that a value pasted by mistake (NAME=value, a token) is refused
// rather than taken for a name, and never echoed back: a line that is not a
// name is quoted only by its position.
func (l *loader) envNames(name string) []string {
	var out []string
	seen := map[string]bool{}
	for i, n := range l.lines(name) {
		if !envNameRE.MatchString(n) {
			l.fail(name, "", fmt.Sprintf("line %d is not an environment variable name (letters, digits and _, not starting with a digit; give names, not NAME=value)", i+1))
			continue
		}
		if runnerEnv(n) {
			l.fail(name, n, "is the runner's or lockstep's own variable, not a secret: masking its value would blank it in every log line and output")
			continue
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// OutputNameRE is what a stack output's name may be (Terraform's rule for
// identifiers).
var OutputNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)

// outputNames reads a newline list of output names.
func (l *loader) outputNames(name string) []string {
	var out []string
	seen := map[string]bool{}
	for i, n := range l.lines(name) {
		if !OutputNameRE.MatchString(n) {
			l.fail(name, "", fmt.Sprintf("line %d (%q) is not an output name (letters, digits, _ and -, not starting with a digit)", i+1, n))
			continue
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// runnerEnv reports whether name is set by the runner or names lockstep's
// inputs (the same names pipeline.yml's export step refuses).
func runnerEnv(name string) bool {
	for _, prefix := range []string{"GITHUB_", "RUNNER_", "INPUT_", "STATE_"} {
		if strings.HasPrefix(strings.ToUpper(name), prefix) {
			return true
		}
	}
	switch name {
	case "PATH", "HOME", "PWD", "CI":
		return true
	}
	return false
}

func (l *loader) workflowFile(name string) string {
	v := l.raw(name)
	if v == "" {
		return ""
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return v // a workflow ID
	}
	if strings.ContainsAny(v, "/\\") || !(strings.HasSuffix(v, ".yml") || strings.HasSuffix(v, ".yaml")) {
		l.fail(name, v, "is not a workflow file name like deploy.yml (no directories: the file lives in .github/workflows/)")
	}
	return v
}

func (l *loader) canarySteps(name string) []int {
	v := l.raw(name)
	var steps []int
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), "%"))
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 100 {
			l.fail(name, v, "is not a list of traffic weights from 1 to 100 like 10,50,100")
			return nil
		}
		if len(steps) > 0 && n <= steps[len(steps)-1] {
			l.fail(name, v, "must increase step by step, like 10,50,100")
			return nil
		}
		steps = append(steps, n)
	}
	if steps[len(steps)-1] != 100 {
		l.fail(name, v, "must end at 100, or the canary never takes all traffic")
		return nil
	}
	return steps
}

// prometheusURL is an http(s) URL. A bad one is reported without its
// value: it may carry a password.
func (l *loader) prometheusURL(name string) string {
	v := l.raw(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		l.fail(name, "", "is not an http:// or https:// URL (its value is not shown: it may carry credentials)")
		return ""
	case strings.ContainsAny(v, "\n\r"):
		l.fail(name, "", "must be a single line")
		return ""
	}
	return v
}

// failed reports whether input name already has an error.
func (l *loader) failed(name string) bool {
	for _, e := range l.errs {
		if e.Input == name {
			return true
		}
	}
	return false
}

func (l *loader) urls(name string) []string {
	var out []string
	for _, s := range l.lines(name) {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.fail(name, s, "is not an http:// or https:// URL")
			continue
		}
		out = append(out, s)
	}
	return out
}

// duration accepts Go durations (90s, 2m, 1h30m) and a bare 0.
func (l *loader) duration(name string) time.Duration {
	v := l.raw(name)
	if v == "0" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		l.fail(name, v, "is not a duration like 90s or 2m")
		return 0
	}
	if d < 0 {
		l.fail(name, v, "must not be negative")
		return 0
	}
	return d
}

func (l *loader) globs(name string) []string {
	var out []string
	for _, g := range l.lines(name) {
		if !doublestar.ValidatePattern(g) {
			l.fail(name, g, "is not a valid glob pattern (like infra/** or src/**/*.go)")
			continue
		}
		out = append(out, g)
	}
	return out
}

func (l *loader) parallelism(name string) int {
	v := l.raw(name)
	if v == "" {
		return runtime.NumCPU()
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 256 {
		l.fail(name, v, "is not a whole number from 1 to 256")
		return 1
	}
	return n
}

// minApprovals reads a whole number of approvals, at least 1.
func (l *loader) minApprovals(name string) int {
	v := l.raw(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		l.fail(name, v, "is not a whole number of approvals, at least 1")
		return 1
	}
	return n
}

// StatusSet is the parsed expect-status input: codes and classes.
type StatusSet struct {
	codes   map[int]bool
	classes map[int]bool // 2 for 2xx
	text    string
}

// Match reports whether an HTTP status code is expected.
func (s StatusSet) Match(code int) bool {
	if s.codes == nil && s.classes == nil {
		return code >= 200 && code < 300
	}
	return s.codes[code] || s.classes[code/100]
}

func (s StatusSet) String() string {
	if s.text == "" {
		return "2xx"
	}
	return s.text
}

// ParseStatusSet parses "2xx", "200", "200,204" or "2xx,301".
func ParseStatusSet(v string) (StatusSet, error) {
	s := StatusSet{codes: map[int]bool{}, classes: map[int]bool{}, text: v}
	for _, f := range strings.Split(v, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if len(f) == 3 && strings.HasSuffix(f, "xx") && f[0] >= '1' && f[0] <= '5' {
			s.classes[int(f[0]-'0')] = true
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 100 || n > 599 {
			return StatusSet{}, errors.New("is not a status like 200, 2xx or 200,204")
		}
		s.codes[n] = true
	}
	return s, nil
}

func (l *loader) statusSet(name string) StatusSet {
	v := l.raw(name)
	s, err := ParseStatusSet(v)
	if err != nil {
		l.fail(name, v, err.Error())
	}
	return s
}
