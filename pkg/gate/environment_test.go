package gate

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// protectedEnv is a production environment as lockstep wants it: required
// reviewers, no admin bypass, protected branches only.
func protectedEnv() *github.Environment {
	return &github.Environment{Name: "production", Exists: true, RequiredReviewers: 1,
		BranchPolicy: &github.DeploymentBranchPolicy{ProtectedBranches: true}}
}

func approval(login, state string, envs ...string) github.Approval {
	return github.Approval{Login: login, State: state, Comment: "ok by " + login, Environments: envs}
}

// TestEnvironmentMode is environment mode against plain GitHub data: each
// case changes one thing of an approved run of main to production.
func TestEnvironmentMode(t *testing.T) {
	prod := policy.Policy{Environment: "production", ProductionLike: true, ApprovalRequired: true, ApprovalMode: policy.ModeEnvironment}
	tests := []struct {
		name    string
		change  func(g *Gate, gh *fakeGitHub, pol *policy.Policy)
		want    string // refusal code; "" means allowed
		wantMsg string
		wantBy  []string
	}{
		{name: "approved by another reviewer", wantBy: []string{"rev"}},
		{name: "approval names the environment in another case",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.approvals = []github.Approval{approval("rev", github.ApprovalApproved, "Production")}
			}, wantBy: []string{"rev"}},
		{name: "environment missing", want: "approval-not-configured", wantMsg: `the GitHub environment "production" does not exist in this repository`,
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.env = &github.Environment{Name: "production"} }},
		{name: "no required reviewers", want: "approval-not-configured", wantMsg: `the GitHub environment "production" has no required reviewers`,
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.env.RequiredReviewers = 0 }},
		{name: "environment unreadable", want: "approval-unverifiable", wantMsg: "reading its GitHub environment failed: 502",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"Environment": errors.New("502")}
			}},
		{name: "no client", want: "approval-unverifiable", wantMsg: "lockstep cannot check its GitHub environment: no token",
			change: func(g *Gate, _ *fakeGitHub, _ *policy.Policy) {
				g.GitHub = func() (GitHub, error) { return nil, errors.New("no token") }
			}},
		{name: "a nil client without an error", want: "approval-unverifiable", wantMsg: "no GitHub client",
			change: func(g *Gate, _ *fakeGitHub, _ *policy.Policy) { g.GitHub = func() (GitHub, error) { return nil, nil } }},
		{name: "run ID not a number", want: "approval-unverifiable", wantMsg: `GITHUB_RUN_ID "x42" is not a workflow run ID`,
			change: func(g *Gate, _ *fakeGitHub, _ *policy.Policy) { g.Run.RunID = "x42" }},
		{name: "run ID zero", want: "approval-unverifiable", wantMsg: `GITHUB_RUN_ID "0" is not a workflow run ID`,
			change: func(g *Gate, _ *fakeGitHub, _ *policy.Policy) { g.Run.RunID = "0" }},
		{name: "approvals unreadable", want: "approval-unverifiable", wantMsg: "the apply job needs permission actions: read",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"RunApprovals": errors.New("403")}
			}},
		{name: "nobody approved", want: "approval-missing", wantMsg: `nobody approved workflow run 42 for the GitHub environment "production"`,
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.approvals = nil }},
		{name: "only rejected", want: "approval-missing",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.approvals = []github.Approval{approval("rev", github.ApprovalRejected, "production")}
			}},
		{name: "approved for another environment only", want: "approval-missing",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.approvals = []github.Approval{approval("rev", github.ApprovalApproved, "staging")}
			}},
		{name: "approved by who started the run", want: "approval-self", wantMsg: "is by Pusher, who triggered the run",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.approvals = []github.Approval{approval("Pusher", github.ApprovalApproved, "production")}
			}},
		{name: "approved by who re-ran it", want: "approval-self", wantMsg: "is by rerunner, who triggered the run",
			change: func(g *Gate, gh *fakeGitHub, _ *policy.Policy) {
				g.Run.TriggeringActor = "rerunner"
				gh.approvals = []github.Approval{approval("rerunner", github.ApprovalApproved, "production")}
			}},
		{name: "a self approval beside another counts only the other",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.approvals = []github.Approval{approval("pusher", github.ApprovalApproved, "production"), approval("rev", github.ApprovalApproved, "production")}
			}, wantBy: []string{"rev"}},
		{name: "allow-self-approval", wantBy: []string{"pusher"},
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				pol.AllowSelfApproval = true
				gh.approvals = []github.Approval{approval("pusher", github.ApprovalApproved, "production")}
			}},
		{name: "not production-like: a self approval counts", wantBy: []string{"pusher"},
			change: func(g *Gate, gh *fakeGitHub, pol *policy.Policy) {
				g.Environment, pol.ProductionLike = "staging", false
				gh.env.Name, gh.env.CanAdminsBypass, gh.env.BranchPolicy = "staging", true, nil
				gh.approvals = []github.Approval{approval("pusher", github.ApprovalApproved, "staging")}
			}},
		{name: "admins can bypass", want: "approval-bypassable", wantMsg: `administrators may bypass the protection rules of the GitHub environment "production"`,
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.env.CanAdminsBypass = true }},
		{name: "allow-admin-bypass", wantBy: []string{"rev"},
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				gh.env.CanAdminsBypass, pol.AllowAdminBypass = true, true
			}},
		{name: "no branch policy", want: "branch-not-allowed", wantMsg: "has no deployment branch policy, so a workflow on any branch could deploy to it",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.env.BranchPolicy = nil }},
		{name: "require-branch-policy false", wantBy: []string{"rev"},
			change: func(_ *Gate, gh *fakeGitHub, pol *policy.Policy) {
				gh.env.BranchPolicy, pol.SkipBranchPolicy = nil, true
			}},
		{name: "protected branches only, main unprotected", want: "branch-not-allowed", wantMsg: "and main is not protected",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) { gh.protected = nil }},
		{name: "protected branches only, a tag", want: "branch-not-allowed", wantMsg: "and refs/tags/v1 is not a branch",
			change: func(g *Gate, _ *fakeGitHub, pol *policy.Policy) {
				g.Run.Ref, pol.ApplyRefs = "refs/tags/v1", []string{"refs/tags/v*"}
			}},
		{name: "protection unreadable", want: "approval-unverifiable", wantMsg: "checking that branch main is protected",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.err = map[string]error{"BranchProtected": errors.New("502")}
			}},
		{name: "custom policies allow main", wantBy: []string{"rev"},
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.env.BranchPolicy = &github.DeploymentBranchPolicy{CustomBranchPolicies: true}
				gh.branchPols = []github.BranchPolicy{{Pattern: "release/*"}, {Pattern: "main"}}
			}},
		{name: "custom policies allow only a tag named main", want: "branch-not-allowed", wantMsg: `allows branch "main"`,
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.env.BranchPolicy = &github.DeploymentBranchPolicy{CustomBranchPolicies: true}
				gh.branchPols = []github.BranchPolicy{{Pattern: "main", Type: github.RefTag}}
			}},
		{name: "custom policies unreadable", want: "approval-unverifiable", wantMsg: "reading the deployment branch policies",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.env.BranchPolicy = &github.DeploymentBranchPolicy{CustomBranchPolicies: true}
				gh.err = map[string]error{"DeploymentBranchPolicies": errors.New("502")}
			}},
		{name: "a branch policy of neither kind", want: "branch-not-allowed", wantMsg: "allows neither protected branches nor selected ones",
			change: func(_ *Gate, gh *fakeGitHub, _ *policy.Policy) {
				gh.env.BranchPolicy = &github.DeploymentBranchPolicy{}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := &fakeGitHub{env: protectedEnv(), protected: map[string]bool{"main": true},
				approvals: []github.Approval{approval("rev", github.ApprovalApproved, "production")}}
			g, _ := fakeGate(gh)
			pol := prod
			if tt.change != nil {
				tt.change(g, gh, &pol)
			}
			v, err := g.Decide(context.Background(), pol, []string{"infra"})
			require.Equal(t, tt.want, refusalReason(t, err), "%v", err)
			if tt.want != "" {
				assert.Contains(t, err.Error(), tt.wantMsg)
				assert.Equal(t, Verdict{}, v)
				return
			}
			assert.Equal(t, policy.ModeEnvironment, v.Mode)
			var by []string
			for _, ap := range v.Approvals {
				by = append(by, ap.Login)
				assert.Equal(t, "ok by "+ap.Login, ap.Comment, "the reviewer's comment is kept for the report")
			}
			assert.Equal(t, tt.wantBy, by)
		})
	}
}

// TestDecideWithoutApproval: the event and ref checks run even when no
// approval is required, and nothing is read from GitHub then.
func TestDecideWithoutApproval(t *testing.T) {
	gh := &fakeGitHub{}
	g, _ := fakeGate(gh)
	v, err := g.Decide(context.Background(), policy.Policy{ProductionLike: true}, []string{"infra"})
	require.NoError(t, err)
	assert.Equal(t, Verdict{}, v)
	assert.Empty(t, gh.calls)

	g.Run.EventName = "pull_request"
	_, err = g.Decide(context.Background(), policy.Policy{}, []string{"infra"})
	assert.Equal(t, "event-not-allowed", refusalReason(t, err))

	g.Run.EventName, g.Run.Ref = "push", "refs/heads/feature"
	_, err = g.Decide(context.Background(), policy.Policy{ProductionLike: true}, []string{"infra"})
	assert.Equal(t, "branch-not-allowed", refusalReason(t, err))
	_, err = g.Decide(context.Background(), policy.Policy{}, []string{"infra"})
	assert.NoError(t, err, "a branch is refused only for production-like environments")
}

// TestDefaultBranchFromGitHub: without the payload's default branch the
// gate asks GitHub, and refuses when it cannot tell.
func TestDefaultBranchFromGitHub(t *testing.T) {
	gh := &fakeGitHub{defaultBr: "trunk"}
	g, _ := fakeGate(gh)
	g.Run.DefaultBranch = ""
	_, err := g.Decide(context.Background(), policy.Policy{ProductionLike: true}, nil)
	assert.Equal(t, "branch-not-allowed", refusalReason(t, err))
	assert.Contains(t, err.Error(), "only the default branch (trunk) may")

	g.Run.Ref = "refs/heads/trunk"
	_, err = g.Decide(context.Background(), policy.Policy{ProductionLike: true}, nil)
	assert.NoError(t, err)

	gh.err = map[string]error{"DefaultBranch": errors.New("502")}
	_, err = g.Decide(context.Background(), policy.Policy{ProductionLike: true}, nil)
	assert.Equal(t, "approval-unverifiable", refusalReason(t, err))
	assert.Contains(t, err.Error(), "lockstep cannot tell which branch that is: 502")
}

// TestAutoMode: auto is environment mode when the environment has required
// reviewers, else pull-request mode, and says so.
func TestAutoMode(t *testing.T) {
	pol := policy.Policy{ProductionLike: true, ApprovalRequired: true, ApprovalMode: policy.ModeAuto}

	gh := &fakeGitHub{env: protectedEnv(), protected: map[string]bool{"main": true},
		approvals: []github.Approval{approval("rev", github.ApprovalApproved, "production")}}
	g, log := fakeGate(gh)
	v, err := g.Decide(context.Background(), pol, []string{"infra"})
	require.NoError(t, err)
	assert.Equal(t, policy.ModeEnvironment, v.Mode)
	assert.NotContains(t, log.String(), "Approval mode: pull-request")

	gh = &fakeGitHub{env: &github.Environment{Name: "production", Exists: true}}
	g, log = fakeGate(gh)
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "pr-not-approved", refusalReason(t, err), "pull-request mode ran: the commit has no pull request")
	assert.Contains(t, log.String(), `Approval mode: pull-request (approval-mode auto; the GitHub environment "production" has no required reviewers).`)
	assert.True(t, gh.called("PullRequestsWithCommit"))

	gh = &fakeGitHub{err: map[string]error{"Environment": errors.New("502")}}
	g, _ = fakeGate(gh)
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "approval-unverifiable", refusalReason(t, err))
	assert.False(t, gh.called("PullRequestsWithCommit"), "an unreadable environment never falls back to pull-request mode")
}

// TestGateWithoutReaders: a gate missing its GitHub client or its file
// reader refuses what needs them; it never panics or lets the apply run.
func TestGateWithoutReaders(t *testing.T) {
	g := &Gate{Environment: "production", Run: Run{EventName: "push", Ref: "refs/heads/main", SHA: "merge7", RunID: "42"}, Log: &logLines{}}
	pol := policy.Policy{ProductionLike: true, ApprovalRequired: true}
	_, err := g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "approval-unverifiable", refusalReason(t, err), "the default branch is unknown without GitHub")

	g.Run.DefaultBranch = "main"
	_, err = g.Decide(context.Background(), pol, []string{"infra"})
	assert.Equal(t, "approval-unverifiable", refusalReason(t, err))
	assert.Contains(t, err.Error(), "no GitHub client")

	refused := &policy.DestroyRefusedError{Resources: []string{"aws_db_instance.main"}}
	assert.Equal(t, "destroy-not-allowed", refusalReason(t, g.AllowDestroys(context.Background(), "infra", "fp", refused)))
	assert.Contains(t, refused.Label, "lockstep could not check it")

	gh := approvedPRGitHub()
	g, _ = fakeGate(gh)
	g.ReadFile = nil
	_, err = g.Decide(context.Background(), policy.Policy{ProductionLike: true, ApprovalRequired: true, ApprovalMode: policy.ModePullRequest, RequireCodeowner: true}, []string{"infra"})
	assert.Equal(t, "approval-unverifiable", refusalReason(t, err))
	assert.Contains(t, err.Error(), "reading CODEOWNERS: no file reader for the applied commit")
}
