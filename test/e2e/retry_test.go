package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/binding"
)

// A failed apply in Actions, then both ways of re-running it. "Re-run
// failed jobs" re-runs only the apply job, whose plan artifact the first
// attempt's cleanup deleted: it plans again, shows what remains and what
// the first attempt left, and refuses to apply a plan nobody reviewed.
// "Re-run all jobs" plans again in the plan job (the first attempt's
// report, downloaded beside the plan, goes into the new record and in
// front of the plan), and the apply applies exactly that plan.
func TestRetryAfterPartialApply(t *testing.T) {
	w, gh := pushWorkspace(t)
	gh.AddPullRequest("octo-org", "shop", 7, w.env["GITHUB_SHA"])
	gh.AddCommitPulls("octo-org", "shop", w.env["GITHUB_SHA"], 7)
	w.fixture("retry", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging", "allow-destroy": "true"}
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)

	// Attempt 1 fails part way and leaves its report beside the plan.
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "apply-failed", r.outputs["failure-reason"])
	assert.Contains(t, r.summary, "Re-run all jobs")
	attemptsFile := binding.AttemptsPath(filepath.Join(w.root, "infra", "tfplan"))
	attempts, err := binding.ReadAttempts(attemptsFile)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	a := attempts[0]
	assert.Equal(t, 1, a.Number)
	assert.Equal(t, 1, a.RunAttempt)
	assert.Equal(t, w.env["GITHUB_SHA"], a.Commit)
	assert.Equal(t, []binding.AttemptResource{{Address: "terraform_data.ok", Action: "create"}}, a.Applied)
	require.Len(t, a.Failed, 1)
	assert.Equal(t, "terraform_data.migrate", a.Failed[0].Address)
	assert.Contains(t, a.Failed[0].Error, "database migration failed")
	assert.Equal(t, []binding.AttemptResource{{Address: "terraform_data.after", Action: "create"}}, a.NotReached)
	report, err := os.ReadFile(attemptsFile)
	require.NoError(t, err)

	// The job is re-run on a fresh runner: the plans are gone (cleanup
	// deleted their artifacts), the attempts artifact is downloaded.
	for _, f := range []string{"tfplan", "tfplan.lockstep.json", "tfplan.age"} {
		require.NoError(t, os.RemoveAll(filepath.Join(w.root, "infra", f)))
	}
	w.env["GITHUB_RUN_ATTEMPT"] = "2"
	stateBefore := w.stateAddresses("infra")
	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "retry-needs-review", r.outputs["failure-reason"])
	assert.Contains(t, r.summary, "Retry after a failed apply")
	assert.Contains(t, r.summary, "database migration failed", "what attempt 1 left")
	assert.Contains(t, r.summary, "terraform_data.after", "what remains")
	assert.Contains(t, r.summary, "Re-run all jobs")
	assert.Equal(t, stateBefore, w.stateAddresses("infra"), "a refused retry applies nothing")
	assert.Contains(t, r.stdout, "::error")

	// Re-run all jobs: the plan job downloads the attempts beside the plan;
	// the plan shows them to the reviewers and records them.
	require.NoError(t, os.WriteFile(attemptsFile, report, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(w.root, "infra", "migration-fixed"), nil, 0o644))
	r = w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.summary, "Retry after a failed apply")
	historyAt := strings.Index(r.summary, "Retry after a failed apply")
	planAt := strings.Index(r.summary, "terraform_data.after")
	assert.True(t, historyAt >= 0 && planAt > historyAt, "the history comes first:\n%s", r.summary)
	record, err := binding.Read(binding.Path(filepath.Join(w.root, "infra", "tfplan")))
	require.NoError(t, err)
	require.Len(t, record.History, 1)
	assert.Equal(t, a.PlanSHA256, record.History[0].PlanSHA256)
	assert.NotEqual(t, a.PlanSHA256, record.PlanSHA256, "a new plan")
	assert.NoFileExists(t, attemptsFile, "folded into the record")
	for _, c := range lockstepComments(gh) {
		if strings.HasPrefix(c.Body, "<!-- lockstep:plan ") {
			assert.Contains(t, c.Body, "Retry after a failed apply", "the plan comment too")
		}
	}

	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.summary, "This apply was the retry")
	assert.Equal(t, []string{"terraform_data.after", "terraform_data.migrate", "terraform_data.ok"}, w.stateAddresses("infra"))
}

// At a terminal, `lockstep apply` after a failed apply plans again and
// asks before applying what remains; the saved plan is never applied twice.
func TestRetryAtTheTerminal(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("retry", "infra")
	require.Equal(t, 0, w.cli("plan", "--working-directory", "infra").code)
	r := w.cli("apply", "--working-directory", "infra", "--allow-destroy", "--auto-approve")
	require.Equal(t, 1, r.code, "stderr:\n%s", r.stderr)

	require.NoError(t, os.WriteFile(filepath.Join(w.root, "infra", "migration-fixed"), nil, 0o644))
	// Without a terminal and without --auto-approve, the retry is refused.
	r = w.cli("apply", "--working-directory", "infra", "--allow-destroy")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "planning it again")
	assert.Contains(t, r.stderr, "failed: terraform_data.migrate")
	assert.Contains(t, r.stderr, "--auto-approve")
	assert.NotContains(t, w.stateAddresses("infra"), "terraform_data.after")

	r = w.cli("apply", "--working-directory", "infra", "--allow-destroy", "--auto-approve")
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	assert.Equal(t, []string{"terraform_data.after", "terraform_data.migrate", "terraform_data.ok"}, w.stateAddresses("infra"))
}
