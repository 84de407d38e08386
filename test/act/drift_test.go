package act

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// applyWithGreeting applies the world's infra stack into its state with
// another greeting than TERRAFORM_ENV's: a change made outside lockstep.
func (w *world) applyWithGreeting(greeting string) {
	w.t.Helper()
	work := filepath.Join(w.dir, "outside")
	require.NoError(w.t, os.RemoveAll(work))
	require.NoError(w.t, copyDir(filepath.Join(w.repo, "infra"), work))
	tf := tftest.Path(w.t)
	for _, args := range [][]string{
		{"init", "-input=false", "-backend-config=path=" + w.state},
		{"apply", "-input=false", "-auto-approve"},
	} {
		cmd := exec.Command(tf, args...)
		cmd.Dir = work
		cmd.Env = append(w.baseEnv(), "TF_VAR_api_token="+apiToken, "TF_VAR_greeting="+greeting)
		out, err := cmd.CombinedOutput()
		require.NoError(w.t, err, "terraform %v:\n%s", args, out)
	}
}

// TestDriftWorkflowKeepsTheIssue: drift.yml, run by hand, finds a stack
// changed outside lockstep and opens its issue; once the stack matches the
// code again, the next scheduled run closes it. TERRAFORM_ENV reaches the
// drift step and none of its values reaches the issue or act's log.
func TestDriftWorkflowKeepsTheIssue(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "infra")
	w.caller = "drift-caller.yml"
	w.applyWithGreeting("changed by hand")

	res := w.act("workflow_dispatch")
	require.Equal(t, "success", res.jobs["detect"], "jobs: %v", res.jobs)
	require.Equal(t, "success", res.jobs["drift"], "jobs: %v", res.jobs)
	require.Equal(t, "true", res.steps["drift"]["drifted"])
	// The workflow's own outputs sum up every stack (the drifts job).
	require.Equal(t, "success", res.jobs["drifts"], "jobs: %v", res.jobs)
	require.Equal(t, "true", res.outputs["drifted"], "outputs: %v", res.outputs)
	require.Equal(t, "infra", strings.TrimSpace(res.outputs["drifted-stacks"]))
	require.Equal(t, "success", res.outputs["result"])
	require.Contains(t, res.outputs["drift-json"], `"infra":{`)
	res.requireNoSecrets(t)
	var mine []fakegithub.Issue
	for _, is := range w.gh.Issues(owner, repo) {
		if strings.HasPrefix(is.Body, "<!-- lockstep:drift dir=infra env=staging -->\n") {
			mine = append(mine, is)
		}
	}
	require.Len(t, mine, 1, "one drift issue")
	require.Equal(t, "open", mine[0].State)
	require.Contains(t, mine[0].Body, "`terraform_data.app`")
	require.NotContains(t, mine[0].Body, apiToken)
	require.Equal(t, []string{"lockstep:drift"}, w.gh.Labels(owner, repo, mine[0].Number))

	// Applied as the code says: clean, and the issue is closed.
	w.applyDirectly("infra")
	res = w.act("schedule")
	require.Equal(t, "success", res.jobs["drift"], "jobs: %v", res.jobs)
	require.Equal(t, "false", res.steps["drift"]["drifted"])
	require.Equal(t, "false", res.outputs["drifted"], "outputs: %v", res.outputs)
	require.Empty(t, strings.TrimSpace(res.outputs["drifted-stacks"]))
	require.Equal(t, "success", res.outputs["result"])
	res.requireNoSecrets(t)
	is := w.gh.Issues(owner, repo)
	require.Len(t, is, 1)
	require.Equal(t, "closed", is[0].State)
	cs := w.gh.Comments(owner, repo, is[0].Number)
	require.Len(t, cs, 1)
	require.Contains(t, cs[0].Body, "No drift at")
}
