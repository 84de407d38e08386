package github_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestEnvironment(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetEnvironment(owner, repo, "prod/eu", "alice", "bob")
	e.srv.PutEnvironment(owner, repo, fakegithub.Environment{
		Name: "staging", WaitTimer: 10, PreventSelfReview: true,
		Reviewers: []fakegithub.Reviewer{{Type: "Team", Login: "sre"}},
	})
	e.srv.SetEnvironment(owner, repo, "dev")
	ctx := context.Background()

	for _, tc := range []struct {
		name string
		want github.Environment
	}{
		{"prod/eu", github.Environment{Name: "prod/eu", Exists: true, RequiredReviewers: 2, CanAdminsBypass: true}},
		{"staging", github.Environment{Name: "staging", Exists: true, RequiredReviewers: 1, PreventSelfReview: true}},
		{"dev", github.Environment{Name: "dev", Exists: true, CanAdminsBypass: true}},
		{"nope", github.Environment{Name: "nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.client.Environment(ctx, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
	if n := e.srv.Count("GET", "/repos/"+owner+"/"+repo+"/environments/prod%2Feu"); n != 1 {
		t.Errorf("the name was not path-escaped: %+v", e.srv.Requests())
	}
}

func TestEnvironmentPermissionIsAnError(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetEnvironment(owner, repo, "production", "alice")
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/{o}/{r}/environments/{name}", Kind: fakegithub.FaultStatus, Status: http.StatusForbidden})
	env, err := e.client.Environment(context.Background(), "production")
	if !github.IsPermission(err) || env != nil {
		t.Fatalf("got %+v, %v; want a permission error so callers fail closed", env, err)
	}
}
