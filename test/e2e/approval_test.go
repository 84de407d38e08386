package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On the push after a merge, the job summary tells approvers whether the
// plan they approve is the change reviewers saw on the pull request.
func TestPushPlanComparesFingerprintWithThePullRequest(t *testing.T) {
	w, gh := prWorkspace(t)
	changesStack(w)
	in := map[string]string{"command": "plan", "working-directory": "infra", "environment": "production"}
	r := w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	require.Len(t, lockstepComments(gh), 1)

	// The merge commit on main came from PR #7.
	mergeSHA := "1111111111111111111111111111111111111111"
	gh.AddCommitPulls("octo-org", "shop", mergeSHA, 7)
	w.mergedPush(mergeSHA)

	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.summary, "Same change as reviewed")
	assert.Contains(t, r.summary, "PR #7")

	// The target branch moved after the review (another change merged
	// first): approvers are told this is not what reviewers saw.
	w.moveTargetBranch("infra")
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.summary, "Not the change reviewers saw")
	assert.NotContains(t, r.summary, "Same change as reviewed")
}

// Locally, approval is a prompt that needs "yes"; without a terminal and
// without --auto-approve, apply refuses.
func TestCLIApplyNeedsApproval(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("nochange", "infra")
	w.commitAll("init")
	flags := []string{"--working-directory", "infra", "--environment", "production", "--terraform-path", w.terraform}

	r := w.cli(append([]string{"plan"}, flags...)...)
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	r = w.cli(append([]string{"apply"}, flags...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "there is no terminal to ask: pass --auto-approve")
	assert.Empty(t, w.stateAddresses("infra"))

	r = w.cli(append([]string{"apply", "--auto-approve"}, flags...)...)
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
	assert.True(t, strings.Contains(r.stdout, "Apply complete:** 1 added, 0 changed, 0 destroyed"), r.stdout)
}

// With comment: always, the push plan goes to a comment of its own on the
// merged pull request: the comment reviewers read keeps its body and its
// last-change time (approvals and the allow-destroy label are weighed
// against it), and a re-run of the push plan still compares with what
// reviewers saw, not with its own earlier comment.
func TestPushPlanLeavesTheReviewedCommentAlone(t *testing.T) {
	w, gh := prWorkspace(t)
	changesStack(w)
	in := map[string]string{"command": "plan", "working-directory": "infra", "environment": "production", "comment": "always"}
	r := w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	reviewed := lockstepComments(gh)
	require.Len(t, reviewed, 1)
	require.True(t, strings.HasPrefix(reviewed[0].Body, "<!-- lockstep:plan dir=infra env=production -->\n"), reviewed[0].Body)

	mergeSHA := "1111111111111111111111111111111111111111"
	gh.AddCommitPulls("octo-org", "shop", mergeSHA, 7)
	w.mergedPush(mergeSHA)
	for i := 0; i < 2; i++ {
		r = w.action(in)
		require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
		assert.Contains(t, r.summary, "Same change as reviewed", "push plan %d", i+1)
	}

	after := lockstepComments(gh)
	require.Len(t, after, 2, "the reviewed comment and one push-plan comment")
	assert.Equal(t, reviewed[0], after[0], "the reviewed comment is untouched, body and times")
	assert.True(t, strings.HasPrefix(after[1].Body, "<!-- lockstep:push-plan dir=infra env=production -->\n"), after[1].Body)
	assert.NotContains(t, after[1].Body, "<!-- lockstep:plan ")

	// Now the target branch moves: the push plan differs from what reviewers
	// saw, and says so even though its own comment was written by lockstep.
	w.moveTargetBranch("infra")
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.summary, "Not the change reviewers saw")
	assert.Equal(t, reviewed[0], lockstepComments(gh)[0])
}
