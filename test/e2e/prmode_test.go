package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// prModeMergeSHA is the squash commit PR #7 became on main.
const prModeMergeSHA = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

// mergedForPullRequestMode plans production on PR #7 (lockstep's plan
// comment appears), squash-merges it as carol's pull request, and plans
// the merged commit on main, ready to apply. The production environment
// has no required reviewers, so approval-mode auto gates by pull request;
// bob (write), dave (maintain) and mallory (read) may review.
func mergedForPullRequestMode(t *testing.T, opts ...fakegithub.Option) (*workspace, *fakegithub.Server, map[string]string) {
	w, gh := prWorkspace(t, opts...)
	w.fixture("nochange", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "production"}
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	require.Len(t, lockstepComments(gh), 1)
	assert.Contains(t, lockstepComments(gh)[0].Body, "applied to **production** only after approval: by one of the environment's required reviewers on the run page if it has them, "+
		"else one approving review of this pull request's final commit by writers other than its author, one of them after this plan comment last changed", "what happens next names both ways in auto mode")

	gh.PutPullRequest("octo-org", "shop", fakegithub.PullRequest{Number: 7, HeadSHA: headSHA, Author: "carol",
		MergedAt: time.Now(), MergeCommitSHA: prModeMergeSHA})
	gh.AddCommitPulls("octo-org", "shop", prModeMergeSHA, 7)
	gh.SetPermission("octo-org", "shop", "bob", "write")
	gh.SetPermission("octo-org", "shop", "dave", "maintain")
	gh.SetPermission("octo-org", "shop", "mallory", "read")
	gh.SetPermission("octo-org", "shop", "carol", "admin")
	w.mergedPush(prModeMergeSHA)
	r = w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	return w, gh, in
}

// approve adds an approving review of PR #7's final commit, submitted
// after lockstep's plan comment.
func approve(gh *fakegithub.Server, login string) fakegithub.Review {
	return gh.AddReview("octo-org", "shop", 7, fakegithub.Review{User: login, State: "APPROVED", SubmittedAt: time.Now().Add(time.Minute)})
}

func writeFile(t *testing.T, w *workspace, rel, text string) {
	t.Helper()
	p := filepath.Join(w.root, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
}

// Each way the merged pull request does not prove approval is refused
// before Terraform runs, saying which reviews did not count and why, and
// the state is untouched.
func TestPullRequestModeRefusals(t *testing.T) {
	later := func() time.Time { return time.Now().Add(time.Minute) }
	tests := []struct {
		name   string
		inputs map[string]string
		mutate func(t *testing.T, w *workspace, gh *fakegithub.Server)
		reason string
		msgs   []string
	}{
		{"no review", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {},
			"pr-not-approved", []string{`pull-request approval mode for "production": PR #7 has 0 of 1 approving reviews that count`}},
		{"the author's own approval", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) { approve(gh, "carol") },
			"pr-not-approved", []string{"0 of 1", "carol (the pull request's author)"}},
		{"a second account with read access", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) { approve(gh, "mallory") },
			"pr-not-approved", []string{"mallory (permission read, not write, maintain or admin)"}},
		{"approved an older commit, then pushed", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			gh.AddReview("octo-org", "shop", 7, fakegithub.Review{User: "bob", State: "APPROVED", CommitID: fakegithub.FakeSHA("before-push"), SubmittedAt: later()})
		}, "pr-not-approved", []string{"bob (stale: reviewed commit"}},
		{"approved before the plan comment changed", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			gh.AddReview("octo-org", "shop", 7, fakegithub.Review{User: "bob", State: "APPROVED", SubmittedAt: time.Now().Add(-time.Hour)})
		}, "pr-not-approved", []string{"1 of 1 approving reviews that count, and none of them was submitted after lockstep's plan comment last changed", "before lockstep's plan comment last changed"}},
		{"changes requested after approving", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			approve(gh, "bob")
			gh.AddReview("octo-org", "shop", 7, fakegithub.Review{User: "bob", State: "CHANGES_REQUESTED", SubmittedAt: time.Now().Add(2 * time.Minute)})
		}, "pr-not-approved", []string{"bob (changes requested after approving)"}},
		{"a dismissed approval", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			gh.DismissReview("octo-org", "shop", 7, approve(gh, "bob").ID)
		}, "pr-not-approved", []string{"bob (dismissed)"}},
		{"min-approvals 2 with one", map[string]string{"min-approvals": "2"}, func(t *testing.T, w *workspace, gh *fakegithub.Server) { approve(gh, "bob") },
			"pr-not-approved", []string{"PR #7 has 1 of 2 approving reviews that count"}},
		{"not merged", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			gh.PutPullRequest("octo-org", "shop", fakegithub.PullRequest{Number: 7, HeadSHA: headSHA, Author: "carol", State: "closed"})
			approve(gh, "bob")
		}, "pr-not-approved", []string{"commit 5a5a5a5 belongs to #7, none of them merged"}},
		{"pushed without a pull request", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			approve(gh, "bob")
			w.env["GITHUB_SHA"] = "3f9a2c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c"
		}, "pr-not-approved", []string{"no pull request is associated with commit 3f9a2c1"}},
		{"codeowners: approver owns nothing", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			writeFile(t, w, ".lockstep.yml", "environments:\n  production:\n    approvers: codeowners\n")
			writeFile(t, w, ".github/CODEOWNERS", "*  @dave\n/infra/ @octo-org/platform\n")
			gh.AddTeamMember("octo-org", "platform", "dave")
			approve(gh, "bob")
		}, "pr-not-approved", []string{"none of the approvals of PR #7 that count (bob) is by an owner of infra in .github/CODEOWNERS (@octo-org/platform)"}},
		{"approver-teams: not a member", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			writeFile(t, w, ".lockstep.yml", "environments:\n  production:\n    approver-teams: [octo-org/sre]\n")
			gh.AddTeamMember("octo-org", "sre", "dave") // the team exists; bob is not in it
			approve(gh, "bob")
		}, "pr-not-approved", []string{"is by a member of octo-org/sre"}},
		{"reviews unreadable", nil, func(t *testing.T, w *workspace, gh *fakegithub.Server) {
			gh.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/{o}/{r}/pulls/{n}/reviews", Kind: fakegithub.FaultStatus, Status: 403})
		}, "approval-unverifiable", []string{"listing the reviews of PR #7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, gh, in := mergedForPullRequestMode(t)
			tt.mutate(t, w, gh)
			inputs := with(in, "command", "apply")
			for k, v := range tt.inputs {
				inputs = with(inputs, k, v)
			}
			r := w.action(inputs)
			w.assertRefusedUntouched(t, r, "infra", tt.reason, tt.msgs...)
		})
	}
}

// A squash-merged pull request approved by a writer other than its author,
// on its final commit, after the plan comment, applies; the output, log and
// report say pull-request mode gated it and link the review. A comment
// after the approval does not take it back.
func TestPullRequestModeApplies(t *testing.T) {
	w, gh, in := mergedForPullRequestMode(t)
	approve(gh, "mallory") // read-only: does not count
	rv := approve(gh, "bob")
	gh.AddReview("octo-org", "shop", 7, fakegithub.Review{User: "bob", State: "COMMENTED", SubmittedAt: time.Now().Add(2 * time.Minute)})
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Equal(t, "bob", r.outputs["approved-by"])
	assert.Contains(t, r.stdout, "Approval (pull-request mode): PR #7 (https://github.com/octo-org/shop/pull/7) was merged with approving reviews by bob on its final commit feedfac.")
	assert.Contains(t, r.summary, "**Approved by** (pull-request mode: approving reviews of the merged pull request)\n\n"+
		"- [bob](https://github.com/octo-org/shop/pull/7#pullrequestreview-"+itoa(rv.ID)+")\n")
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}

// min-approvals 2 from the policy file, and approvers: codeowners met
// through a team owner's membership.
func TestPullRequestModeCodeownersTeamAndTwoApprovals(t *testing.T) {
	w, gh, in := mergedForPullRequestMode(t)
	// The plan's "what happens next" follows the policy file.
	writeFile(t, w, ".lockstep.yml", "environments:\n  production:\n    approval-mode: pull-request\n    min-approvals: 2\n")
	w.pullRequestEvent(7, headSHA)
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, lockstepComments(gh)[0].Body, "only if the pull request it came from was merged with 2 approving reviews of this pull request's final commit")
	w.mergedPush(prModeMergeSHA)
	r = w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)

	writeFile(t, w, ".lockstep.yml", "environments:\n  production:\n    approval-mode: pull-request\n    min-approvals: 2\n    approvers: codeowners\n")
	writeFile(t, w, "CODEOWNERS", "* @bob\ninfra/ @octo-org/platform\n")
	gh.AddTeamMember("octo-org", "platform", "dave")
	approve(gh, "bob")
	approve(gh, "dave")
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "bob,dave", r.outputs["approved-by"])
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// In pull-request mode the run has no environment approvals: the deploy
// records the merged pull request's approvers instead.
func TestDeployRecordsThePullRequestsApprovers(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	gh.PutPullRequest(owner, repo, fakegithub.PullRequest{Number: 9, HeadSHA: headSHA, Author: "carol", MergedAt: time.Now(), MergeCommitSHA: w.env["GITHUB_SHA"]})
	gh.AddCommitPulls(owner, repo, w.env["GITHUB_SHA"], 9)
	gh.SetPermission(owner, repo, "bob", "write")
	gh.AddReview(owner, repo, 9, fakegithub.Review{User: "bob", State: "APPROVED"})
	gh.AddReview(owner, repo, 9, fakegithub.Review{User: "carol", State: "APPROVED"}) // the author: not an approver
	in := map[string]string{"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1.2.0",
		"deploy-command": app.command(), "require-approval": "true", "approval-mode": "pull-request"}
	requireCode(t, 0, w.action(in))
	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 1)
	assert.Equal(t, []any{"bob"}, payloadOf(t, deps[0])["approved_by"])
	assert.Equal(t, "pull-request", payloadOf(t, deps[0])["approval_mode"])

	// history shows who approved, and by which gate, for every deployment.
	r := w.action(map[string]string{"command": "history", "environment": "staging"})
	requireCode(t, 0, r)
	assert.Contains(t, r.stdout, "APPROVED BY")
	assert.Contains(t, r.stdout, "bob (pull-request)")
}

// A writer cannot move "when the plan last changed" with a comment of their
// own that carries lockstep's marker: only lockstep's comment counts, so an
// approval after lockstep's comment still stands.
func TestPullRequestModeIgnoresAForgedPlanComment(t *testing.T) {
	var skew atomic.Int64
	w, gh, in := mergedForPullRequestMode(t, fakegithub.WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	approve(gh, "bob")
	skew.Store(int64(10 * time.Minute))
	marker, _, _ := strings.Cut(lockstepComments(gh)[0].Body, "\n")
	gh.AddComment("octo-org", "shop", 7, "mallory", marker+"\nforged: nothing to see here")
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "bob", r.outputs["approved-by"])
}
