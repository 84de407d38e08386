package act

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// prModeWorld is a push to main of the commit that squash-merged carol's
// PR #7, calling pipeline.yml with approval-mode pull-request for
// production, an environment without required reviewers (act ignores
// environment approvals anyway, so this gate is the only one). lockstep's
// plan comment for infra → production is on the pull request, written by
// github-actions[bot] (the identity the workflow token posts as), and bob
// may write to the repository. files are added to the caller's repository.
func prModeWorld(t *testing.T, files ...map[string]string) *world {
	t.Helper()
	w := newWorld(t, "infra", files...)
	w.env = "production"
	w.approvalMode = "pull-request"
	w.gh.SetEnvironment(owner, repo, "production")
	w.gh.PutPullRequest(owner, repo, fakegithub.PullRequest{
		Number: 7, HeadSHA: fakegithub.FakeSHA("pr-7-head"), Author: "carol",
		MergedAt: time.Now().Add(-time.Minute), MergeCommitSHA: w.sha,
	})
	w.gh.AddCommitPulls(owner, repo, w.sha, 7)
	w.gh.AddComment(owner, repo, 7, fakegithub.DefaultUser,
		"<!-- lockstep:plan dir=infra env=production -->\n### lockstep plan: infra → production\n")
	w.gh.SetPermission(owner, repo, "bob", "write")
	w.gh.SetPermission(owner, repo, "carol", "admin")
	w.seedPlanArtifacts()
	return w
}

// TestPushPullRequestModeApprovedAppliesThenDeploys: the merged pull
// request was approved by a writer other than its author, on its final
// commit, after lockstep's plan comment: apply applies, says who approved,
// and deploy and verify follow.
func TestPushPullRequestModeApprovedAppliesThenDeploys(t *testing.T) {
	t.Parallel()
	w := prModeWorld(t)
	// On the pull request's head (CommitID defaults to it), after the comment.
	w.gh.AddReview(owner, repo, 7, fakegithub.Review{User: "bob", State: "APPROVED", SubmittedAt: time.Now().Add(time.Minute)})
	// The author's own approval never counts; it must not show as an approver.
	w.gh.AddReview(owner, repo, 7, fakegithub.Review{User: "carol", State: "APPROVED", SubmittedAt: time.Now().Add(time.Minute)})
	res := w.act("push")
	w.requirePlanArtifactsDeleted(t)

	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	res.requireOrder(t, "detect", "plan", "plans", "apply", "deploy", "verify")
	require.Contains(t, res.log, "Approval (pull-request mode): PR #7", "apply proved the pull request's approval")
	require.NotContains(t, res.log, "approval-mode auto;", "the approval-mode input reached apply: pull-request was chosen, not derived")
	require.Equal(t, "bob", res.steps["apply"]["approved-by"])
	require.Equal(t, "bob", res.outputs["approved-by"], "the workflow's approved-by output")
	require.Equal(t, "success", res.outputs["result"])
	require.FileExists(t, w.state, "apply wrote the state")
	w.requireAppDeployment(t)
	// deploy (pull-requests: read) recorded the pull request's approvers in its Deployment.
	deps := w.gh.Deployments(owner, repo)
	var payload struct {
		ApprovedBy   []string `json:"approved_by"`
		ApprovalMode string   `json:"approval_mode"`
	}
	require.NoError(t, json.Unmarshal(deps[len(deps)-1].Payload, &payload), "%s", deps[len(deps)-1].Payload)
	require.Equal(t, []string{"bob"}, payload.ApprovedBy, "%s", deps[len(deps)-1].Payload)
	require.Equal(t, "pull-request", payload.ApprovalMode)
	require.Contains(t, w.deployed(), deployTarget, "deploy-command ran")
	require.Positive(t, w.smokeHits.Load(), "verify probed the smoke URL")
	res.requireNoSecrets(t)
}

// TestPushPullRequestModeUnapprovedRefusesApply: the same merged pull
// request without an approval that counts (only the author's own): apply
// refuses pr-not-approved before Terraform runs, the state is untouched,
// and deploy and verify are skipped.
func TestPushPullRequestModeUnapprovedRefusesApply(t *testing.T) {
	t.Parallel()
	w := prModeWorld(t)
	w.gh.AddReview(owner, repo, 7, fakegithub.Review{User: "carol", State: "APPROVED", SubmittedAt: time.Now().Add(time.Minute)})
	res := w.act("push")
	// The plans are deleted after a refused apply too (if: always()).
	w.requirePlanArtifactsDeleted(t)

	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "failure", "deploy": "skipped", "verify": "skipped",
	})
	require.Equal(t, "true", res.steps["plan"]["has-changes"])
	require.Equal(t, "refused", res.steps["apply"]["result"])
	require.Equal(t, "pr-not-approved", res.steps["apply"]["failure-reason"])
	// The job summary (in act's log) escapes "#7" so that it links nowhere.
	require.Contains(t, res.log, `PR \#`+"\u200d"+`7 has 0 of 1 approving reviews that count`)
	require.Empty(t, res.steps["apply"]["approved-by"])
	_, err := os.Stat(w.state)
	require.True(t, os.IsNotExist(err), "nothing was applied: no state at %s (%v)", w.state, err)
	require.Empty(t, w.gh.Deployments(owner, repo), "no app deployment after a refused apply")
	require.Empty(t, w.deployed())
	require.Zero(t, w.smokeHits.Load())
	res.requireNoSecrets(t)
}
