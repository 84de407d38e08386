package cloudformation

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// GuardRulesDir is where a stack keeps its cfn-guard rules: every *.guard
// and *.ruleset file under this directory of the working directory (its
// subdirectories included) is checked against the template by validate.
const GuardRulesDir = ".cfn-guard"

// guardExitFailed is cfn-guard's exit status when a rule failed; any other
// non-zero status means it could not check (a rule file that does not
// parse is 5, other errors 255).
const guardExitFailed = 19

// guardMajor is the cfn-guard major version whose JSON report lockstep
// reads.
const guardMajor = "3"

// guardRules are the rule files under the stack's GuardRulesDir, relative
// to the working directory with forward slashes, sorted; none when the
// directory does not exist.
func (a *Adapter) guardRules() ([]string, error) {
	root := a.abs(GuardRulesDir)
	st, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the cfn-guard rules directory %s: %w", GuardRulesDir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is a file: cfn-guard rules go in files named *.guard inside the directory %s of the working directory", GuardRulesDir, GuardRulesDir)
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".guard") || strings.HasSuffix(p, ".ruleset")) {
			return nil
		}
		rel, err := filepath.Rel(a.o.Dir, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the cfn-guard rules in %s: %w", GuardRulesDir, err)
	}
	slices.Sort(files)
	return files, nil
}

// guard checks the template t (the file a.o.Template) against the rule
// files with cfn-guard. A failed rule is an error diagnostic at the
// template, on the line of the property it names; cfn-guard missing,
// refusing a rule file or failing otherwise is an error, never a pass.
// Only the template is given to cfn-guard, never the parameters file, and
// the values of the template's NoEcho defaults are replaced in what it
// says.
func (a *Adapter) guard(ctx context.Context, t *template, rules []string) ([]engine.Diagnostic, error) {
	bin, err := a.guardBinary(ctx, rules)
	if err != nil {
		return nil, err
	}
	secrets := redact.New(guardSecrets(a, t), "***")
	args := []string{"validate"}
	for _, r := range rules {
		args = append(args, "--rules", filepath.FromSlash(r))
	}
	data, cleanup, err := a.guardData()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	args = append(args, "--data", data, "--output-format", "json", "--show-summary", "none", "--structured")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = a.o.Dir
	// cfn-guard reads only files: it inherits nothing of the environment
	// (credentials, tokens).
	cmd.Env = []string{}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == guardExitFailed:
	case errors.As(err, &exit):
		return nil, fmt.Errorf("cfn-guard could not check %s against the rules in %s (exit status %d): %s",
			a.o.Template, GuardRulesDir, exit.ExitCode(), redactText(secrets, guardStderr(&stderr, &stdout)))
	default:
		return nil, fmt.Errorf("running cfn-guard: %w", err)
	}
	var reports []guardReport
	if err := json.Unmarshal(stdout.Bytes(), &reports); err != nil {
		return nil, fmt.Errorf("reading cfn-guard's report on %s: %w", a.o.Template, err)
	}
	if len(reports) != 1 {
		// cfn-guard skips a data file it does not take for a template
		// without a word: a report of no file is nothing checked.
		return nil, fmt.Errorf("cfn-guard reported on %d files instead of the template %s: its rules were not checked", len(reports), a.o.Template)
	}
	files := a.ruleFiles(rules)
	var diags []engine.Diagnostic
	for _, rep := range reports {
		for _, nc := range rep.NotCompliant {
			if nc.Rule == nil {
				continue
			}
			diags = append(diags, guardDiagnostics(a.o.Template, t, *nc.Rule, files[nc.Rule.Name], secrets)...)
		}
	}
	if len(diags) == 0 && exit != nil {
		// Exit 19 is a failed rule even when the report names none.
		diags = append(diags, engine.Diagnostic{File: a.o.Template, Summary: "cfn-guard rules failed",
			Detail: fmt.Sprintf("cfn-guard found the template not compliant with the rules in %s; run `cfn-guard validate --rules %s --data %s` for its report", GuardRulesDir, GuardRulesDir, a.o.Template)})
	}
	return diags, nil
}

// guardSecrets are the values replaced in what cfn-guard says: those of
// a.secrets, and every NoEcho parameter's default, even one the parameters
// file overrides (cfn-guard reads the template's).
func guardSecrets(a *Adapter, t *template) []string {
	out := a.secrets(t.noEcho())
	for _, p := range t.parameters() {
		if p.NoEcho && p.Default != nil && redact.WorthMasking(*p.Default) {
			out = append(out, *p.Default)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	return slices.Compact(out)
}

// guardDataExt are the extensions cfn-guard reads a data file of: it
// passes over any other file, even one named by --data, and reports
// nothing.
var guardDataExt = []string{".yaml", ".yml", ".json", ".jsn", ".template"}

// guardData is the template's path for cfn-guard's --data, relative to the
// working directory: the template itself, or, when cfn-guard would pass
// over its name, a copy named template.yaml in a temporary directory
// (JSON is YAML too) that cleanup removes.
func (a *Adapter) guardData() (path string, cleanup func(), err error) {
	if slices.Contains(guardDataExt, filepath.Ext(a.o.Template)) {
		return filepath.FromSlash(a.o.Template), func() {}, nil
	}
	raw, err := os.ReadFile(a.abs(a.o.Template))
	if err != nil {
		return "", nil, fmt.Errorf("reading the template for cfn-guard: %w", err)
	}
	dir, err := os.MkdirTemp("", "lockstep-cfn-guard-")
	if err != nil {
		return "", nil, fmt.Errorf("copying the template for cfn-guard: %w", err)
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	path = filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copying the template for cfn-guard: %w", err)
	}
	return path, cleanup, nil
}

// guardBinary is the cfn-guard to run (Options.GuardPath, else cfn-guard on
// PATH), after checking that it is cfn-guard 3.
func (a *Adapter) guardBinary(ctx context.Context, rules []string) (string, error) {
	name := a.o.GuardPath
	if name == "" {
		name = "cfn-guard"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("the stack has %d cfn-guard rule file(s) in %s, but cfn-guard is not installed (%s not found): install cfn-guard %s.x (the npm package @cdklabs/cdk-validator-cfnguard ships it as a static binary) or remove the rules; validate never passes rules it could not check",
			len(rules), GuardRulesDir, name, guardMajor)
	}
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("running %s --version: %w", bin, err)
	}
	v := strings.TrimSpace(string(out))
	ver, ok := strings.CutPrefix(v, "cfn-guard ")
	if !ok || !strings.HasPrefix(ver, guardMajor+".") {
		return "", fmt.Errorf("%s says %q: lockstep reads the reports of cfn-guard %s.x", bin, v, guardMajor)
	}
	return bin, nil
}

// guardStderr is what cfn-guard said about why it could not check.
func guardStderr(stderr, stdout *bytes.Buffer) string {
	s := strings.TrimSpace(stderr.String())
	if s == "" {
		s = strings.TrimSpace(stdout.String())
	}
	if s == "" {
		return "it said nothing"
	}
	// One line: its output is indented over several, for a terminal.
	s = strings.Join(strings.Fields(s), " ")
	const max = 2000
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func redactText(r *redact.Replacer, s string) string {
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// guardRuleName is a rule's declaration in a rule file.
var guardRuleName = regexp.MustCompile(`(?m)^\s*rule\s+([A-Za-z0-9_]+)`)

// ruleFiles maps each rule name to the first rule file that declares it:
// cfn-guard's report names rules, not their files.
func (a *Adapter) ruleFiles(rules []string) map[string]string {
	out := map[string]string{}
	for _, r := range rules {
		raw, err := os.ReadFile(a.abs(r))
		if err != nil {
			continue
		}
		for _, m := range guardRuleName.FindAllSubmatch(raw, -1) {
			if _, ok := out[string(m[1])]; !ok {
				out[string(m[1])] = r
			}
		}
	}
	return out
}

// guardReport is cfn-guard 3's structured JSON report of one data file
// (`validate --output-format json --structured`).
type guardReport struct {
	Name         string `json:"name"`
	Status       string `json:"status"`
	NotCompliant []struct {
		Rule *guardRule `json:"Rule"`
	} `json:"not_compliant"`
}

// guardRule is a failed rule: its checks are a tree of clauses, blocks,
// disjunctions and the rules it depends on.
type guardRule struct {
	Name     string          `json:"name"`
	Messages guardMessages   `json:"messages"`
	Checks   json.RawMessage `json:"checks"`
}

type guardMessages struct {
	Custom *string `json:"custom_message"`
	Error  *string `json:"error_message"`
}

// guardCheck is a failed clause, or a disjunction none of whose clauses
// held: the value's path in the template and what cfn-guard (and the rule's
// author) said of it.
type guardCheck struct {
	Path string
	Text string
}

// guardDiagnostics are a failed rule's diagnostics: one per failed check
// and place, at the template line of the property the check names.
func guardDiagnostics(file string, t *template, r guardRule, ruleFile string, secrets *redact.Replacer) []engine.Diagnostic {
	var tree any
	_ = json.Unmarshal(r.Checks, &tree)
	var checks []guardCheck
	collectChecks(tree, &checks)
	summary := "cfn-guard rule " + r.Name + " failed"
	from := ""
	if ruleFile != "" {
		from = " (" + ruleFile + ")"
	}
	if len(checks) == 0 {
		detail := "The template does not comply with the rule " + r.Name + from + "."
		if m := message(r.Messages); m != "" {
			detail += " " + m
		}
		return []engine.Diagnostic{{File: file, Summary: summary, Detail: redactText(secrets, detail)}}
	}
	var out []engine.Diagnostic
	seen := map[string]bool{}
	for _, c := range checks {
		var b strings.Builder
		where := strings.TrimPrefix(c.Path, "/")
		if where != "" {
			b.WriteString(strings.ReplaceAll(where, "/", "."))
			b.WriteString(": ")
		}
		m := c.Text
		if m == "" {
			m = message(r.Messages)
		}
		b.WriteString(m)
		b.WriteString(" [rule " + r.Name + from + "]")
		detail := redactText(secrets, b.String())
		if seen[detail] {
			continue
		}
		seen[detail] = true
		d := engine.Diagnostic{File: file, Summary: summary, Detail: detail}
		if n := t.at(c.Path); n != nil {
			d.Line, d.Column = n.Line, n.Column
		}
		out = append(out, d)
	}
	return out
}

// message is the rule author's message (its << >> text, each line
// trimmed) followed by cfn-guard's own.
func message(m guardMessages) string {
	var parts []string
	if m.Custom != nil {
		var lines []string
		for _, l := range strings.Split(*m.Custom, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			parts = append(parts, strings.Join(lines, "; ")+".")
		}
	}
	if m.Error != nil && strings.TrimSpace(*m.Error) != "" {
		parts = append(parts, guardPlace.ReplaceAllString(strings.TrimSpace(*m.Error), ""))
	}
	return strings.Join(parts, " ")
}

// guardPlace is where cfn-guard's messages say a value is ("[L:10,C:25]",
// its lines counted from 0; "Path=[L:0,C:0] " for a literal of the rule).
// The diagnostic has the template's line itself, counted from 1 like the
// editor's: these would only contradict it.
var guardPlace = regexp.MustCompile(`Path=\[L:0,C:0\] |\[L:\d+,C:\d+\]`)

// collectChecks walks cfn-guard's check tree, in its order, for the failed
// clauses (objects with both "messages" and "check"). A disjunction
// ("Disjunctions": a or b, none of which held) is one check, at the place
// of its first clause that names one.
func collectChecks(v any, out *[]guardCheck) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			collectChecks(e, out)
		}
	case map[string]any:
		if check, ok := v["check"]; ok {
			if msgs, ok := v["messages"].(map[string]any); ok {
				var m guardMessages
				if s, ok := msgs["custom_message"].(string); ok {
					m.Custom = &s
				}
				if s, ok := msgs["error_message"].(string); ok {
					m.Error = &s
				}
				c := guardCheck{Path: checkPath(check), Text: message(m)}
				if ctx, _ := v["context"].(string); c.Text == "" && strings.TrimSpace(ctx) != "" {
					c.Text = "check " + strings.TrimSpace(ctx) + " failed"
				}
				*out = append(*out, c)
				return
			}
		}
		if d, ok := v["Disjunctions"]; ok {
			var alts []guardCheck
			collectChecks(d, &alts)
			if len(alts) > 0 {
				c := guardCheck{}
				var texts []string
				for _, a := range alts {
					if c.Path == "" {
						c.Path = a.Path
					}
					if a.Text != "" {
						texts = append(texts, a.Text)
					}
				}
				c.Text = "None of these holds: " + strings.Join(texts, " Or: ")
				*out = append(*out, c)
				return
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			collectChecks(v[k], out)
		}
	}
}

// checkPath is the template path a check names: the value compared
// (Resolved, InResolved: "from"), or how far the query got before a
// property was missing (UnResolved: "traversed_to"); else the first
// non-empty path in it.
func checkPath(check any) string {
	for _, p := range [][]string{
		{"Resolved", "from", "path"},
		{"InResolved", "from", "path"},
		{"UnResolved", "value", "traversed_to", "path"},
	} {
		if s, ok := dig(check, p...).(string); ok && s != "" {
			return s
		}
	}
	return firstPath(check)
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func firstPath(v any) string {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if s := firstPath(e); s != "" {
				return s
			}
		}
	case map[string]any:
		if s, ok := v["path"].(string); ok && s != "" {
			return s
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if s := firstPath(v[k]); s != "" {
				return s
			}
		}
	}
	return ""
}

// at is the node a cfn-guard path ("/Resources/Queue/Properties/Tags/0")
// names: the key of a mapping entry, the element of a sequence. A path
// that leaves the template names the deepest node it reached; nil when it
// names none (or the template has no lines: JSON read without them).
func (t *template) at(path string) *yaml.Node {
	path = strings.Trim(path, "/")
	if path == "" || t.root == nil || t.root.Line == 0 {
		return nil
	}
	n, at := t.root, (*yaml.Node)(nil)
	for _, seg := range strings.Split(path, "/") {
		switch n.Kind {
		case yaml.MappingNode:
			v, k := get(n, seg)
			if v == nil {
				return at
			}
			n, at = v, k
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return at
			}
			n = n.Content[i]
			at = n
		default:
			return at
		}
	}
	return at
}
