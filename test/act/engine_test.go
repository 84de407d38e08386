package act

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// actionInputs reads action.yml's inputs.
func actionInputs(t *testing.T) []Input {
	t.Helper()
	inputs, err := ReadActionInputs(filepath.Join(tftest.RepoRoot(), "action.yml"))
	require.NoError(t, err)
	return inputs
}

// engineCommands are the lockstep commands that run the engine: each must get
// the engine and terraform-version inputs from pipeline.yml's own.
var engineCommands = map[string]bool{"validate": true, "plan": true, "apply": true}

// TestPipelinePassesTheEngineInputs: in pipeline.yml every lockstep step that
// runs the engine passes the workflow's engine and terraform-version inputs
// (a step without them would silently run action.yml's defaults).
func TestPipelinePassesTheEngineInputs(t *testing.T) {
	o := Options{Binary: "/bin/lockstep", Helper: "/bin/helper", Inputs: actionInputs(t)}
	src, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), ".github", "workflows", "pipeline.yml"))
	require.NoError(t, err)
	out, err := SubstituteBytes(src, o)
	require.NoError(t, err)

	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(out, &doc))
	jobs := lookup(root(&doc), "jobs")
	seen := map[string]bool{}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		job := jobs.Content[i].Value
		for _, step := range lookup(jobs.Content[i+1], "steps").Content {
			env := lookup(step, "env")
			command := lookup(env, "INPUT_COMMAND")
			if command == nil || !engineCommands[command.Value] {
				continue
			}
			seen[command.Value] = true
			require.Equal(t, "${{ inputs.engine }}", lookup(env, "INPUT_ENGINE").Value, "job %s, %s", job, command.Value)
			require.Equal(t, "${{ inputs.terraform-version }}", lookup(env, "INPUT_TERRAFORM-VERSION").Value, "job %s, %s", job, command.Value)
		}
	}
	require.Equal(t, engineCommands, seen, "every engine command has a step")

	// The inputs themselves, with the defaults the contract names.
	var wf struct {
		On struct {
			WorkflowCall struct {
				Inputs map[string]struct {
					Type    string `yaml:"type"`
					Default string `yaml:"default"`
				} `yaml:"inputs"`
			} `yaml:"workflow_call"`
		} `yaml:"on"`
	}
	require.NoError(t, yaml.Unmarshal(src, &wf))
	in := wf.On.WorkflowCall.Inputs
	require.Equal(t, "string", in["engine"].Type)
	require.Equal(t, "terraform", in["engine"].Default)
	require.Equal(t, "string", in["terraform-version"].Type)
	require.Equal(t, "", in["terraform-version"].Default)
}

// engineInput is what one lockstep step saw of the engine inputs.
type engineInput struct {
	Command, Engine, TerraformVersion string
}

// recordingBinary writes a wrapper around the lockstep binary that appends
// the step's INPUT_COMMAND, INPUT_ENGINE and INPUT_TERRAFORM-VERSION (what the
// runner would hand the container) to log, then runs lockstep. A shell cannot
// expand a name with a hyphen; printenv reads it. bash, not sh: dash drops
// such variables (INPUT_WORKING-DIRECTORY) from the environment it passes on.
func recordingBinary(t *testing.T, dir, bin, log string) string {
	t.Helper()
	p := filepath.Join(dir, "lockstep-recording")
	script := "#!/usr/bin/env bash\n" +
		"printf '%s\\t%s\\t%s\\n' \"$(printenv INPUT_COMMAND)\" \"$(printenv INPUT_ENGINE)\" \"$(printenv INPUT_TERRAFORM-VERSION)\" >> " + shellQuote(log) + "\n" +
		"exec " + shellQuote(bin) + " \"$@\"\n"
	require.NoError(t, os.WriteFile(p, []byte(script), 0o755))
	return p
}

// engineInputs reads what every lockstep step of the run saw, in order.
func (w *world) engineInputs() []engineInput {
	w.t.Helper()
	data, err := os.ReadFile(w.inputLog)
	require.NoError(w.t, err, "no lockstep step ran")
	var out []engineInput
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		f := strings.Split(line, "\t")
		require.Len(w.t, f, 3, "input log line %q", line)
		out = append(out, engineInput{Command: f[0], Engine: f[1], TerraformVersion: f[2]})
	}
	return out
}

// terraformVersion is the version of the terraform the tests run, so that a
// pinned terraform-version needs no download once lockstep resolves it.
func terraformVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(tftest.Path(t), "version", "-json").Output()
	require.NoError(t, err)
	var v struct {
		TerraformVersion string `json:"terraform_version"`
	}
	require.NoError(t, json.Unmarshal(out, &v))
	require.NotEmpty(t, v.TerraformVersion)
	return v.TerraformVersion
}

// requireEngineInputs checks that validate, plan and apply ran with the
// caller's engine and terraform-version, detect with the engine only, and
// that the other commands got action.yml's defaults (pipeline.yml passes
// the engine only where it matters).
func (w *world) requireEngineInputs(t *testing.T, commands ...string) {
	t.Helper()
	defaults := map[string]string{}
	for _, in := range actionInputs(t) {
		defaults[in.Name] = in.Default
	}
	var got []string
	for _, in := range w.engineInputs() {
		got = append(got, in.Command)
		switch {
		case engineCommands[in.Command]:
			require.Equal(t, engineInput{in.Command, w.engine, w.terraformVersion}, in, "the caller's engine inputs reached %s", in.Command)
		case in.Command == "detect":
			// detect runs no engine but reads which (a Pulumi or CloudFormation
			// stack is a whole directory).
			require.Equal(t, engineInput{in.Command, w.engine, defaults["terraform-version"]}, in, "detect gets the engine, not its version")
		default:
			require.Equal(t, engineInput{in.Command, defaults["engine"], defaults["terraform-version"]}, in, "%s runs no engine: action.yml's defaults", in.Command)
		}
	}
	require.Equal(t, commands, got, "the lockstep steps that ran, in order")
}
