package gate

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

var (
	planAt   = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) // lockstep's plan comment last changed
	mergedAt = planAt.Add(time.Hour)
)

// mergedPR is PR n by author, merged by merge commit "merge<n>" with
// final head "head<n>".
func mergedPR(n int) github.PullRequest {
	s := string(rune('0' + n))
	return github.PullRequest{Number: n, URL: "https://github.test/pull/" + s, State: "closed", Author: "author",
		HeadSHA: "head" + s, MergedAt: mergedAt, MergeCommitSHA: "merge" + s}
}

func review(login, commit string, at time.Time) github.Review {
	return github.Review{Login: login, State: policy.ReviewApproved, CommitID: commit, SubmittedAt: at, URL: "https://github.test/review/" + login}
}

// approvedPRGitHub is GitHub after PR #7 was merged as merge7, approved by
// rev (write) on its final head after lockstep's plan comment for infra →
// production.
func approvedPRGitHub() *fakeGitHub {
	return &fakeGitHub{
		env:      &github.Environment{Name: "production", Exists: true},
		pulls:    map[string][]github.PullRequest{"merge7": {mergedPR(7)}},
		reviews:  map[int][]github.Review{7: {review("rev", "head7", planAt.Add(time.Minute))}},
		perms:    map[string]string{"rev": "write", "author": "admin", "reader": "read", "owner": "admin"},
		comments: map[int]*github.Comment{7: {Body: comment.Marker("infra", "production") + "\nplan", UpdatedAt: planAt}},
	}
}

// TestPullRequestMode is pull-request mode against plain GitHub data: each
// case changes one thing of the approved PR #7.
func TestPullRequestMode(t *testing.T) {
	prod := policy.Policy{Environment: "production", ProductionLike: true, ApprovalRequired: true, ApprovalMode: policy.ModePullRequest, MinApprovals: 1}
	tests := []struct {
		name    string
		change  func(g *Gate, gh *fakeGitHub, pol *policy.Policy)
		want    string // refusal code; "" means allowed
		wantMsg string
		wantBy  []string
	}{
		{name: "approved after the plan on the final commit", wantBy: []string{"rev"}},
		{name: "GITHUB_SHA unset", want: "pr-not-approved", wantMsg: "GITHUB_SHA is not set",
			change: func(g *Gate, _ *fakeGitHub, _ *policy.Policy) { g.Run.SHA = "" }},
		{name: "no client", want: "approval-unverifiable", wantMsg: "lockstep cannot read the pull request: no token",
			change: func(g *Gate, _ *fakeGitHub, _ *policy.Policy) {
				g.GitHub = func() (GitHub, error) { return nil, errors.New("no token") }
			}},
		{name: "a commit of no pull request", want: "pr-not-approved", wantMsg: "no pull request is associated with commit merge7",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.pulls = nil }},
		{name: "a commit of an open pull request", want: "pr-not-approved", wantMsg: "commit merge7 belongs to #7, none of them merged",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.pulls["merge7"] = []github.PullRequest{{Number: 7, State: "open", HeadSHA: "merge7"}}
			}},
		{name: "pull requests unreadable", want: "approval-unverifiable", wantMsg: "the job needs pull-requests: read",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"PullRequestsWithCommit": errors.New("403")}
			}},
		{name: "reviews unreadable", want: "approval-unverifiable", wantMsg: "listing the reviews of PR #7: 502",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"PullRequestReviews": errors.New("502")}
			}},
		{name: "a permission unreadable", want: "approval-unverifiable", wantMsg: "reading rev's permission on the repository",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"Permission": errors.New("502")}
			}},
		{name: "a stale approval of an older commit", want: "pr-not-approved", wantMsg: "PR #7 has 0 of 1 approving reviews that count",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.reviews[7] = []github.Review{review("rev", "old7", planAt.Add(time.Minute))}
			}},
		{name: "approved before the plan comment changed", want: "pr-not-approved", wantMsg: "none of them was submitted after lockstep's plan comment last changed (2026-12-02T10:00:00Z)",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.reviews[7] = []github.Review{review("rev", "head7", planAt.Add(-time.Minute))}
			}},
		{name: "the plan comment rewritten after the merge", want: "pr-not-approved", wantMsg: "lockstep's plan comment changed after the merge",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.comments[7].UpdatedAt = mergedAt.Add(time.Minute) }},
		{name: "the author's own approval", want: "pr-not-approved", wantMsg: "Not counted: author (the pull request's author)",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.reviews[7] = []github.Review{review("author", "head7", planAt.Add(time.Minute))}
			}},
		{name: "a reader's approval", want: "pr-not-approved", wantMsg: "Not counted: reader (permission read, not write, maintain or admin)",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.reviews[7] = []github.Review{review("reader", "head7", planAt.Add(time.Minute))}
			}},
		{name: "a stranger's approval", want: "pr-not-approved", wantMsg: "PR #7 has 0 of 1",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.reviews[7] = []github.Review{review("mallory", "head7", planAt.Add(time.Minute))}
			}},
		{name: "two approvals needed, one given", want: "pr-not-approved", wantMsg: "PR #7 has 1 of 2 approving reviews that count",
			change: func(_ *Gate, _ *fakeGitHub, pol *policy.Policy) { pol.MinApprovals = 2 }},
		{name: "min-approvals 0 still needs one", want: "pr-not-approved", wantMsg: "PR #7 has 0 of 1",
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) { pol.MinApprovals, gh.reviews[7] = 0, nil }},
		{name: "two approvals needed and given", wantBy: []string{"rev", "owner"},
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.MinApprovals = 2
				gh.reviews[7] = append(gh.reviews[7], review("owner", "head7", planAt.Add(2*time.Minute)))
			}},
		{name: "no plan comment", want: "pr-not-approved", wantMsg: "PR #7 has no plan comment of lockstep's for infra → production",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.comments = nil }},
		{name: "the plan comment unreadable", want: "approval-unverifiable", wantMsg: "finding lockstep's plan comment for infra on PR #7",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"FindComment": errors.New("502")}
			}},
		{name: "an environment that deploys only from protected branches, main unprotected", want: "branch-not-allowed", wantMsg: "and main is not protected",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.env.BranchPolicy = &github.DeploymentBranchPolicy{ProtectedBranches: true}
			}},
		{name: "an environment that deploys only from protected branches, main protected", wantBy: []string{"rev"},
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.env.BranchPolicy = &github.DeploymentBranchPolicy{ProtectedBranches: true}
				gh.protected = map[string]bool{"main": true}
			}},
		{name: "the environment unreadable", want: "approval-unverifiable", wantMsg: "reading its GitHub environment for its deployment branch policy",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"Environment": errors.New("502")}
			}},
		{name: "require-branch-policy false skips the environment", wantBy: []string{"rev"},
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.SkipBranchPolicy = true
				gh.err = map[string]error{"Environment": errors.New("never read")}
			}},
		{name: "codeowners: an owner approved", wantBy: []string{"rev"},
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				pol.RequireCodeowner = true
				g.ReadFile = files(map[string]string{"CODEOWNERS": "* @someone\ninfra/ @rev\n"})
			}},
		{name: "codeowners: the first location wins", want: "pr-not-approved", wantMsg: "is by an owner of infra in .github/CODEOWNERS (@boss)",
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				pol.RequireCodeowner = true
				g.ReadFile = files(map[string]string{".github/CODEOWNERS": "infra/ @boss\n", "CODEOWNERS": "infra/ @rev\n"})
			}},
		{name: "codeowners: no file", want: "pr-not-approved", wantMsg: "the applied commit has no CODEOWNERS (.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS)",
			change: func(_ *Gate, _ *fakeGitHub, pol *policy.Policy) { pol.RequireCodeowner = true }},
		{name: "codeowners: unreadable", want: "approval-unverifiable", wantMsg: "reading CODEOWNERS: permission denied",
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				pol.RequireCodeowner = true
				g.ReadFile = func(string) ([]byte, error) { return nil, fs.ErrPermission }
			}},
		{name: "codeowners: nobody owns the stack", want: "pr-not-approved", wantMsg: "but CODEOWNERS names no owner of infra",
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				pol.RequireCodeowner = true
				g.ReadFile = files(map[string]string{"CODEOWNERS": "app/ @rev\n"})
			}},
		{name: "codeowners: an email owner never matches", want: "pr-not-approved", wantMsg: "is by an owner of infra",
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				pol.RequireCodeowner = true
				g.ReadFile = files(map[string]string{"CODEOWNERS": "infra/ rev@example.com\n"})
			}},
		{name: "codeowners: a team owner with the approver as member", wantBy: []string{"rev"},
			change: func(g *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.RequireCodeowner = true
				g.ReadFile = files(map[string]string{"CODEOWNERS": "infra/ @org/ops\n"})
				gh.teamMembers = map[string][]string{"org/ops": {"REV"}}
			}},
		{name: "approver-teams: a member approved", wantBy: []string{"rev"},
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.ApproverTeams = []string{"org/ops"}
				gh.teamMembers = map[string][]string{"org/ops": {"rev"}}
			}},
		{name: "approver-teams: no member approved", want: "pr-not-approved", wantMsg: "none of the approvals of PR #7 that count (rev) is by a member of org/ops",
			change: func(_ *Gate, _ *fakeGitHub, pol *policy.Policy) { pol.ApproverTeams = []string{"org/ops"} }},
		{name: "approver-teams: a team the run's token cannot see", want: "approval-unverifiable", wantMsg: "lockstep reads team membership with the github-token input, which cannot see team org/ops",
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.ApproverTeams = []string{"org/ops"}
				gh.hiddenTeams = map[string]bool{"org/ops": true}
			}},
		{name: "approver-teams: membership unreadable", want: "approval-unverifiable", wantMsg: "checking rev's membership of org/ops with github-token",
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.ApproverTeams = []string{"org/ops"}
				gh.err = map[string]error{"TeamMember": errors.New("502")}
			}},
		{name: "approver-teams: the approver token reads them", wantBy: []string{"rev"},
			change: func(g *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.ApproverTeams = []string{"org/ops"}
				gh.hiddenTeams = map[string]bool{"org/ops": true} // the run's token cannot
				g.ApproverTeams = func() (Teams, error) {
					return &fakeGitHub{teamMembers: map[string][]string{"org/ops": {"rev"}}}, nil
				}
			}},
		{name: "approver-teams: a team the approver token cannot see", want: "approval-unverifiable", wantMsg: "LOCKSTEP_APPROVER_TOKEN cannot see team org/ops",
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				pol.ApproverTeams = []string{"org/ops"}
				g.ApproverTeams = func() (Teams, error) { return &fakeGitHub{hiddenTeams: map[string]bool{"org/ops": true}}, nil }
			}},
		{name: "approver-teams: the approver token's client fails", want: "approval-unverifiable", wantMsg: "building the client for LOCKSTEP_APPROVER_TOKEN: bad URL",
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				pol.ApproverTeams = []string{"org/ops"}
				g.ApproverTeams = func() (Teams, error) { return nil, errors.New("bad URL") }
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := approvedPRGitHub()
			g, log := fakeGate(gh)
			pol := prod
			if tt.change != nil {
				tt.change(g, gh, &pol)
			}
			v, err := g.Decide(context.Background(), pol, []string{"infra"})
			require.Equal(t, tt.want, refusalReason(t, err), "%v", err)
			if tt.want != "" {
				assert.Contains(t, err.Error(), tt.wantMsg)
				assert.Contains(t, err.Error(), `"production"`, "every refusal names the environment")
				return
			}
			assert.Equal(t, policy.ModePullRequest, v.Mode)
			var by []string
			for _, ap := range v.Approvals {
				by = append(by, ap.Login)
				assert.Equal(t, "https://github.test/review/"+ap.Login, ap.URL, "the approval links its review")
			}
			assert.Equal(t, tt.wantBy, by)
			assert.Contains(t, log.String(), "Approval (pull-request mode): PR #7 (https://github.test/pull/7) was merged with approving reviews by")
		})
	}
}

// TestPullRequestModeBatch is a push that merged several pull requests (a
// merge queue batch): every one of them must pass.
func TestPullRequestModeBatch(t *testing.T) {
	pol := policy.Policy{Environment: "production", ProductionLike: true, ApprovalRequired: true, ApprovalMode: policy.ModePullRequest, MinApprovals: 1}
	batch := func() (*Gate, *fakeGitHub, *logLines) {
		gh := approvedPRGitHub()
		gh.pulls["merge6"] = []github.PullRequest{mergedPR(6)}
		gh.reviews[6] = []github.Review{review("owner", "head6", planAt.Add(time.Minute))}
		gh.comments[6] = &github.Comment{Body: comment.Marker("infra", "production"), UpdatedAt: planAt}
		gh.commits = []string{"merge6", "merge7"}
		g, log := fakeGate(gh)
		g.Run.Before = "base"
		return g, gh, log
	}

	g, _, log := batch()
	v, err := g.Decide(context.Background(), pol, []string{"infra"})
	require.NoError(t, err)
	var by []string
	for _, ap := range v.Approvals {
		by = append(by, ap.Login)
	}
	assert.Equal(t, []string{"rev", "owner"}, by, "each approver once, the pushed pull request's first")
	assert.Contains(t, log.String(), "this push merged 2 pull requests (#7, #6), as a merge queue batch does; each of them was approved.")

	g, gh, _ := batch()
	gh.reviews[6] = nil
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "pr-not-approved", refusalReason(t, err))
	assert.Contains(t, err.Error(), "PR #6 (one of the 2 pull requests this push merged, as a merge queue batch does: #7, #6; each must be approved) has 0 of 1")

	// A pull request of the batch without a plan passes only when it
	// changed nothing the stack's plan may depend on.
	g, gh, _ = batch()
	delete(gh.comments, 6)
	gh.files = map[int][]string{6: {"app/main.go"}}
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.NoError(t, err)
	gh.files = map[int][]string{6: {"modules/net/main.tf"}}
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "pr-not-approved", refusalReason(t, err))
	assert.Contains(t, err.Error(), "changed modules/net/main.tf but has no plan comment of lockstep's for infra → production")

	// No pull request of the batch has a plan: nobody saw it.
	g, gh, _ = batch()
	gh.comments = nil
	gh.files = map[int][]string{6: {"app/main.go"}, 7: {"app/x.go"}}
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "pr-not-approved", refusalReason(t, err))

	g, gh, _ = batch()
	gh.commits = []string{"direct", "merge7"}
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "pr-not-approved", refusalReason(t, err))
	assert.Contains(t, err.Error(), "commit direct of this push came in without a merged pull request, beside PR #7")

	g, gh, _ = batch()
	gh.err = map[string]error{"CommitsBetween": github.ErrNotAhead}
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "pr-not-approved", refusalReason(t, err))
	assert.Contains(t, err.Error(), "which does not descend from it (a force push)")

	g, gh, _ = batch()
	gh.err = map[string]error{"CommitsBetween": github.ErrTooManyCommits}
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "approval-unverifiable", refusalReason(t, err))
	assert.Contains(t, err.Error(), "brings in more than 300 commits")

	// A workflow_dispatch has no push range: the commit's pull request only.
	g, gh, _ = batch()
	g.Run.EventName = "workflow_dispatch"
	gh.commits = []string{"direct", "merge7"}
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.NoError(t, err)
	assert.False(t, gh.called("CommitsBetween"))
}

// files is a ReadFile over a map of slash paths.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := m[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
}

// Off the default branch, pull-request mode applies only a push that moves
// the ref forward: a new branch's first push, a tag, or a dispatch could
// point at any old approved commit (an infrastructure rollback nobody
// approved now).
func TestPullRequestModeOffTheDefaultBranchNeedsAPushRange(t *testing.T) {
	prod := policy.Policy{Environment: "production", ProductionLike: true, ApprovalRequired: true, ApprovalMode: policy.ModePullRequest, MinApprovals: 1,
		ApplyRefs: []string{"refs/heads/release/*", "refs/tags/v*"}}
	for _, tt := range []struct {
		name, ref, event, before, want, msg string
	}{
		{name: "a new release branch at an old approved commit", ref: "refs/heads/release/1", event: "push", before: strings.Repeat("0", 40),
			want: "pr-not-approved", msg: "the first push of refs/heads/release/1 names no range of commits"},
		{name: "a dispatch on a release branch", ref: "refs/heads/release/1", event: "workflow_dispatch",
			want: "pr-not-approved", msg: "a workflow_dispatch run on refs/heads/release/1 names no range"},
		{name: "a new tag", ref: "refs/tags/v1", event: "push", before: strings.Repeat("0", 40),
			want: "pr-not-approved", msg: "the first push of refs/tags/v1"},
		{name: "a dispatch on the default branch runs its head", ref: "refs/heads/main", event: "workflow_dispatch"},
		{name: "a push that moves the release branch forward", ref: "refs/heads/release/1", event: "push", before: "base7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gh := approvedPRGitHub()
			gh.commits = []string{"merge7"}
			g, _ := fakeGate(gh)
			g.Run.Ref, g.Run.EventName, g.Run.Before = tt.ref, tt.event, tt.before
			_, err := g.Decide(context.Background(), prod, []string{"infra"})
			require.Equal(t, tt.want, refusalReason(t, err), "%v", err)
			if tt.want != "" {
				assert.Contains(t, err.Error(), tt.msg)
				assert.Contains(t, err.Error(), "approval-mode: environment")
			}
		})
	}
}
