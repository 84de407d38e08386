package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The committed host action is exactly what HostAction makes of the
// committed action.yml: a new input or output in action.yml fails this test
// until the host action is regenerated (LOCKSTEP_UPDATE_HOST_ACTION=1).
func TestHostActionIsGenerated(t *testing.T) {
	root := filepath.Join("..", "..")
	src, err := os.ReadFile(filepath.Join(root, "action.yml"))
	require.NoError(t, err)
	want, err := HostAction(src)
	require.NoError(t, err)
	path := filepath.Join(root, filepath.FromSlash(HostActionPath))
	if os.Getenv("LOCKSTEP_UPDATE_HOST_ACTION") != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "run LOCKSTEP_UPDATE_HOST_ACTION=1 go test ./pkg/release/ -run TestHostActionIsGenerated")
	assert.Equal(t, string(want), string(got), "%s is out of date: run LOCKSTEP_UPDATE_HOST_ACTION=1 go test ./pkg/release/ -run TestHostActionIsGenerated", HostActionPath)
}

// Every input reaches the binary as the container would get it, with the
// same default; every output is read from the step.
func TestHostActionMirrorsTheInputsAndOutputs(t *testing.T) {
	src := []byte(`inputs:
  command:
    description: What to do. More text.
    required: true
  working-directory:
    description: >-
      The root module,
      relative to the root.
    default: "."
  github-token:
    default: ${{ github.token }}
outputs:
  result:
    description: success or failed.
runs:
  using: docker
  image: Dockerfile
`)
	out, err := HostAction(src)
	require.NoError(t, err)
	var got struct {
		Inputs map[string]struct {
			Description string  `yaml:"description"`
			Default     *string `yaml:"default"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Value string `yaml:"value"`
		} `yaml:"outputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				ID  string            `yaml:"id"`
				Env map[string]string `yaml:"env"`
				Run string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	require.NoError(t, yaml.Unmarshal(out, &got), "%s", out)
	assert.Equal(t, "What to do.", got.Inputs["command"].Description)
	assert.Nil(t, got.Inputs["command"].Default)
	assert.Equal(t, "The root module, relative to the root.", got.Inputs["working-directory"].Description)
	assert.Equal(t, ".", *got.Inputs["working-directory"].Default)
	assert.Equal(t, "${{ github.token }}", *got.Inputs["github-token"].Default)
	assert.Equal(t, "${{ steps.lockstep.outputs.result }}", got.Outputs["result"].Value)
	assert.Equal(t, "composite", got.Runs.Using)
	require.Len(t, got.Runs.Steps, 1)
	step := got.Runs.Steps[0]
	assert.Equal(t, "lockstep", step.ID)
	assert.Equal(t, map[string]string{
		"INPUT_COMMAND":           "${{ inputs.command }}",
		"INPUT_WORKING-DIRECTORY": "${{ inputs.working-directory }}",
		"INPUT_GITHUB-TOKEN":      "${{ inputs.github-token }}",
	}, step.Env)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(step.Run), `"$GITHUB_ACTION_PATH/bin/lockstep" action`), step.Run)
}

func TestHostActionRefusesOddNames(t *testing.T) {
	_, err := HostAction([]byte("inputs:\n  \"bad name\": {}\noutputs: {}\n"))
	assert.ErrorContains(t, err, `inputs "bad name": only lower-case letters, digits and hyphens`)
	_, err = HostAction([]byte("inputs: []\n"))
	assert.ErrorContains(t, err, "inputs is not a mapping")
}
