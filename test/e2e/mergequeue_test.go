package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// mainBefore is main's head before the merge queue's push.
var mainBefore = fakegithub.FakeSHA("main-before-queue")

// queued plans production on carol's PR #7 and, for each extra pull
// request, on that one too (lockstep's plan comment appears on each), then
// merges them through the merge queue in one push (extra first, #7 last,
// so the pushed commit is #7's) and plans the pushed commit on main.
// Files of a pull request without a plan of its own are set in files.
func queued(t *testing.T, method string, extra []int, files map[int][]string) (*workspace, *fakegithub.Server, map[string]string) {
	w, gh := prWorkspace(t)
	w.fixture("nochange", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "production"}
	gh.PutPullRequest(owner, repo, fakegithub.PullRequest{Number: 7, HeadSHA: headSHA, Author: "carol"})
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)
	for _, n := range extra {
		head := fakegithub.FakeSHA(itoa(int64(n)) + "-head")
		gh.PutPullRequest(owner, repo, fakegithub.PullRequest{Number: n, HeadSHA: head, Author: "erin"})
		if fs, ok := files[n]; ok {
			for _, f := range fs {
				gh.AddPullFiles(owner, repo, n, fakegithub.PullFile{Filename: f})
			}
			continue // lockstep did not plan it: it did not change the stack
		}
		w.pullRequestEvent(n, head)
		require.Equal(t, 0, w.action(with(in, "command", "plan")).code)
	}
	for login, perm := range map[string]string{"bob": "write", "dave": "maintain", "carol": "admin", "erin": "write"} {
		gh.SetPermission(owner, repo, login, perm)
	}
	groups := gh.MergeQueue(owner, repo, fakegithub.QueueMerge{BaseSHA: mainBefore, Method: method, PullRequests: append(append([]int{}, extra...), 7)})
	pushed := groups[len(groups)-1].HeadSHA
	w.mergedPush(pushed)
	w.pushEvent(mainBefore, pushed)
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	return w, gh, in
}

// approvePR adds login's approval of pull request n's final commit, after
// lockstep's plan comment.
func approvePR(gh *fakegithub.Server, n int, login string) {
	gh.AddReview(owner, repo, n, fakegithub.Review{User: login, State: "APPROVED", SubmittedAt: time.Now().Add(time.Minute)})
}

// A pull request merged alone through the queue (a merge commit on top of
// main, which GitHub maps back to it) applies on its approvals.
func TestMergeQueueSinglePullRequestApplies(t *testing.T) {
	w, gh, in := queued(t, fakegithub.MergeMethodMerge, nil, nil)
	approvePR(gh, 7, "bob")
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "bob", r.outputs["approved-by"])
	assert.Contains(t, r.stdout, "Approval (pull-request mode): PR #7")
	assert.NotContains(t, r.stdout, "merge queue batch")
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}

// A batch that merged an unapproved pull request beside an approved one is
// refused, naming the unapproved one, and nothing is applied; once it is
// approved too, the batch applies with both approvers.
func TestMergeQueueBatchNeedsEveryPullRequestApproved(t *testing.T) {
	w, gh, in := queued(t, fakegithub.MergeMethodSquash, []int{8}, nil)
	approvePR(gh, 7, "bob")
	approvePR(gh, 8, "erin") // the author of #8: does not count
	r := w.action(with(in, "command", "apply"))
	w.assertRefusedUntouched(t, r, "infra", "pr-not-approved",
		`pull-request approval mode for "production": PR #8 (one of the 2 pull requests this push merged, as a merge queue batch does: #7, #8; each must be approved) has 0 of 1 approving reviews that count`,
		"erin (the pull request's author)")

	approvePR(gh, 8, "dave")
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "bob,dave", r.outputs["approved-by"])
	assert.Contains(t, r.stdout, "this push merged 2 pull requests (#7, #8), as a merge queue batch does; each of them was approved")
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))

	// The deployment records the approvers of the whole batch.
	app := newFakeApp(w)
	requireCode(t, 0, w.action(with(with(with(in, "command", "deploy"), "deploy-command", app.command()), "strategy", "direct")))
	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 1)
	assert.Equal(t, []any{"bob", "dave"}, payloadOf(t, deps[0])["approved_by"])
}

// In a rebase batch, a pull request that changed no Terraform file (so
// lockstep never planned it) needs only its approvals; one that changed the
// stack without lockstep's plan comment is refused.
func TestMergeQueueBatchPullRequestsWithoutAPlan(t *testing.T) {
	t.Run("app only: applies", func(t *testing.T) {
		w, gh, in := queued(t, fakegithub.MergeMethodRebase, []int{9}, map[int][]string{9: {"app/main.go"}})
		approvePR(gh, 7, "bob")
		r := w.action(with(in, "command", "apply"))
		w.assertRefusedUntouched(t, r, "infra", "pr-not-approved", "PR #9 (one of the 2 pull requests", "0 of 1")
		approvePR(gh, 9, "dave")
		r = w.action(with(in, "command", "apply"))
		require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
		assert.Equal(t, "bob,dave", r.outputs["approved-by"])
	})
	t.Run("changed the stack without a plan: refused", func(t *testing.T) {
		w, gh, in := queued(t, fakegithub.MergeMethodRebase, []int{9}, map[int][]string{9: {"app/main.go", "infra/main.tf"}})
		approvePR(gh, 7, "bob")
		approvePR(gh, 9, "dave")
		r := w.action(with(in, "command", "apply"))
		w.assertRefusedUntouched(t, r, "infra", "pr-not-approved", "changed infra/main.tf but has no plan comment of lockstep's for infra → production")
	})
}

// A commit in the push that no merged pull request brought in (pushed
// straight to main beside a queued merge) is refused, naming it.
func TestMergeQueuePushWithAnUnreviewedCommit(t *testing.T) {
	w, gh, in := queued(t, fakegithub.MergeMethodSquash, nil, nil)
	approvePR(gh, 7, "bob")
	pushed := w.env["GITHUB_SHA"]
	direct := fakegithub.FakeSHA("pushed-straight-to-main")
	// The pushed commit is #7's squash commit; the push then also holds
	// the direct commit under it: before..pushed now includes direct.
	gh.AddCommits(owner, repo, fakegithub.Commit{SHA: pushed, Parents: []string{direct}}, fakegithub.Commit{SHA: direct, Parents: []string{mainBefore}})
	r := w.action(with(in, "command", "apply"))
	w.assertRefusedUntouched(t, r, "infra", "pr-not-approved", "commit "+direct[:7]+" of this push came in without a merged pull request, beside PR #7")
}

// A force push that moves main back to an older approved commit is not a
// merge: pull-request mode refuses it instead of re-applying the old change.
func TestMergeQueueForcePushRefused(t *testing.T) {
	w, gh, in := queued(t, fakegithub.MergeMethodSquash, nil, nil)
	approvePR(gh, 7, "bob")
	pushed := w.env["GITHUB_SHA"]
	later := fakegithub.FakeSHA("a-later-main")
	gh.AddCommits(owner, repo, fakegithub.Commit{SHA: later, Parents: []string{pushed}})
	w.pushEvent(later, pushed) // main forced back from later to #7's commit
	r := w.action(with(in, "command", "apply"))
	w.assertRefusedUntouched(t, r, "infra", "pr-not-approved", "which does not descend from it (a force push)")
}
