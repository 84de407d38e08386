package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// command: gate checks the approval gate (and promotion) the way apply
// does, runs no engine, and reports like apply: the reusable workflow runs
// it before the repository's setup hook in the apply job.
func TestGateCommandChecksWithoutAnEngine(t *testing.T) {
	w, gh := pushWorkspace(t)
	w.fixture("nochange", "infra")
	in := map[string]string{"command": "gate", "working-directory": "infra", "environment": "production",
		// No engine may run: a gate with a Terraform that does not exist still answers.
		"terraform-path": filepath.Join(t.TempDir(), "no-terraform")}

	// Nothing set up: the environment has no reviewers and nobody approved.
	r := w.action(in)
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.NotEmpty(t, r.outputs["failure-reason"])
	assert.Contains(t, r.summary, "Refused: nothing was applied.")
	assert.NoDirExists(t, filepath.Join(w.root, "infra", ".terraform"), "no init")

	strictProduction(gh)
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Equal(t, "alice", r.outputs["approved-by"])
	assert.Contains(t, r.stdout, `Approval (environment mode): alice approved this run for the GitHub environment "production".`)
	assert.NoDirExists(t, filepath.Join(w.root, "infra", ".terraform"), "no init")
	_, err := os.Stat(filepath.Join(w.root, "infra", "terraform.tfstate"))
	assert.True(t, os.IsNotExist(err), "no state")

	// At a terminal there is no run to gate.
	r = w.cli("gate", "--working-directory", "infra")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "gate checks a GitHub Actions run's approval")
}
