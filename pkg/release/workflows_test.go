package release

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const regenerate = "run LOCKSTEP_UPDATE_WORKFLOWS=1 go test ./pkg/release/ -run TestWorkflowsAreGenerated"

// The committed pipeline.yml holds exactly the twins EnvironmentTwins makes
// of its deploy and verify jobs, and pipeline-oidc.yml is exactly what
// OIDCWorkflow makes of pipeline.yml: a change to a plain job (or to
// pipeline.yml at all) fails this test until they are regenerated
// (LOCKSTEP_UPDATE_WORKFLOWS=1).
func TestWorkflowsAreGenerated(t *testing.T) {
	root := filepath.Join("..", "..")
	pipelinePath := filepath.Join(root, filepath.FromSlash(PipelinePath))
	oidcPath := filepath.Join(root, filepath.FromSlash(OIDCPipelinePath))
	src, err := os.ReadFile(pipelinePath)
	require.NoError(t, err)
	pipeline, err := EnvironmentTwins(src)
	require.NoError(t, err)
	oidc, err := OIDCWorkflow(pipeline)
	require.NoError(t, err)
	if os.Getenv("LOCKSTEP_UPDATE_WORKFLOWS") != "" {
		require.NoError(t, os.WriteFile(pipelinePath, pipeline, 0o644))
		require.NoError(t, os.WriteFile(oidcPath, oidc, 0o644))
	}
	got, err := os.ReadFile(pipelinePath)
	require.NoError(t, err)
	assert.Equal(t, string(pipeline), string(got), "%s's generated jobs are out of date: %s", PipelinePath, regenerate)
	got, err = os.ReadFile(oidcPath)
	require.NoError(t, err, regenerate)
	assert.Equal(t, string(oidc), string(got), "%s is out of date: %s", OIDCPipelinePath, regenerate)
}

// What the committed files say, read as YAML: the twins name the deploy
// environment and each other, the plain jobs name none, and every workflow
// output read from deploy or verify reads the twin too.
func TestPipelineTwinsAndOutputs(t *testing.T) {
	root := filepath.Join("..", "..")
	type job struct {
		If          string    `yaml:"if"`
		Needs       yaml.Node `yaml:"needs"`
		Environment *struct {
			Name string `yaml:"name"`
		} `yaml:"environment"`
		Concurrency struct {
			Group string `yaml:"group"`
		} `yaml:"concurrency"`
		Permissions map[string]string `yaml:"permissions"`
	}
	var wf struct {
		On struct {
			WorkflowCall struct {
				Inputs  map[string]struct{ Default string } `yaml:"inputs"`
				Outputs map[string]struct{ Value string }   `yaml:"outputs"`
			} `yaml:"workflow_call"`
		} `yaml:"on"`
		Jobs map[string]job `yaml:"jobs"`
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(PipelinePath)))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &wf))
	require.Contains(t, wf.On.WorkflowCall.Inputs, "deploy-environment")
	assert.Equal(t, "", wf.On.WorkflowCall.Inputs["deploy-environment"].Default)

	needs := func(j job) []string {
		var out []string
		require.NoError(t, j.Needs.Decode(&out))
		return out
	}
	deploy, deployTwin := wf.Jobs["deploy"], wf.Jobs["deploy-in-environment"]
	verify, verifyTwin := wf.Jobs["verify"], wf.Jobs["verify-in-environment"]
	assert.Nil(t, deploy.Environment, "deploy names no environment")
	assert.Nil(t, verify.Environment, "verify names no environment")
	for name, j := range map[string]job{"deploy-in-environment": deployTwin, "verify-in-environment": verifyTwin} {
		require.NotNil(t, j.Environment, name)
		assert.Equal(t, "${{ inputs.deploy-environment }}", j.Environment.Name, name)
		assert.Contains(t, j.If, "inputs.deploy-environment != ''", name)
		assert.NotContains(t, j.If, "inputs.deploy-environment == ''", name)
	}
	assert.Contains(t, deploy.If, "inputs.deploy-environment == ''")
	assert.Contains(t, verify.If, "inputs.deploy-environment == ''")
	assert.Equal(t, []string{"detect", "plans", "apply"}, needs(deployTwin))
	assert.Equal(t, []string{"detect", "deploy"}, needs(verify))
	assert.Equal(t, []string{"detect", "deploy-in-environment"}, needs(verifyTwin))
	assert.Contains(t, verifyTwin.If, "needs.deploy-in-environment.result == 'success'")
	// One deploy at a time per environment and call, whichever of the two runs.
	assert.Equal(t, deploy.Concurrency.Group, deployTwin.Concurrency.Group)
	assert.Equal(t, deploy.Permissions, deployTwin.Permissions)
	assert.Equal(t, verify.Permissions, verifyTwin.Permissions)

	// Every output that reads deploy or verify reads its twin, chosen by the input.
	ref := regexp.MustCompile(`jobs\.(deploy|verify)\.outputs\.([a-z-]+)`)
	for name, out := range wf.On.WorkflowCall.Outputs {
		for _, m := range ref.FindAllStringSubmatch(out.Value, -1) {
			assert.Contains(t, out.Value, "jobs."+m[1]+"-in-environment.outputs."+m[2], "output %s", name)
			assert.Contains(t, out.Value, "inputs.deploy-environment == '' && ", "output %s", name)
			assert.Contains(t, out.Value, "inputs.deploy-environment != '' && ", "output %s", name)
		}
	}
}

// pipeline-oidc.yml asks for id-token: write exactly in the jobs that run the
// setup hook; pipeline.yml nowhere.
func TestOIDCWorkflowPermissions(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(p string) map[string]map[string]string {
		var wf struct {
			Jobs map[string]struct {
				Permissions map[string]string `yaml:"permissions"`
			} `yaml:"jobs"`
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(data, &wf))
		out := map[string]map[string]string{}
		for name, j := range wf.Jobs {
			out[name] = j.Permissions
		}
		return out
	}
	plain, oidc := read(PipelinePath), read(OIDCPipelinePath)
	var with []string
	for name, perms := range oidc {
		assert.NotContains(t, plain[name], "id-token", "pipeline.yml job %s", name)
		if perms["id-token"] != "" {
			assert.Equal(t, "write", perms["id-token"])
			with = append(with, name)
		}
		rest := map[string]string{}
		for k, v := range perms {
			if k != "id-token" {
				rest[k] = v
			}
		}
		if len(plain[name]) > 0 || len(rest) > 0 {
			assert.Equal(t, plain[name], rest, "job %s: the same permissions otherwise", name)
		}
	}
	assert.ElementsMatch(t, []string{"plan", "apply", "deploy", "verify", "deploy-in-environment", "verify-in-environment"}, with)
}

const miniPipeline = `name: lockstep

on:
  workflow_call:
    inputs:
      deploy-environment:
        type: string
        default: ""

permissions: {}

jobs:
  detect:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - run: true

  deploy:
    needs: [detect]
    # Only without the input.
    if: ${{ !cancelled() && inputs.deploy-environment == '' }}
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      result: ${{ steps.deploy.outputs.result }}
    steps:
      - name: Run the repository's setup hook
        uses: ./.github/actions/lockstep-setup

      - id: deploy
        run: echo "result=success" >> "$GITHUB_OUTPUT"

  verify:
    needs: deploy
    if: ${{ needs.deploy.result == 'success' && inputs.deploy-environment == '' }}
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - env:
          R: ${{ needs.deploy.outputs.result }}
        run: echo "$R"
`

// The twins, exactly: the job renamed, its if: flipped, the environment
// before runs-on, needs pointing at the other twin; the plain jobs and
// everything else untouched; regenerating changes nothing.
func TestEnvironmentTwins(t *testing.T) {
	out, err := EnvironmentTwins([]byte(miniPipeline))
	require.NoError(t, err)
	want := miniPipeline + `
  # ── Generated by pkg/release.EnvironmentTwins from the deploy and verify jobs above: do not edit.
  # (LOCKSTEP_UPDATE_WORKFLOWS=1 go test ./pkg/release/ -run TestWorkflowsAreGenerated rewrites them.)
  # With deploy-environment set these run instead of deploy and verify: the same jobs, naming that
  # environment, so that its secrets and protection rules apply (see "Deployment records" above).

  deploy-in-environment:
    needs: [detect]
    # Only without the input.
    if: ${{ !cancelled() && inputs.deploy-environment != '' }}
    # The deploy environment: its secrets and protection rules apply, and GitHub records an
    # automatic Deployment of it for this job (see "Deployment records" above).
    environment:
      name: ${{ inputs.deploy-environment }}
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      result: ${{ steps.deploy.outputs.result }}
    steps:
      - name: Run the repository's setup hook
        uses: ./.github/actions/lockstep-setup

      - id: deploy
        run: echo "result=success" >> "$GITHUB_OUTPUT"

  verify-in-environment:
    needs: deploy-in-environment
    if: ${{ needs.deploy-in-environment.result == 'success' && inputs.deploy-environment != '' }}
    # The deploy environment: its secrets and protection rules apply, and GitHub records an
    # automatic Deployment of it for this job (see "Deployment records" above).
    environment:
      name: ${{ inputs.deploy-environment }}
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - env:
          R: ${{ needs.deploy-in-environment.outputs.result }}
        run: echo "$R"

  # ── End of the generated jobs.
`
	assert.Equal(t, want, string(out))
	again, err := EnvironmentTwins(out)
	require.NoError(t, err)
	assert.Equal(t, want, string(again), "regenerating is stable")

	// A changed plain job changes its twin on the next generation.
	changed := strings.Replace(string(out), "    # Only without the input.\n", "    # Only without the input (changed).\n", 1)
	again, err = EnvironmentTwins([]byte(changed))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(again), "# Only without the input (changed)."))
}

func TestEnvironmentTwinsRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ src, err string }{
		"no flip": {
			strings.Replace(miniPipeline, "if: ${{ !cancelled() && inputs.deploy-environment == '' }}", "if: ${{ !cancelled() }}", 1),
			"job deploy must test inputs.deploy-environment == '' exactly once in its if: (found 0)",
		},
		"missing job": {strings.Replace(miniPipeline, "  verify:\n", "  check:\n", 1), "no job verify"},
		"environment already": {
			strings.Replace(miniPipeline, "    runs-on: ubuntu-latest\n    permissions: {}\n", "    environment: x\n    runs-on: ubuntu-latest\n    permissions: {}\n", 1),
			"job verify names an environment already",
		},
		"region not last": {
			strings.Replace(miniPipeline, "  detect:\n", twinsBegin+"\n"+twinsEnd+"\n  detect:\n", 1),
			"the generated jobs must be the end of the file",
		},
		"broken markers": {miniPipeline + twinsBegin + "\n", "markers are broken"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := EnvironmentTwins([]byte(tc.src))
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

// id-token: write goes first into the permissions of each job that runs the
// setup hook (deploy here), nowhere else; the name is marked.
func TestOIDCWorkflow(t *testing.T) {
	out, err := OIDCWorkflow([]byte(miniPipeline))
	require.NoError(t, err)
	s := string(out)
	assert.True(t, strings.HasPrefix(s, "# Generated from pipeline.yml by pkg/release.OIDCWorkflow: do not edit"), s)
	assert.Contains(t, s, "\nname: lockstep (OIDC)\n")
	assert.Equal(t, 1, strings.Count(s, "id-token: write #"))
	assert.Contains(t, s, "  deploy:\n    needs: [detect]\n    # Only without the input.\n    if: ${{ !cancelled() && inputs.deploy-environment == '' }}\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: write # the setup hook's cloud login (OIDC): only pipeline-oidc.yml asks for it\n      contents: read\n")
	// Everything else is pipeline.yml's, line for line.
	var kept []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "#") && !strings.Contains(l, "id-token: write #") {
			kept = append(kept, l)
		}
	}
	assert.Equal(t, strings.Replace(miniPipeline, "name: lockstep\n", "name: lockstep (OIDC)\n", 1), strings.Join(kept, "\n"))

	_, err = OIDCWorkflow([]byte(strings.Replace(miniPipeline, "    permissions:\n      contents: read\n    outputs:", "    permissions: { contents: read }\n    outputs:", 1)))
	assert.ErrorContains(t, err, "job deploy runs the setup hook: its permissions must be a block mapping")
	_, err = OIDCWorkflow([]byte(strings.Replace(miniPipeline, "    permissions:\n      contents: read\n    outputs:", "    permissions:\n      id-token: write\n    outputs:", 1)))
	assert.ErrorContains(t, err, "job deploy asks for id-token itself")
	_, err = OIDCWorkflow([]byte(strings.ReplaceAll(miniPipeline, "uses: ./.github/actions/lockstep-setup", "run: true")))
	assert.ErrorContains(t, err, "no job runs the setup hook")
}
