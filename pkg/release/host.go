package release

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// HostActionPath is the composite action that runs lockstep as a plain
// binary on the runner (the reusable workflow's lockstep-runs-on: host),
// relative to the repository root. HostAction writes it from action.yml.
const HostActionPath = ".github/actions/host/action.yml"

// HostBinary is where the host action expects the lockstep binary,
// relative to the action's own directory (the reusable workflow builds it
// there from the pinned commit before any lockstep step).
const HostBinary = "bin/lockstep"

// HostAction renders the composite action that stands in for action.yml in
// host mode: the same inputs with the same defaults, each passed to the
// binary as INPUT_<NAME> (upper case, hyphens kept), exactly as the runner
// passes them to the container; the same outputs, read from the step.
// pipeline.yml copies it over the checked-out action.yml, so every
// `uses: ./.lockstep-action` step of a job runs the binary instead of the
// image without a second copy of each step.
func HostAction(actionYML []byte) ([]byte, error) {
	var doc struct {
		Inputs  yaml.Node `yaml:"inputs"`
		Outputs yaml.Node `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(actionYML, &doc); err != nil {
		return nil, fmt.Errorf("parsing action.yml: %w", err)
	}
	inputs, err := pairs(&doc.Inputs, "inputs")
	if err != nil {
		return nil, err
	}
	outputs, err := pairs(&doc.Outputs, "outputs")
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	b.WriteString(`# Generated from action.yml by pkg/release.HostAction: do not edit (the test that checks it
# rewrites it with LOCKSTEP_UPDATE_HOST_ACTION=1 go test ./pkg/release/).
#
# lockstep as a plain binary on the runner, for pipeline.yml's lockstep-runs-on: host (a Pulumi
# program's language runtime, or a deploy command's tools, live on the runner, where a container
# action cannot see them). The binary is ` + HostBinary + ` beside this file, built from the same
# commit by pipeline.yml's "Run lockstep on the runner" step.
name: lockstep (host)
description: lockstep as a binary on the runner, with action.yml's inputs and outputs.
author: lockstep-ci

inputs:
`)
	for _, in := range inputs {
		fmt.Fprintf(&b, "  %s:\n", in.name)
		desc := firstSentence(in.field("description"))
		fmt.Fprintf(&b, "    description: %s\n", yamlString(desc))
		fmt.Fprintf(&b, "    required: false\n")
		if d, ok := in.value("default"); ok {
			fmt.Fprintf(&b, "    default: %s\n", yamlString(d))
		}
	}
	b.WriteString("\noutputs:\n")
	for _, out := range outputs {
		fmt.Fprintf(&b, "  %s:\n", out.name)
		fmt.Fprintf(&b, "    description: %s\n", yamlString(firstSentence(out.field("description"))))
		fmt.Fprintf(&b, "    value: ${{ steps.lockstep.outputs.%s }}\n", out.name)
	}
	b.WriteString(`
runs:
  using: composite
  steps:
    - name: Run lockstep
      id: lockstep
      shell: bash
      env:
`)
	for _, in := range inputs {
		fmt.Fprintf(&b, "        INPUT_%s: ${{ inputs.%s }}\n", strings.ToUpper(in.name), in.name)
	}
	b.WriteString(`      run: exec "$GITHUB_ACTION_PATH/` + HostBinary + `" action
`)
	return b.Bytes(), nil
}

type entry struct {
	name string
	node *yaml.Node
}

// pairs lists a mapping's keys in order, refusing names that are not plain
// identifiers (they become YAML keys and environment variable names).
func pairs(n *yaml.Node, what string) ([]entry, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("action.yml: %s is not a mapping", what)
	}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return nil, fmt.Errorf("action.yml: %s %q: only lower-case letters, digits and hyphens", what, name)
			}
		}
		out = append(out, entry{name: name, node: n.Content[i+1]})
	}
	return out, nil
}

func (e entry) value(key string) (string, bool) {
	if e.node.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i+1 < len(e.node.Content); i += 2 {
		if e.node.Content[i].Value == key {
			return e.node.Content[i+1].Value, true
		}
	}
	return "", false
}

func (e entry) field(key string) string {
	v, _ := e.value(key)
	return v
}

// firstSentence keeps descriptions short: the generated file points at
// action.yml for the rest.
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return s
}

// yamlString quotes s for YAML: double-quoted, with JSON-compatible escapes.
func yamlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
