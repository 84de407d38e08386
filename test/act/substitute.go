package act

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Options says what the substituted steps execute.
type Options struct {
	// Binary is the lockstep binary that stands in for the container action.
	Binary string
	// Helper is the executable that implements the stand-ins for checkout,
	// artifacts and cache: "<Helper> <verb>" (see RunHelper).
	Helper string
	// Inputs are the lockstep action's inputs, from action.yml.
	Inputs []Input
	// Host leaves the lockstep steps as they are, for a workflow run with
	// lockstep-runs-on: host: act runs the host action (the composite that
	// pipeline.yml's "Run lockstep on the runner" step puts in place) for
	// real, with the binary it built.
	Host bool
}

// Input is one input that action.yml declares.
type Input struct {
	Name    string
	Default string
}

// Helper verbs, one per substituted action (and the cache's post step).
const (
	VerbCheckout         = "checkout"
	VerbUploadArtifact   = "upload-artifact"
	VerbDownloadArtifact = "download-artifact"
	VerbCacheRestore     = "cache-restore"
	VerbCacheSave        = "cache-save"
	VerbSetupGo          = "setup-go"
)

// ReadActionInputs reads the inputs, in order, of the action.yml at path.
func ReadActionInputs(path string) ([]Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	inputs := lookup(root(&doc), "inputs")
	if inputs == nil || inputs.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s declares no inputs", path)
	}
	var out []Input
	for i := 0; i+1 < len(inputs.Content); i += 2 {
		in := Input{Name: inputs.Content[i].Value}
		if d := lookup(inputs.Content[i+1], "default"); d != nil {
			in.Default = resolve(d).Value
		}
		out = append(out, in)
	}
	return out, nil
}

// SubstituteFile substitutes the workflow at src and writes the result to
// dst.
func SubstituteFile(src, dst string, o Options) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	out, err := SubstituteBytes(data, o)
	if err != nil {
		return fmt.Errorf("substituting %s: %w", src, err)
	}
	return os.WriteFile(dst, out, 0o644)
}

// SubstituteBytes parses a workflow, substitutes it and encodes it again.
func SubstituteBytes(workflow []byte, o Options) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(workflow, &doc); err != nil {
		return nil, fmt.Errorf("parsing the workflow: %w", err)
	}
	if err := Substitute(&doc, o); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encoding the workflow: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Substitute rewrites, in place, every step of the parsed workflow that
// `uses:` an action into a `run:` step (see the package documentation for
// the rules). Jobs that call a reusable workflow have no steps and are left
// alone; so are `run:` steps. Key order and everything else is preserved.
func Substitute(doc *yaml.Node, o Options) error {
	if o.Binary == "" || o.Helper == "" {
		return errors.New("substitute: Options.Binary and Options.Helper are required")
	}
	jobs := lookup(root(doc), "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return errors.New("the workflow has no jobs")
	}
	var errs []error
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		jobID := jobs.Content[i].Value
		steps := lookup(jobs.Content[i+1], "steps")
		if steps == nil {
			continue
		}
		if steps.Kind != yaml.SequenceNode {
			errs = append(errs, fmt.Errorf("job %s: steps is not a list", jobID))
			continue
		}
		var post []*yaml.Node // post steps, in the order their main steps ran
		for n, step := range steps.Content {
			uses := lookup(step, "uses")
			if uses == nil {
				continue
			}
			where := fmt.Sprintf("job %s, step %d (%s)", jobID, n+1, stepLabel(step))
			if anchored(step) {
				errs = append(errs, fmt.Errorf("%s: an anchor inside a step that uses an action is not supported", where))
				continue
			}
			repl, postStep, err := substituteStep(step, resolve(uses).Value, o, fmt.Sprintf("%s-%d", jobID, n+1))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
			steps.Content[n] = repl
			if postStep != nil {
				post = append(post, postStep)
			}
		}
		// The runner runs post steps after the last step, newest first.
		for k := len(post) - 1; k >= 0; k-- {
			steps.Content = append(steps.Content, post[k])
		}
	}
	return errors.Join(errs...)
}

// substituteStep returns the run: step that replaces step, and the post step
// to append to the job, if any.
func substituteStep(step *yaml.Node, uses string, o Options, stateID string) (*yaml.Node, *yaml.Node, error) {
	with := map[string]*yaml.Node{}
	var withOrder []string
	if w := lookup(step, "with"); w != nil {
		if w.Kind != yaml.MappingNode {
			return nil, nil, errors.New("with: is not a mapping")
		}
		for i := 0; i+1 < len(w.Content); i += 2 {
			name := w.Content[i].Value
			with[name] = resolve(w.Content[i+1])
			withOrder = append(withOrder, name)
		}
	}

	action := actionName(uses)
	switch {
	case isLockstep(uses) && o.Host:
		return step, nil, nil

	case isLockstep(uses):
		var env [][2]string
		declared := map[string]bool{}
		for _, in := range o.Inputs {
			declared[in.Name] = true
			v := in.Default
			if n, ok := with[in.Name]; ok {
				v = n.Value
			}
			env = append(env, [2]string{inputEnv(in.Name), v})
		}
		for _, name := range withOrder {
			if !declared[name] {
				return nil, nil, fmt.Errorf("input %q is not declared in action.yml", name)
			}
		}
		run := `cd "$GITHUB_WORKSPACE" && exec ` + shellQuote(o.Binary) + " action"
		return runStep(step, env, run), nil, nil

	case action == "actions/checkout", action == "actions/upload-artifact", action == "actions/download-artifact":
		return runStep(step, withEnv(with, withOrder), helperRun(o.Helper, action[len("actions/"):], "")), nil, nil

	case action == "actions/cache":
		env := withEnv(with, withOrder)
		restore := runStep(step, env, helperRun(o.Helper, VerbCacheRestore, stateID))
		var pathEnv [][2]string
		if p, ok := with["path"]; ok {
			pathEnv = [][2]string{{inputEnv("path"), p.Value}}
		}
		name := "Post " + stepLabel(step)
		save := mapping(
			"name", scalar(name),
			// actions/cache declares post-if: success().
			"if", scalar("${{ success() }}"),
			"shell", scalar("bash"),
			"env", envMapping(pathEnv),
			"run", scalar(helperRun(o.Helper, VerbCacheSave, stateID)),
		)
		return restore, save, nil

	case action == "actions/setup-go":
		// The host's own Go (the one running these tests) stands in.
		return runStep(step, withEnv(with, withOrder), helperRun(o.Helper, VerbSetupGo, "")), nil, nil

	case strings.HasPrefix(uses, "./"):
		// Another local action (the caller's setup hook): act runs it as it is.
		return step, nil, nil

	case action == "actions/cache/restore":
		// Restore only: the same restore, and no post step that saves.
		return runStep(step, withEnv(with, withOrder), helperRun(o.Helper, VerbCacheRestore, stateID)), nil, nil
	}
	return nil, nil, fmt.Errorf("no substitution for uses: %s", uses)
}

// runStep builds the run: step that replaces step: its name, id, if,
// continue-on-error and timeout-minutes stay; its env gets extra appended
// (replacing keys of the same name); uses and with go.
func runStep(step *yaml.Node, extra [][2]string, run string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, key := range []string{"name", "id", "if", "continue-on-error", "timeout-minutes"} {
		if v := lookup(step, key); v != nil {
			out.Content = append(out.Content, scalar(key), v)
		}
	}
	env := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if e := lookup(step, "env"); e != nil && e.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(e.Content); i += 2 {
			if !hasKey(extra, e.Content[i].Value) {
				env.Content = append(env.Content, e.Content[i], e.Content[i+1])
			}
		}
	}
	env.Content = append(env.Content, envMapping(extra).Content...)
	out.Content = append(out.Content,
		scalar("shell"), scalar("bash"),
		scalar("env"), env,
		scalar("run"), scalar(run),
	)
	return out
}

func hasKey(kv [][2]string, key string) bool {
	for _, p := range kv {
		if p[0] == key {
			return true
		}
	}
	return false
}

// withEnv turns a step's with: into INPUT_* variables, as the runner does for
// a JavaScript action.
func withEnv(with map[string]*yaml.Node, order []string) [][2]string {
	env := make([][2]string, 0, len(order))
	for _, name := range order {
		env = append(env, [2]string{inputEnv(name), with[name].Value})
	}
	return env
}

// inputEnv is the runner's variable name for an input: INPUT_ + upper case,
// spaces to "_", hyphens kept.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

func helperRun(helper, verb, stateID string) string {
	run := "exec " + shellQuote(helper) + " " + verb
	if stateID != "" {
		run += " " + shellQuote(stateID)
	}
	return run
}

// isLockstep reports whether uses names the lockstep action: the checkout the
// reusable workflow makes of it, the repository root, the published action
// or its image.
func isLockstep(uses string) bool {
	switch {
	case uses == "./.lockstep-action", uses == "./":
		return true
	case strings.HasPrefix(strings.ToLower(uses), "lockstep-ci/lockstep@"):
		return true
	case strings.HasPrefix(uses, "docker://") && strings.Contains(uses, "/lockstep"):
		return true
	}
	return false
}

// actionName is owner/repo of a remote action reference ("actions/checkout"
// for "actions/checkout@<sha>"), or "" for local and docker actions.
func actionName(uses string) string {
	if strings.HasPrefix(uses, "./") || strings.HasPrefix(uses, "docker://") {
		return ""
	}
	name, _, _ := strings.Cut(uses, "@")
	return strings.ToLower(name)
}

func stepLabel(step *yaml.Node) string {
	for _, key := range []string{"name", "id", "uses"} {
		if v := lookup(step, key); v != nil {
			return resolve(v).Value
		}
	}
	return "unnamed"
}

// shellQuote quotes s for bash, single quotes and all.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func root(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0]
	}
	return doc
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// anchored reports whether n or anything inside it defines an anchor.
func anchored(n *yaml.Node) bool {
	if n.Anchor != "" {
		return true
	}
	for _, c := range n.Content {
		if anchored(c) {
			return true
		}
	}
	return false
}

func scalar(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if strings.Contains(v, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalar(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return m
}

func envMapping(kv [][2]string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, p := range kv {
		m.Content = append(m.Content, scalar(p[0]), scalar(p[1]))
	}
	return m
}
