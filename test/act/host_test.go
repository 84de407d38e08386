package act

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// lockstep-runs-on: host: each job builds lockstep from the lockstep
// checkout with the workflow's own step, puts the host action (the
// composite generated from action.yml) in place of action.yml, and every
// lockstep step runs the binary through it: the inputs reach it as
// INPUT_*, its outputs come back, and the pipeline applies and deploys as
// in container mode.
func TestHostModeAppliesThenDeploys(t *testing.T) {
	t.Parallel()
	w := newHostWorld(t, "infra")
	w.seedPlanArtifacts()
	res := w.act("push")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	require.Contains(t, res.log, "(host mode builds it)", "the lockstep checkout held the source")
	require.Contains(t, res.log, "using the host's Go", "setup-go's stand-in ran")
	// The binary each job built (its version is the lockstep commit, here
	// the stand-in checkout's ref) ran every command: the comment's footer
	// says so, and the test's own build (version dev) never ran.
	require.Contains(t, res.log, "lockstep act-test")
	require.Contains(t, res.log, "lockstep act-test · Terraform")
	require.NotContains(t, res.log, "lockstep dev")
	require.Equal(t, "true", res.steps["plan"]["has-changes"], "outputs come back through the composite")
	require.Equal(t, "success", res.outputs["result"])
	require.FileExists(t, w.state, "apply wrote the state")
	w.requirePlanArtifactsDeleted(t)
	w.requireAppDeployment(t)
	require.Contains(t, w.deployed(), deployTarget)
	res.requireNoSecrets(t)
}
