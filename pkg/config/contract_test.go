package config

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// action.yml, the flag parser and the README all describe the same inputs
// and outputs: this list. A new input must appear in all of them.
func TestActionYAMLMatchesInputsAndOutputs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	require.NoError(t, err)
	var action struct {
		Inputs map[string]struct {
			Default  *string `yaml:"default"`
			Required bool    `yaml:"required"`
		} `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
		Runs    struct {
			Using string `yaml:"using"`
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &action))
	assert.Equal(t, "docker", action.Runs.Using)
	assert.Equal(t, "Dockerfile", action.Runs.Image)

	var want, got []string
	for _, in := range Inputs {
		want = append(want, in.Name)
		spec, ok := action.Inputs[in.Name]
		if !assert.True(t, ok, "action.yml lacks input %s", in.Name) {
			continue
		}
		if in.Name == "command" {
			assert.True(t, spec.Required)
			continue
		}
		if assert.NotNil(t, spec.Default, "input %s has no default in action.yml", in.Name) {
			assert.Equal(t, in.Default, *spec.Default, "default of input %s", in.Name)
		}
	}
	for name := range action.Inputs {
		got = append(got, name)
	}
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got)

	want, got = nil, nil
	for _, out := range Outputs {
		want = append(want, out.Name)
	}
	for name := range action.Outputs {
		got = append(got, name)
	}
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got)
}

func TestREADMEDocumentsEveryInputAndOutput(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	readme := string(data)
	for _, in := range Inputs {
		assert.Contains(t, readme, "| `"+in.Name+"` |", "README's input table lacks %s", in.Name)
	}
	for _, out := range Outputs {
		assert.Contains(t, readme, "`"+out.Name+"`", "README lacks output %s", out.Name)
	}
	assert.Equal(t, 1, strings.Count(readme, "make demo   #"), "the README has exactly two set-up commands")
	assert.Equal(t, 1, strings.Count(readme, "make test   #"))
}
