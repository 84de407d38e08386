package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// cleanup deletes exactly this run's plan artifacts of this workflow call:
// not another call's (another prefix), not another run's, not the run's
// other artifacts.
func TestCleanupDeletesExactlyThisRunsPlanArtifacts(t *testing.T) {
	w, gh := pushWorkspace(t)
	const prefix = "lockstep-staging-0a1b2c3d4e5f"
	gh.AddArtifact("octo-org", "shop", 4211, prefix+"-plan-111111111111", 2048)
	gh.AddArtifact("octo-org", "shop", 4211, prefix+"-plan-222222222222", 2048)
	gh.AddArtifact("octo-org", "shop", 4211, prefix+"-apply", 4096)
	gh.AddArtifact("octo-org", "shop", 4211, "lockstep-staging-ffffffffffff-plan-111111111111", 2048)
	gh.AddArtifact("octo-org", "shop", 4211, "coverage-report", 10)
	gh.AddArtifact("octo-org", "shop", 4212, prefix+"-apply", 4096)

	r := w.action(map[string]string{"command": "cleanup", "artifact-prefix": prefix, "environment": "staging"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.NotContains(t, r.outputs, "result", "the job's result stays apply's")
	assert.Contains(t, r.stdout, "Deleted the plan artifact "+prefix+"-apply.")
	assert.Contains(t, r.stdout, "Deleted the plan artifact "+prefix+"-plan-111111111111.")

	var left []string
	for _, a := range gh.Artifacts("octo-org", "shop") {
		left = append(left, a.Name)
	}
	assert.Equal(t, []string{"lockstep-staging-ffffffffffff-plan-111111111111", "coverage-report", prefix + "-apply"}, left)
	assert.Equal(t, 3, gh.Count("DELETE", "/repos/{o}/{r}/actions/artifacts/{id}"))

	// Nothing left to delete is no failure (a re-run of the apply job).
	r = w.action(map[string]string{"command": "cleanup", "artifact-prefix": prefix})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.stdout, "No plan artifacts named "+prefix+"-plan-* or "+prefix+"-apply in run 4211: nothing to delete.")
}

func TestCleanupNeedsThePrefix(t *testing.T) {
	w, gh := pushWorkspace(t)
	gh.AddArtifact("octo-org", "shop", 4211, "lockstep-staging-0a1b2c3d4e5f-apply", 4096)
	r := w.action(map[string]string{"command": "cleanup"})
	assert.Equal(t, 2, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.stdout, `input "artifact-prefix": is required by cleanup`)
	assert.Len(t, gh.Artifacts("octo-org", "shop"), 1)
}

// Without actions: write GitHub answers 403: cleanup fails and says what to
// grant, and goes on deleting what it can.
func TestCleanupWithoutPermissionSaysWhatToGrant(t *testing.T) {
	w, gh := pushWorkspace(t)
	const prefix = "lockstep-staging-0a1b2c3d4e5f"
	gh.AddArtifact("octo-org", "shop", 4211, prefix+"-plan-111111111111", 2048)
	gh.AddArtifact("octo-org", "shop", 4211, prefix+"-apply", 4096)
	gh.Fail(fakegithub.Fault{Method: "DELETE", Path: "/repos/octo-org/shop/actions/artifacts/*", Kind: fakegithub.FaultStatus, Status: 403})

	r := w.action(map[string]string{"command": "cleanup", "artifact-prefix": prefix})
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "cleanup-failed", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "deleting the plan artifacts of run 4211 (they expire after retention-days; delete them on the run page)")
	assert.Contains(t, r.stdout, "(the job needs permissions: actions: write)")
	assert.Len(t, gh.Artifacts("octo-org", "shop"), 1, "the other one was deleted")
}
