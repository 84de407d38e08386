package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// runID is the workspace's GITHUB_RUN_ID.
const runID = 4211

// strictProduction makes "production" the environment apply wants: a
// required reviewer (alice), no admin bypass, protected branches only, with
// main protected, and alice's approval of this run.
func strictProduction(gh *fakegithub.Server) {
	gh.PutEnvironment("octo-org", "shop", fakegithub.Environment{
		Name:         "production",
		Reviewers:    []fakegithub.Reviewer{{Type: "User", Login: "alice"}},
		BranchPolicy: &fakegithub.DeploymentBranchPolicy{ProtectedBranches: true},
	})
	gh.SetBranchProtected("octo-org", "shop", "main", true)
	gh.SetRunApprovals("octo-org", "shop", runID, fakegithub.Approval{
		State: "approved", User: "alice", Comment: "Ship it @team", Environments: []string{"production"},
	})
}

// plannedProduction is a push run whose plan for production (one resource
// to create) is made and ready to apply.
func plannedProduction(t *testing.T) (*workspace, *fakegithub.Server, map[string]string) {
	w, gh := pushWorkspace(t)
	w.fixture("nochange", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "production"}
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	strictProduction(gh)
	return w, gh, in
}

// Each way this run is not provably approved, or may not apply at all, is
// refused before Terraform runs, saying what to fix, and the state is
// untouched.
func TestApplyGateRefusals(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *workspace, gh *fakegithub.Server)
		reason string
		msgs   []string
	}{
		{"pull request event", func(w *workspace, gh *fakegithub.Server) {
			w.pullRequestEvent(7, w.env["GITHUB_SHA"])
		}, "event-not-allowed", []string{"apply never runs on a pull_request event", "Apply on push to the default branch after merge"}},
		{"merge queue event", func(w *workspace, gh *fakegithub.Server) {
			w.env["GITHUB_EVENT_NAME"] = "merge_group"
		}, "event-not-allowed", []string{"apply never runs on a merge_group event"}},
		{"a pull request's ref on another event", func(w *workspace, gh *fakegithub.Server) {
			w.env["GITHUB_EVENT_NAME"] = "issue_comment"
			w.env["GITHUB_REF"] = "refs/pull/7/merge"
		}, "event-not-allowed", []string{"apply never runs on a pull request's ref (refs/pull/7/merge, event issue_comment)"}},
		{"another branch", func(w *workspace, gh *fakegithub.Server) {
			w.env["GITHUB_REF"] = "refs/heads/feature"
		}, "branch-not-allowed", []string{`refs/heads/feature may not apply to the production-like environment "production": only the default branch (main) may`, "list the ref under apply-refs"}},
		{"the default branch is not main", func(w *workspace, gh *fakegithub.Server) {
			gh.SetDefaultBranch("octo-org", "shop", "trunk")
		}, "branch-not-allowed", []string{"only the default branch (trunk) may", "Merge the change to trunk"}},
		{"nobody approved the run", func(w *workspace, gh *fakegithub.Server) {
			gh.SetRunApprovals("octo-org", "shop", runID)
		}, "approval-missing", []string{`nobody approved workflow run 4211 for the GitHub environment "production"`, "Name the environment on the apply job (environment: production)"}},
		{"approved for another environment, or rejected", func(w *workspace, gh *fakegithub.Server) {
			gh.SetRunApprovals("octo-org", "shop", runID,
				fakegithub.Approval{State: "approved", User: "alice", Environments: []string{"staging"}},
				fakegithub.Approval{State: "rejected", User: "bob", Environments: []string{"production"}})
		}, "approval-missing", []string{"nobody approved workflow run 4211"}},
		{"approved by the actor", func(w *workspace, gh *fakegithub.Server) {
			w.env["GITHUB_ACTOR"] = "alice"
		}, "approval-self", []string{`the only approval of this run for "production" is by alice, who triggered the run`, "allow-self-approval: true"}},
		{"approved by who re-ran it", func(w *workspace, gh *fakegithub.Server) {
			w.env["GITHUB_TRIGGERING_ACTOR"] = "Alice"
		}, "approval-self", []string{"is by alice, who triggered the run"}},
		{"admins may bypass", func(w *workspace, gh *fakegithub.Server) {
			gh.SetEnvironment("octo-org", "shop", "production", "alice") // GitHub's default: bypass allowed
		}, "approval-bypassable", []string{`Untick "Allow administrators to bypass configured protection rules" in Settings → Environments → production`}},
		{"no deployment branch policy", func(w *workspace, gh *fakegithub.Server) {
			gh.PutEnvironment("octo-org", "shop", fakegithub.Environment{Name: "production", Reviewers: []fakegithub.Reviewer{{Login: "alice"}}})
		}, "branch-not-allowed", []string{`the GitHub environment "production" has no deployment branch policy`, "require-branch-policy: false"}},
		{"the branch is not protected", func(w *workspace, gh *fakegithub.Server) {
			gh.SetBranchProtected("octo-org", "shop", "main", false)
		}, "branch-not-allowed", []string{"deploys only from protected branches, and main is not protected"}},
		{"no custom branch policy matches", func(w *workspace, gh *fakegithub.Server) {
			gh.PutEnvironment("octo-org", "shop", fakegithub.Environment{
				Name: "production", Reviewers: []fakegithub.Reviewer{{Login: "alice"}},
				BranchPolicy:   &fakegithub.DeploymentBranchPolicy{CustomBranchPolicies: true},
				BranchPolicies: []fakegithub.BranchPolicy{{Name: "main", Type: "tag"}, {Name: "main/*"}},
			})
		}, "branch-not-allowed", []string{`no deployment branch or tag policy of the GitHub environment "production" allows branch "main"`}},
		{"approvals unreadable", func(w *workspace, gh *fakegithub.Server) {
			gh.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/{o}/{r}/actions/runs/{id}/approvals", Kind: fakegithub.FaultStatus, Status: 403})
		}, "approval-unverifiable", []string{"reading the approvals of this run failed (the apply job needs permission actions: read)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, gh, in := plannedProduction(t)
			tt.mutate(w, gh)
			r := w.action(with(in, "command", "apply"))
			w.assertRefusedUntouched(t, r, "infra", tt.reason, tt.msgs...)
		})
	}
}

// Even where no approval is required, apply never runs on a pull request.
func TestApplyNeverOnPullRequests(t *testing.T) {
	w, _ := pushWorkspace(t)
	w.fixture("nochange", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)
	w.env["GITHUB_EVENT_NAME"] = "pull_request_target"
	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "event-not-allowed", r.outputs["failure-reason"])
	assert.Empty(t, w.stateAddresses("infra"))
}

// An approved run applies and says who approved, in the output and in the
// job summary with the approval's comment (escaped: it never mentions).
func TestApplyApprovedSaysWhoApproved(t *testing.T) {
	w, gh, in := plannedProduction(t)
	gh.SetRunApprovals("octo-org", "shop", runID,
		fakegithub.Approval{State: "approved", User: "octocat", Environments: []string{"production"}}, // the actor: does not count
		fakegithub.Approval{State: "approved", User: "alice", Comment: "Ship it @team", Environments: []string{"staging", "production"}},
	)
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Equal(t, "alice", r.outputs["approved-by"])
	assert.Contains(t, r.stdout, `Approval (environment mode): alice approved this run for the GitHub environment "production".`)
	assert.Contains(t, r.summary, "**Approved by** (environment mode: the GitHub environment's required reviewers approved this run)\n\n- alice: “Ship it @\u200dteam”\n")
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}

// On the default branch, where the policy file was reviewed, it can relax
// each production check; the approval of this run is still needed.
func TestApplyPolicyRelaxesTheGate(t *testing.T) {
	w, gh, in := plannedProduction(t)
	w.write(map[string]string{".lockstep.yml": `environments:
  production:
    allow-self-approval: true
    allow-admin-bypass: true
    require-branch-policy: false
`})
	w.env["GITHUB_ACTOR"] = "alice"
	gh.SetEnvironment("octo-org", "shop", "production", "alice") // admins may bypass, no branch policy

	gh.SetRunApprovals("octo-org", "shop", runID)
	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, "approval-missing", r.outputs["failure-reason"], "no key relaxes the approval itself")
	assert.Empty(t, w.stateAddresses("infra"))

	gh.SetRunApprovals("octo-org", "shop", runID, fakegithub.Approval{State: "approved", User: "alice", Environments: []string{"production"}})
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "alice", r.outputs["approved-by"])
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}

// On another ref the policy file is whatever that ref's pusher wrote: it may
// let the ref apply (apply-refs), but its relaxations are ignored, so the
// environment's own rules decide.
func TestApplyPolicyRelaxesNothingOffTheDefaultBranch(t *testing.T) {
	w, gh, in := plannedProduction(t)
	w.write(map[string]string{".lockstep.yml": `environments:
  production:
    apply-refs: ["refs/heads/**"]
    allow-self-approval: true
    allow-admin-bypass: true
    require-branch-policy: false
`})
	w.env["GITHUB_REF"] = "refs/heads/feature"
	gh.SetEnvironment("octo-org", "shop", "production", "alice") // admins may bypass, no branch policy
	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "approval-bypassable", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "::warning::refs/heads/feature is not the default branch (main): the policy file's allow-self-approval, allow-admin-bypass and require-branch-policy apply only on main")

	strictProduction(gh) // protected branches only: feature is not one
	gh.SetBranchProtected("octo-org", "shop", "feature", false)
	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, "branch-not-allowed", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "the GitHub environment \"production\" deploys only from protected branches, and feature is not protected")
	assert.Empty(t, w.stateAddresses("infra"))
}

// A tag allowed by apply-refs must also be allowed by the environment's own
// tag policy.
func TestApplyTagNeedsTheEnvironmentsTagPolicy(t *testing.T) {
	w, gh, in := plannedProduction(t)
	w.write(map[string]string{".lockstep.yml": "environments:\n  production:\n    apply-refs: [refs/tags/v*]\n"})
	w.env["GITHUB_REF"] = "refs/tags/v1.2.0"
	gh.PutEnvironment("octo-org", "shop", fakegithub.Environment{
		Name: "production", Reviewers: []fakegithub.Reviewer{{Login: "alice"}},
		BranchPolicy:   &fakegithub.DeploymentBranchPolicy{CustomBranchPolicies: true},
		BranchPolicies: []fakegithub.BranchPolicy{{Name: "main"}, {Name: "v*", Type: "tag"}},
	})
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "alice", r.outputs["approved-by"])
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}

// Off the default branch the policy file cannot swap the environment's
// approval of this run for an old pull request's reviews: approval-mode
// from the file is ignored there, with a warning.
func TestApplyPolicyCannotChooseThePullRequestGateOffTheDefaultBranch(t *testing.T) {
	w, gh, in := plannedProduction(t)
	w.write(map[string]string{".lockstep.yml": "environments:\n  production:\n    apply-refs: [refs/tags/v*]\n    approval-mode: pull-request\n"})
	w.env["GITHUB_REF"] = "refs/tags/v1.2.0"
	gh.PutEnvironment("octo-org", "shop", fakegithub.Environment{
		Name: "production", Reviewers: []fakegithub.Reviewer{{Login: "alice"}},
		BranchPolicy:   &fakegithub.DeploymentBranchPolicy{CustomBranchPolicies: true},
		BranchPolicies: []fakegithub.BranchPolicy{{Name: "v*", Type: "tag"}},
	})
	gh.SetRunApprovals("octo-org", "shop", runID) // nobody approved this run
	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "approval-missing", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "::warning::refs/tags/v1.2.0 is not the default branch (main): the policy file's approval-mode applies only on main")
	assert.Empty(t, w.stateAddresses("infra"))
}

// approval: none is the policy file's largest relaxation: off the default
// branch, where the ref's pusher wrote the file, it is ignored like the
// others, and the environment's approval of this run is needed. On the
// default branch, where the file was reviewed, it holds.
func TestApplyPolicyCannotDropApprovalOffTheDefaultBranch(t *testing.T) {
	w, gh, in := plannedProduction(t)
	w.write(map[string]string{".lockstep.yml": "environments:\n  production:\n    apply-refs: [\"refs/heads/**\"]\n    approval: none\n"})
	w.env["GITHUB_REF"] = "refs/heads/feature"
	gh.SetRunApprovals("octo-org", "shop", runID) // nobody approved this run
	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "approval-missing", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "::warning::refs/heads/feature is not the default branch (main): the policy file's approval: none applies only on main, where it was reviewed; approval is required here")
	assert.Empty(t, w.stateAddresses("infra"))

	w.env["GITHUB_REF"] = "refs/heads/main"
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.NotContains(t, r.stdout, "approval: none applies only on")
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}
