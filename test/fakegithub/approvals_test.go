package fakegithub_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// The approvals, branch and repository answers decode with go-github's own
// types, which follow GitHub's documented shapes.
func TestApprovalsBranchesAndRepository(t *testing.T) {
	s := fakegithub.New(t)
	s.SetRunApprovals("o", "r", 42, fakegithub.Approval{State: "approved", User: "alice", Comment: "ok", Environments: []string{"prod/eu"}})
	s.SetBranchProtected("o", "r", "release/1", true)
	s.SetDefaultBranch("o", "r", "trunk")
	s.PutEnvironment("o", "r", fakegithub.Environment{
		Name: "prod/eu", BranchPolicy: &fakegithub.DeploymentBranchPolicy{CustomBranchPolicies: true},
		BranchPolicies: []fakegithub.BranchPolicy{{Name: "main"}, {Name: "v*", Type: "tag"}},
	})
	c := newClient(t, s, "")
	ctx := context.Background()

	req, err := c.NewRequest("GET", "repos/o/r/actions/runs/42/approvals", nil)
	if err != nil {
		t.Fatal(err)
	}
	var approvals []struct {
		State        string `json:"state"`
		Comment      string `json:"comment"`
		User         struct{ Login string }
		Environments []struct{ Name, HTMLURL string }
	}
	if _, err := c.Do(ctx, req, &approvals); err != nil {
		t.Fatal(err)
	}
	if len(approvals) != 1 || approvals[0].State != "approved" || approvals[0].User.Login != "alice" ||
		approvals[0].Comment != "ok" || len(approvals[0].Environments) != 1 || approvals[0].Environments[0].Name != "prod/eu" {
		t.Errorf("approvals: %+v", approvals)
	}

	b, _, err := c.Repositories.GetBranch(ctx, "o", "r", "release/1", 0) // go-github escapes it
	if err != nil || b.GetName() != "release/1" || !b.GetProtected() {
		t.Errorf("branch: %+v, %v", b, err)
	}
	repo, _, err := c.Repositories.Get(ctx, "o", "r")
	if err != nil || repo.GetDefaultBranch() != "trunk" {
		t.Errorf("repository: %+v, %v", repo, err)
	}

	env, _, err := c.Repositories.GetEnvironment(ctx, "o", "r", url.PathEscape("prod/eu"))
	if err != nil || env.DeploymentBranchPolicy == nil || !env.DeploymentBranchPolicy.GetCustomBranchPolicies() || env.DeploymentBranchPolicy.GetProtectedBranches() {
		t.Fatalf("environment: %+v, %v", env, err)
	}
	policies, _, err := c.Repositories.ListDeploymentBranchPolicies(ctx, "o", "r", url.PathEscape("prod/eu"))
	if err != nil || policies.GetTotalCount() != 2 || len(policies.BranchPolicies) != 2 ||
		policies.BranchPolicies[0].GetName() != "main" || policies.BranchPolicies[0].GetType() != "branch" ||
		policies.BranchPolicies[1].GetName() != "v*" || policies.BranchPolicies[1].GetType() != "tag" {
		t.Errorf("branch policies: %+v, %v", policies, err)
	}
}
