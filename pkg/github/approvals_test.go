package github_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestRunApprovals(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetRunApprovals(owner, repo, 4211,
		fakegithub.Approval{State: "rejected", User: "mallory", Comment: "no", Environments: []string{"production"}},
		fakegithub.Approval{State: "approved", User: "alice", Comment: "ship it", Environments: []string{"staging", "production"}},
	)
	e.srv.SetRunApprovals(owner, repo, 99, fakegithub.Approval{State: "approved", User: "bob", Environments: []string{"production"}})

	got, err := e.client.RunApprovals(context.Background(), 4211)
	if err != nil {
		t.Fatal(err)
	}
	want := []github.Approval{
		{State: "rejected", Login: "mallory", Comment: "no", Environments: []string{"production"}},
		{State: "approved", Login: "alice", Comment: "ship it", Environments: []string{"staging", "production"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if n := e.srv.Count("GET", "/repos/acme/infra/actions/runs/4211/approvals"); n != 1 {
		t.Errorf("%d requests for run 4211's approvals, want 1", n)
	}

	none, err := e.client.RunApprovals(context.Background(), 5)
	if err != nil || len(none) != 0 {
		t.Errorf("a run nobody reviewed: got %+v, %v; want none", none, err)
	}
}

func TestRunApprovalsErrorsAreErrors(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/{o}/{r}/actions/runs/{id}/approvals", Kind: fakegithub.FaultStatus, Status: http.StatusForbidden})
	got, err := e.client.RunApprovals(context.Background(), 4211)
	if !github.IsPermission(err) || got != nil {
		t.Fatalf("got %+v, %v; want a permission error so callers fail closed", got, err)
	}
}

func TestApprovalCovers(t *testing.T) {
	a := github.Approval{Environments: []string{"staging", "Production"}}
	for env, want := range map[string]bool{"production": true, "PRODUCTION": true, "staging": true, "prod": false, "": false} {
		if got := a.Covers(env); got != want {
			t.Errorf("Covers(%q) = %v, want %v", env, got, want)
		}
	}
}

func TestBranchPolicyMatches(t *testing.T) {
	tests := []struct {
		pattern, typ, refType, name string
		want                        bool
	}{
		{"main", "branch", "branch", "main", true},
		{"main", "branch", "tag", "main", false},
		{"main", "", "branch", "main", true},
		{"release/*", "branch", "branch", "release/1.2", true},
		{"release/*", "branch", "branch", "release/1.2/hotfix", false},
		{"release/*/*", "branch", "branch", "release/1.2/hotfix", true},
		{"release/**", "branch", "branch", "release/1.2/hotfix", true},
		{"v*", "tag", "tag", "v1.2.3", true},
		{"v*", "tag", "branch", "v1.2.3", false},
		{"[", "branch", "branch", "[", false},
		{"mai?", "branch", "branch", "main", true},
	}
	for _, tt := range tests {
		got := github.BranchPolicy{Pattern: tt.pattern, Type: tt.typ}.Matches(tt.refType, tt.name)
		if got != tt.want {
			t.Errorf("%s policy %q matches %s %q = %v, want %v", tt.typ, tt.pattern, tt.refType, tt.name, got, tt.want)
		}
	}
}

func TestDeploymentBranchPolicies(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.PutEnvironment(owner, repo, fakegithub.Environment{
		Name: "prod/eu", BranchPolicy: &fakegithub.DeploymentBranchPolicy{CustomBranchPolicies: true},
		BranchPolicies: []fakegithub.BranchPolicy{{Name: "main"}, {Name: "v*", Type: "tag"}},
	})
	ctx := context.Background()
	env, err := e.client.Environment(ctx, "prod/eu")
	if err != nil {
		t.Fatal(err)
	}
	if env.BranchPolicy == nil || *env.BranchPolicy != (github.DeploymentBranchPolicy{CustomBranchPolicies: true}) {
		t.Errorf("branch policy %+v, want custom branch policies", env.BranchPolicy)
	}
	got, err := e.client.DeploymentBranchPolicies(ctx, "prod/eu")
	if err != nil {
		t.Fatal(err)
	}
	want := []github.BranchPolicy{{Pattern: "main", Type: "branch"}, {Pattern: "v*", Type: "tag"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if n := e.srv.Count("GET", "/repos/acme/infra/environments/prod%2Feu/deployment-branch-policies"); n != 1 {
		t.Errorf("the name was not path-escaped: %+v", e.srv.Requests())
	}
}

func TestBranchProtectedAndDefaultBranch(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetBranchProtected(owner, repo, "release/1", true)
	e.srv.SetBranchProtected(owner, repo, "feature", false)
	e.srv.SetDefaultBranch(owner, repo, "trunk")
	ctx := context.Background()
	for branch, want := range map[string]bool{"release/1": true, "feature": false} {
		got, err := e.client.BranchProtected(ctx, branch)
		if err != nil || got != want {
			t.Errorf("BranchProtected(%q) = %v, %v; want %v", branch, got, err, want)
		}
	}
	if _, err := e.client.BranchProtected(ctx, "gone"); !github.IsNotFound(err) {
		t.Errorf("an unknown branch: %v, want not found", err)
	}
	got, err := e.client.DefaultBranch(ctx)
	if err != nil || got != "trunk" {
		t.Errorf("DefaultBranch() = %q, %v; want trunk", got, err)
	}
}
