package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// In pull-request mode a production environment's deployment branch
// policy still holds, when the GitHub environment has one: an approved
// pull request does not let the apply run from a branch the policy
// refuses (here main, unprotected, under "protected branches only"), and
// the refusal leaves the state untouched. require-branch-policy: false in
// the policy file turns the check off, as in environment mode.
func TestPullRequestModeHonoursTheBranchPolicy(t *testing.T) {
	tests := []struct {
		name   string
		env    fakegithub.Environment
		policy string
		want   string // "" applies
	}{
		{"protected branches only, main unprotected",
			fakegithub.Environment{Name: "production", BranchPolicy: &fakegithub.DeploymentBranchPolicy{ProtectedBranches: true}}, "",
			`the GitHub environment "production" deploys only from protected branches, and main is not protected`},
		{"selected branches that leave main out",
			fakegithub.Environment{Name: "production", BranchPolicy: &fakegithub.DeploymentBranchPolicy{CustomBranchPolicies: true},
				BranchPolicies: []fakegithub.BranchPolicy{{Name: "release/*"}}}, "",
			`no deployment branch or tag policy of the GitHub environment "production" allows branch "main"`},
		{"selected branches that allow main",
			fakegithub.Environment{Name: "production", BranchPolicy: &fakegithub.DeploymentBranchPolicy{CustomBranchPolicies: true},
				BranchPolicies: []fakegithub.BranchPolicy{{Name: "main"}}}, "", ""},
		{"no branch policy: the reviews are the gate",
			fakegithub.Environment{Name: "production"}, "", ""},
		{"require-branch-policy: false",
			fakegithub.Environment{Name: "production", BranchPolicy: &fakegithub.DeploymentBranchPolicy{ProtectedBranches: true}},
			"environments:\n  production:\n    require-branch-policy: false\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, gh, in := mergedForPullRequestMode(t)
			gh.PutEnvironment(owner, repo, tt.env) // no required reviewers: auto is pull-request mode
			gh.SetBranchProtected(owner, repo, "main", false)
			if tt.policy != "" {
				writeFile(t, w, ".lockstep.yml", tt.policy)
			}
			approve(gh, "bob")
			r := w.action(with(in, "command", "apply"))
			if tt.want != "" {
				w.assertRefusedUntouched(t, r, "infra", "branch-not-allowed", tt.want)
				return
			}
			require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
			assert.Equal(t, "bob", r.outputs["approved-by"])
			assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
		})
	}

	// Protecting main lets the same approved pull request apply.
	w, gh, in := mergedForPullRequestMode(t)
	gh.PutEnvironment(owner, repo, fakegithub.Environment{Name: "production", BranchPolicy: &fakegithub.DeploymentBranchPolicy{ProtectedBranches: true}})
	gh.SetBranchProtected(owner, repo, "main", true)
	approve(gh, "bob")
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
}
