package act

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/binding"
)

// flakyStack fails its apply part way until the file "fixed" exists beside
// the state (outside the workspace: a re-run checks out the same commit).
const flakyStack = `terraform {
  backend "local" {}
}

resource "terraform_data" "ok" {
  input = "fine"
}

resource "terraform_data" "migrate" {
  input = "schema v2"

  provisioner "local-exec" {
    command = "test -f '@STATE@/fixed' || { echo 'lockstep act test: the migration fails until fixed' >&2; exit 1; }"
  }
}

resource "terraform_data" "after" {
  input = terraform_data.migrate.output
}
`

// A failed apply keeps its attempts as an artifact; "Re-run all jobs"
// (the same run, attempt 2) plans again with them in front of the plan,
// applies exactly that plan and the app deploys.
func TestRerunAllJobsRetriesAFailedApply(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "flaky", map[string]string{"flaky/main.tf": flakyStack})
	// The retry replaces the resource the failed provisioner tainted.
	w.allowDestroy = true
	res := w.act("push")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "failure", "deploy": "skipped", "verify": "skipped",
	})
	require.Contains(t, res.log, "the migration fails until fixed")
	var names []string
	for _, a := range w.artifacts() {
		names = append(names, a.Name)
	}
	require.Contains(t, names, w.planPrefix()+"-attempts", "the failed attempt is kept for the retry: %v", names)

	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(w.state), "fixed"), nil, 0o644))
	w.runAttempt = 2
	res = w.act("push")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	require.Contains(t, res.log, "flaky: an earlier apply of this commit failed part way; its report goes into this plan")
	// The plan that was applied carries the failed attempt in its record.
	record, err := binding.Read(filepath.Join(w.shared, "artifacts", w.planPrefix()+"-apply", "flaky", "tfplan.lockstep.json"))
	require.NoError(t, err)
	require.Len(t, record.History, 1)
	require.Equal(t, 1, record.History[0].RunAttempt)
	require.Equal(t, []binding.AttemptResource{{Address: "terraform_data.ok", Action: "create"}}, record.History[0].Applied)
	require.Equal(t, w.sha, record.Commit)
	w.requireAppDeployment(t)
}
