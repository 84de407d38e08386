package act

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/pulumitest"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// pulumiSecret is the stack's secret config value (and its secret output).
const pulumiSecret = "pul-Act-S3cret-v4lue"

// setupHook is the caller's .github/actions/lockstep-setup: it records
// which job ran it, and puts Pulumi on the PATH of the later steps, as a
// real hook installs a runtime or a CLI.
const setupHook = `name: lockstep setup
description: the act test's setup hook
runs:
  using: composite
  steps:
    - shell: bash
      run: |
        echo "$LOCKSTEP_JOB $LOCKSTEP_ENGINE $LOCKSTEP_ENVIRONMENT" >> '@STATE@/hook.log'
        echo '@PULUMI_DIR@' >> "$GITHUB_PATH"
`

// engine: pulumi through the reusable workflow, in host mode: the setup
// hook puts the Pulumi CLI on the runner's PATH, the plan job previews and
// saves the plan with the stack config file of var-files, apply (whose
// step pipeline.yml gives no var-files) runs pulumi up of exactly that
// plan with the file the binding record names, and the app deploys; no
// secret reaches the log.
func TestPulumiInHostModeAppliesThenDeploys(t *testing.T) {
	t.Parallel()
	bin := pulumitest.Path(t)
	fixture, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "pulumi", "Pulumi.yaml"))
	require.NoError(t, err)
	w := newHostWorld(t, "pulumi", map[string]string{
		"pulumi/Pulumi.yaml":                        string(fixture),
		".github/actions/lockstep-setup/action.yml": strings.ReplaceAll(setupHook, "@PULUMI_DIR@", filepath.Dir(bin)),
	})
	w.engine, w.pulumiStack, w.backend = "pulumi", "dev", ""

	// The stack exists (lockstep never creates one) with its secret set;
	// its settings file is committed, as a team's would be.
	var env []string
	for _, kv := range pulumitest.Env(t, bin) {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	project := filepath.Join(w.repo, "pulumi")
	pulumitest.Run(t, bin, project, env, "stack", "init", "dev", "--non-interactive")
	pulumitest.Run(t, bin, project, env, "config", "set", "--stack", "dev", "--secret", "password", pulumiSecret)
	settings, err := os.ReadFile(filepath.Join(project, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	// staging.yaml: the stack's settings with another value.
	require.NoError(t, os.WriteFile(filepath.Join(project, "staging.yaml"), settings, 0o644))
	pulumitest.Run(t, bin, project, env, "config", "set", "--stack", "dev", "--config-file", "staging.yaml", "value", "two")
	staging, err := os.ReadFile(filepath.Join(project, "staging.yaml"))
	require.NoError(t, err)
	w.commit(map[string]string{"pulumi/Pulumi.dev.yaml": string(settings), "pulumi/staging.yaml": string(staging)})
	w.varFiles = "staging.yaml"
	w.terraformEnv = env
	w.seedPlanArtifacts()

	res := w.act("push")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	require.Equal(t, "true", res.steps["plan"]["has-changes"])
	require.Equal(t, "4", res.steps["plan"]["add"], "Pulumi's own count: the stack and first, second and third")
	// The workflow's outputs (a host action reports every output of
	// action.yml, so the job's later lockstep steps log empty ones).
	require.Contains(t, res.outputs["outputs-json"], `"greeting":"hello-two"`, "applied with staging.yaml's config: %v", res.outputs)
	require.NotContains(t, res.outputs["outputs-json"], "token", "a secret output never reaches outputs-json")

	hook, err := os.ReadFile(filepath.Join(filepath.Dir(w.state), "hook.log"))
	require.NoError(t, err)
	for _, job := range []string{"plan", "apply", "deploy", "verify"} {
		require.Contains(t, string(hook), job+" pulumi staging\n", "the setup hook ran in the %s job", job)
	}
	// The state holds what the reviewed plan created.
	state := pulumitest.Run(t, bin, project, env, "stack", "export", "--stack", "dev")
	for _, name := range []string{"first", "second", "third"} {
		require.Contains(t, state, "lockstep:index:Thing::"+name)
	}
	w.requireAppDeployment(t)
	require.Contains(t, w.deployed(), deployTarget)
	res.requireNoSecrets(t)
	require.False(t, strings.Contains(res.log, pulumiSecret), "the secret never reaches the log")
}
