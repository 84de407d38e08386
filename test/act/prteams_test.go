package act

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const actApproverToken = "ghp_actApproverToken0123456789"

// teamPolicy makes production's approvers need membership of octo-org/sre.
var teamPolicy = map[string]string{".lockstep.yml": "environments:\n  production:\n    approver-teams: [octo-org/sre]\n"}

// TestPushPullRequestModeTeamsReadWithTheApproverToken: approver-teams in
// pull-request mode, where only the LOCKSTEP_APPROVER_TOKEN secret may read
// teams (GitHub answers the workflow token 403). The reusable workflow
// hands the secret to the apply step, lockstep reads the team with it, and
// the token never reaches act's log.
func TestPushPullRequestModeTeamsReadWithTheApproverToken(t *testing.T) {
	t.Parallel()
	w := prModeWorld(t, teamPolicy)
	w.approverToken = actApproverToken
	w.gh.RestrictTeamReads(actApproverToken)
	w.gh.AddTeamMember("octo-org", "sre", "bob")
	w.gh.AddReview(owner, repo, 7, fakegithub.Review{User: "bob", State: "APPROVED", SubmittedAt: time.Now().Add(time.Minute)})
	res := w.act("push")

	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	require.Equal(t, "bob", res.steps["apply"]["approved-by"])
	require.Equal(t, 1, w.gh.Count("GET", "/orgs/{org}/teams/{team}/memberships/{username}"), "the membership was read with the approver token")
	res.requireNoSecrets(t)
	require.NotContains(t, res.log, actApproverToken, "the approver token never reaches the log")
}

// TestPushPullRequestModeTeamsWithoutTheApproverToken: the same policy
// without the secret refuses the apply, naming the secret to add.
func TestPushPullRequestModeTeamsWithoutTheApproverToken(t *testing.T) {
	t.Parallel()
	w := prModeWorld(t, teamPolicy)
	w.gh.RestrictTeamReads(actApproverToken)
	w.gh.AddTeamMember("octo-org", "sre", "bob")
	w.gh.AddReview(owner, repo, 7, fakegithub.Review{User: "bob", State: "APPROVED", SubmittedAt: time.Now().Add(time.Minute)})
	res := w.act("push")

	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "failure", "deploy": "skipped", "verify": "skipped",
	})
	require.Equal(t, "approval-unverifiable", res.steps["apply"]["failure-reason"])
	// The log's ::error line, or the job summary's (Markdown-escaped) copy
	// of it: once, under load, act's log lost the step's last stdout lines
	// (that ::error line among them) while the summary, read from its file,
	// was there.
	require.True(t, strings.Contains(res.log, "the reusable workflow's secret LOCKSTEP_APPROVER_TOKEN") ||
		strings.Contains(res.log, `the reusable workflow's secret LOCKSTEP\_APPROVER\_TOKEN`), "the refusal names the secret")
}
