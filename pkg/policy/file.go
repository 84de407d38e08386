package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"
)

// DefaultFile is the policy file read when the config input is not given.
const DefaultFile = ".lockstep.yml"

// Approval values of an environment's approval key.
const (
	ApprovalRequired = "required"
	ApprovalNone     = "none"
)

// Approval modes of the approval-mode key (and input, which adds auto).
const (
	ModeEnvironment = "environment"
	ModePullRequest = "pull-request"
	ModeAuto        = "auto"
)

// ApproversCodeowners is the approvers key's one value: an approver must own
// the stack's directory in CODEOWNERS.
const ApproversCodeowners = "codeowners"

// Deployment strategies.
const (
	StrategyDirect = "direct"
	StrategyCanary = "canary"
)

// File is the optional policy file, validated. Its zero value is the empty
// file: no environments, no stacks globs, no ordering, no path globs.
type File struct {
	// Path is the file it was read from; "" when there was no file.
	Path string

	// Environments holds each environment's entry keyed by its lower-cased
	// name, since environment names match in any case. Use Environment to
	// look one up.
	Environments map[string]Environment

	// Stacks holds doublestar globs of root-module directories, relative to
	// the repository root. Empty means every directory with Terraform files
	// that is not called as a module.
	Stacks []string

	// DependsOn maps a stack directory to the stacks that must apply first.
	// Directories are cleaned (no "./", no trailing "/").
	DependsOn map[string][]string

	// InfraPaths and AppPaths are doublestar globs that decide whether a
	// change touches the infrastructure or the application.
	InfraPaths []string
	AppPaths   []string
}

// Environment is one entry under environments. Unset keys are zero: ""
// strings, a nil AllowDestroy and nil CanarySteps.
type Environment struct {
	// Name is the environment's name as written in the file.
	Name     string
	Approval string // "", required or none
	// AllowDestroy is allow-destroy given as true or false; nil otherwise.
	AllowDestroy *bool
	// AllowDestroyAddresses is allow-destroy given as a list: resource
	// addresses, where "*" matches any run of characters (see
	// MatchAddress). nil when allow-destroy is not a list.
	AllowDestroyAddresses []string
	Strategy              string // "", direct or canary
	CanarySteps           []int

	// ApplyRefs are globs of full refs ("refs/heads/release/*",
	// "refs/tags/v*"; "*" stops at "/", "**" does not) that may apply to a
	// production-like environment besides the default branch.
	ApplyRefs []string
	// AllowSelfApproval lets the run's triggering actor count as its
	// approver; AllowAdminBypass accepts an environment whose administrators
	// may bypass its protection rules; RequireBranchPolicy false accepts an
	// environment without a deployment branch policy allowing the ref.
	// Each only relaxes a production-like environment's checks; nil is unset.
	AllowSelfApproval   *bool
	AllowAdminBypass    *bool
	RequireBranchPolicy *bool

	// ApprovalMode is "", environment, pull-request or auto; MinApprovals
	// is 0 when unset. Approvers is "" or codeowners; ApproverTeams are
	// org/team slugs one of whose members must approve (pull-request mode).
	ApprovalMode  string
	MinApprovals  int
	Approvers     string
	ApproverTeams []string

	// EngineRollback true keeps the engine's own rollback of a failed
	// apply (CloudFormation's); nil or false: none, the stack stays as far
	// as the apply got.
	EngineRollback *bool
}

// Environment returns the file's entry for name, matched in any case.
func (f *File) Environment(name string) (Environment, bool) {
	if f == nil {
		return Environment{}, false
	}
	e, ok := f.Environments[strings.ToLower(strings.TrimSpace(name))]
	return e, ok
}

// FileError is one problem in the policy file, located by line and by the
// dotted key path, e.g.
// `.lockstep.yml:4: environments.production.approval: "maybe" is not required or none`.
type FileError struct {
	Path    string
	Line    int    // 0 when the problem has no line
	Key     string // dotted key path; "" for the whole document
	Problem string
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// FileErrors is every problem Parse found, in file order, so a user fixes
// them all at once. errors.As finds each *FileError through Unwrap.
type FileErrors []*FileError

func (es FileErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the individual errors.
func (es FileErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// Load reads and validates the policy file at path. A missing file is not an
// error: it gives an empty File. Every unknown key and bad value is reported
// as a *FileError (collected in FileErrors) naming the file, line and key.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading policy file: %w", err)
	}
	return Parse(path, data)
}

// Parse validates the policy file content data; name is used in errors and
// recorded as File.Path.
func Parse(name string, data []byte) (*File, error) {
	f := &File{Path: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // empty, or comments only
			return f, nil
		}
		return nil, FileErrors{syntaxError(name, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return nil, FileErrors{syntaxError(name, data, err)}
		}
		return nil, FileErrors{{Path: name, Line: line, Problem: "holds more than one YAML document; keep one"}}
	}

	p := parser{name: name}
	p.file(f, &doc)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return f, nil
}

// syntaxError locates a YAML syntax error. yaml.v3 reports the line where
// the enclosing block starts (sometimes counted from 0), not where the
// problem is, so the line reported is the first one at which the file, cut
// there, fails with the same problem.
func syntaxError(name string, data []byte, err error) *FileError {
	problem := yamlProblem(err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) <= maxRelocateLines {
		var prefix []byte
		for i, l := range lines {
			prefix = append(prefix, l...)
			var n yaml.Node
			if perr := yaml.Unmarshal(prefix, &n); perr != nil && yamlProblem(perr) == problem {
				return &FileError{Path: name, Line: i + 1, Problem: problem}
			}
		}
	}
	return &FileError{Path: name, Problem: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// maxRelocateLines bounds the quadratic search of syntaxError.
const maxRelocateLines = 2000

// yamlProblem is a yaml.v3 error's text without "yaml: line N: ".
func yamlProblem(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, problem, ok := strings.Cut(rest, ": "); ok {
			if _, convErr := strconv.Atoi(num); convErr == nil {
				return problem
			}
		}
	}
	return msg
}

// parser walks the yaml.Node tree, filling a File and collecting every
// problem instead of stopping at the first.
type parser struct {
	name string
	errs FileErrors
}

func (p *parser) errorf(n *yaml.Node, key, format string, args ...any) {
	p.errs = append(p.errs, &FileError{Path: p.name, Line: n.Line, Key: key, Problem: fmt.Sprintf(format, args...)})
}

// deref follows aliases and the document wrapper.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
			continue
		}
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names a node's value for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.Tag == "!!null" {
		return "an empty value"
	}
	return strconv.Quote(n.Value)
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// mapping calls fn for each key of n in order, reporting duplicate keys and
// keys not in known (when known is non-nil). A null n is an empty mapping.
func (p *parser) mapping(n *yaml.Node, key string, known []string, fn func(k string, kn, v *yaml.Node)) {
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		if key == "" {
			p.errorf(n, "", "the file holds %s; want a mapping of settings (%s)", describe(n), strings.Join(known, ", "))
		} else {
			p.errorf(n, key, "is %s; want a mapping", describe(n))
		}
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := deref(n.Content[i]), n.Content[i+1]
		if kn == nil || kn.Kind != yaml.ScalarNode {
			p.errorf(n.Content[i], key, "has a key that is not a plain name")
			continue
		}
		k := kn.Value
		if line, dup := seen[k]; dup {
			p.errorf(kn, join(key, k), "is given twice (first on line %d)", line)
			continue
		}
		seen[k] = kn.Line
		if known != nil && !contains(known, k) {
			p.errorf(kn, join(key, k), "unknown key; want one of %s", strings.Join(known, ", "))
			continue
		}
		fn(k, kn, v)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	topKeys = []string{"environments", "stacks", "depends-on", "infra-paths", "app-paths"}
	envKeys = []string{"approval", "allow-destroy", "strategy", "canary-steps",
		"apply-refs", "allow-self-approval", "allow-admin-bypass", "require-branch-policy",
		"approval-mode", "min-approvals", "approvers", "approver-teams", "engine-rollback"}
)

func (p *parser) file(f *File, doc *yaml.Node) {
	p.mapping(doc, "", topKeys, func(k string, _, v *yaml.Node) {
		switch k {
		case "environments":
			p.environments(f, v)
		case "stacks":
			f.Stacks = p.globs(v, k)
		case "depends-on":
			f.DependsOn = p.dependsOn(v)
		case "infra-paths":
			f.InfraPaths = p.globs(v, k)
		case "app-paths":
			f.AppPaths = p.globs(v, k)
		}
	})
}

func (p *parser) environments(f *File, n *yaml.Node) {
	f.Environments = map[string]Environment{}
	firstLine := map[string]int{}
	p.mapping(n, "environments", nil, func(name string, kn, v *yaml.Node) {
		key := join("environments", name)
		lower := strings.ToLower(strings.TrimSpace(name))
		if lower == "" {
			p.errorf(kn, key, "environment name is empty")
			return
		}
		if prev, dup := f.Environments[lower]; dup {
			p.errorf(kn, key, "is the same environment as %s (line %d): names match in any case", prev.Name, firstLine[lower])
			return
		}
		firstLine[lower] = kn.Line
		e := Environment{Name: name}
		p.mapping(v, key, envKeys, func(k string, _, v *yaml.Node) {
			key := join(key, k)
			switch k {
			case "approval":
				e.Approval = p.enum(v, key, ApprovalRequired, ApprovalNone)
			case "allow-destroy":
				if n := deref(v); n != nil && n.Kind == yaml.SequenceNode {
					e.AllowDestroyAddresses = p.addressGlobs(v, key)
				} else {
					e.AllowDestroy = p.boolean(v, key)
				}
			case "strategy":
				e.Strategy = p.enum(v, key, StrategyDirect, StrategyCanary)
			case "canary-steps":
				e.CanarySteps = p.canarySteps(v, key)
			case "apply-refs":
				e.ApplyRefs = p.refGlobs(v, key)
			case "allow-self-approval":
				e.AllowSelfApproval = p.boolean(v, key)
			case "allow-admin-bypass":
				e.AllowAdminBypass = p.boolean(v, key)
			case "require-branch-policy":
				e.RequireBranchPolicy = p.boolean(v, key)
			case "approval-mode":
				e.ApprovalMode = p.oneOf(v, key, ModeEnvironment, ModePullRequest, ModeAuto)
			case "min-approvals":
				e.MinApprovals = p.minApprovals(v, key)
			case "approvers":
				e.Approvers = p.oneOf(v, key, ApproversCodeowners)
			case "approver-teams":
				e.ApproverTeams = p.teams(v, key)
			case "engine-rollback":
				e.EngineRollback = p.boolean(v, key)
			}
		})
		f.Environments[lower] = e
	})
}

// scalar returns n as a scalar, reporting anything else.
func (p *parser) scalar(n *yaml.Node, key, want string) (*yaml.Node, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		if n == nil {
			return nil, false
		}
		p.errorf(n, key, "is %s; want %s", describe(n), want)
		return nil, false
	}
	return n, true
}

func (p *parser) enum(n *yaml.Node, key string, a, b string) string {
	want := a + " or " + b
	s, ok := p.scalar(n, key, want)
	if !ok {
		return ""
	}
	if s.Value != a && s.Value != b {
		p.errorf(s, key, "%q is not %s", s.Value, want)
		return ""
	}
	return s.Value
}

// oneOf reads a scalar that must be one of values.
func (p *parser) oneOf(n *yaml.Node, key string, values ...string) string {
	want := strings.Join(values, ", ")
	s, ok := p.scalar(n, key, "one of "+want)
	if !ok {
		return ""
	}
	if !contains(values, s.Value) {
		p.errorf(s, key, "%q is not one of %s", s.Value, want)
		return ""
	}
	return s.Value
}

func (p *parser) minApprovals(n *yaml.Node, key string) int {
	s, ok := p.scalar(n, key, "a whole number of approvals, at least 1")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s.Value)
	if s.Tag != "!!int" || err != nil || v < 1 {
		p.errorf(s, key, "%q is not a whole number of approvals, at least 1", s.Value)
		return 0
	}
	return v
}

// teamPattern is org/team: GitHub organisation and team slugs.
var teamPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9_.-]+$`)

func (p *parser) teams(n *yaml.Node, key string) []string {
	return p.strings(n, key, "teams like my-org/infra-admins", "a team like my-org/infra-admins", func(v string) (string, string) {
		v = strings.TrimPrefix(v, "@")
		if !teamPattern.MatchString(v) {
			return "", "is not a team: write it org/team-slug"
		}
		return v, ""
	})
}

// strings reads a list of scalars: each is checked by clean, which returns
// the value to keep, or a problem to report at the item's line (the item is
// then left out). Only a value that is no list at all gives nil.
func (p *parser) strings(n *yaml.Node, key, want, item string, clean func(string) (value, problem string)) []string {
	items, ok := p.sequence(n, key, want)
	if !ok {
		return nil
	}
	out := []string{}
	for i, it := range items {
		ikey := fmt.Sprintf("%s[%d]", key, i)
		s, ok := p.scalar(it, ikey, item)
		if !ok {
			continue
		}
		v, problem := clean(s.Value)
		if problem != "" {
			p.errorf(s, ikey, "%q %s", s.Value, problem)
			continue
		}
		out = append(out, v)
	}
	return out
}

func (p *parser) boolean(n *yaml.Node, key string) *bool {
	s, ok := p.scalar(n, key, "true or false")
	if !ok {
		return nil
	}
	// Only YAML 1.2 booleans: yes/no/on/off are strings here, not switches.
	if s.Tag != "!!bool" || (s.Value != "true" && s.Value != "false") {
		p.errorf(s, key, "%q is not true or false", s.Value)
		return nil
	}
	b := s.Value == "true"
	return &b
}

func (p *parser) sequence(n *yaml.Node, key, want string) ([]*yaml.Node, bool) {
	n = deref(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, key, "is %s; want a list of %s", describe(n), want)
		return nil, false
	}
	return n.Content, true
}

func (p *parser) canarySteps(n *yaml.Node, key string) []int {
	items, ok := p.sequence(n, key, "traffic percentages like [10, 50, 100]")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(deref(n), key, "is empty; want traffic percentages like [10, 50, 100]")
		return nil
	}
	steps := make([]int, 0, len(items))
	valid := true
	for i, item := range items {
		ikey := fmt.Sprintf("%s[%d]", key, i)
		s, ok := p.scalar(item, ikey, "a whole percentage from 1 to 100")
		if !ok {
			valid = false
			continue
		}
		v, err := strconv.Atoi(s.Value)
		if s.Tag != "!!int" || err != nil {
			p.errorf(s, ikey, "%q is not a whole percentage from 1 to 100", s.Value)
			valid = false
			continue
		}
		switch {
		case v < 1 || v > 100:
			p.errorf(s, ikey, "%d is not a percentage from 1 to 100", v)
			valid = false
			continue
		case len(steps) > 0 && v <= steps[len(steps)-1]:
			p.errorf(s, ikey, "%d does not increase on the step before it (%d)", v, steps[len(steps)-1])
			valid = false
			continue
		}
		steps = append(steps, v)
	}
	if valid && steps[len(steps)-1] != 100 {
		last := deref(items[len(items)-1])
		p.errorf(last, fmt.Sprintf("%s[%d]", key, len(items)-1), "the last step is %d; it must be 100 so the new version ends with all traffic", steps[len(steps)-1])
		valid = false
	}
	if !valid {
		return nil
	}
	return steps
}

// relPath reports why s is not a clean repository-relative path, or "".
func relPath(s string) string {
	switch {
	case s == "":
		return "is empty"
	case strings.HasPrefix(s, "/"):
		return "must be relative to the repository root, not absolute"
	case strings.Contains(s, "\\"):
		return "must use / between directories"
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == ".." {
			return "must stay inside the repository (no ..)"
		}
	}
	return ""
}

func (p *parser) globs(n *yaml.Node, key string) []string {
	out := p.strings(n, key, "doublestar globs", "a doublestar glob", func(v string) (string, string) {
		g := strings.TrimPrefix(v, "./")
		if problem := relPath(g); problem != "" {
			return "", problem
		}
		if !doublestar.ValidatePattern(g) {
			return "", "is not a valid glob"
		}
		return g, ""
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// addressGlobs validates allow-destroy's list of resource addresses, in
// which "*" is the only wildcard. An empty list allows nothing.
func (p *parser) addressGlobs(n *yaml.Node, key string) []string {
	return p.strings(n, key, "resource addresses like aws_db_instance.main or module.db.*",
		"a resource address like aws_db_instance.main or module.db.*", func(v string) (string, string) {
			return v, addressProblem(v)
		})
}

// addressProblem reports why s cannot be a resource address pattern, or "".
func addressProblem(s string) string {
	switch {
	case s == "":
		return "is empty; want a resource address like aws_db_instance.main"
	case strings.ContainsAny(s, " \t\r\n"):
		return "holds whitespace; a resource address has none"
	case strings.HasPrefix(s, ".") || strings.HasSuffix(s, "."):
		return "starts or ends with a dot; want a resource address like aws_db_instance.main or module.db.*"
	case s != "*" && !strings.Contains(s, ".") && !strings.HasSuffix(s, "*"):
		return "is not a resource address: want <type>.<name> (aws_db_instance.main), module.<name>.* or a glob with *"
	}
	return ""
}

// refGlobs validates globs of full Git refs.
func (p *parser) refGlobs(n *yaml.Node, key string) []string {
	return p.strings(n, key, "ref globs like refs/heads/release/* or refs/tags/v*", "a ref glob like refs/heads/release/*", func(v string) (string, string) {
		if !strings.HasPrefix(v, "refs/heads/") && !strings.HasPrefix(v, "refs/tags/") {
			return "", "is not a full ref: start it with refs/heads/ (branches) or refs/tags/ (tags)"
		}
		if !doublestar.ValidatePattern(v) {
			return "", "is not a valid glob"
		}
		return v, ""
	})
}

// stackDir validates and cleans a stack directory named in depends-on.
func (p *parser) stackDir(n *yaml.Node, key, value string) (string, bool) {
	if problem := relPath(value); problem != "" {
		p.errorf(n, key, "%q %s", value, problem)
		return "", false
	}
	return path.Clean(value), true
}

func (p *parser) dependsOn(n *yaml.Node) map[string][]string {
	deps := map[string][]string{}
	firstLine := map[string]int{}
	p.mapping(n, "depends-on", nil, func(stack string, kn, v *yaml.Node) {
		key := join("depends-on", stack)
		dir, ok := p.stackDir(kn, key, stack)
		if !ok {
			return
		}
		if line, dup := firstLine[dir]; dup {
			p.errorf(kn, key, "is the same stack as the entry on line %d", line)
			return
		}
		firstLine[dir] = kn.Line
		items, ok := p.sequence(v, key, "stack directories")
		if !ok {
			return
		}
		list := []string{}
		for i, item := range items {
			ikey := fmt.Sprintf("%s[%d]", key, i)
			s, ok := p.scalar(item, ikey, "a stack directory")
			if !ok {
				continue
			}
			dep, ok := p.stackDir(s, ikey, s.Value)
			if !ok {
				continue
			}
			if dep == dir {
				p.errorf(s, ikey, "%s cannot depend on itself", dir)
				continue
			}
			if !contains(list, dep) {
				list = append(list, dep)
			}
		}
		deps[dir] = list
	})
	return deps
}
