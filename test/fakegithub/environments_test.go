package fakegithub_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestEnvironment(t *testing.T) {
	s := fakegithub.New(t)
	s.SetEnvironment("o", "r", "prod/eu", "alice", "bob")
	s.PutEnvironment("o", "r", fakegithub.Environment{
		Name: "staging", WaitTimer: 5,
		Reviewers: []fakegithub.Reviewer{{Type: "Team", Login: "sre"}},
	})
	s.SetEnvironment("o", "r", "dev")
	c := newClient(t, s, "")
	ctx := context.Background()

	// v60 does not escape the name: callers pass url.PathEscape(name).
	env, _, err := c.Repositories.GetEnvironment(ctx, "o", "r", url.PathEscape("prod/eu"))
	if err != nil {
		t.Fatal(err)
	}
	if env.GetName() != "prod/eu" || !env.GetCanAdminsBypass() || len(env.ProtectionRules) != 1 {
		t.Fatalf("env: %+v", env)
	}
	rule := env.ProtectionRules[0]
	if rule.GetType() != "required_reviewers" || len(rule.Reviewers) != 2 {
		t.Fatalf("rule: %+v", rule)
	}
	if u, ok := rule.Reviewers[0].Reviewer.(*gogithub.User); !ok || u.GetLogin() != "alice" {
		t.Errorf("reviewer: %#v", rule.Reviewers[0].Reviewer)
	}

	env, _, err = c.Repositories.GetEnvironment(ctx, "o", "r", "staging")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range env.ProtectionRules {
		types = append(types, r.GetType())
	}
	if len(types) != 2 || types[0] != "wait_timer" || types[1] != "required_reviewers" {
		t.Errorf("rules: %v", types)
	}
	if team, ok := env.ProtectionRules[1].Reviewers[0].Reviewer.(*gogithub.Team); !ok || team.GetSlug() != "sre" {
		t.Errorf("team reviewer: %#v", env.ProtectionRules[1].Reviewers[0].Reviewer)
	}

	env, _, err = c.Repositories.GetEnvironment(ctx, "o", "r", "dev")
	if err != nil || len(env.ProtectionRules) != 0 {
		t.Errorf("dev: %+v %v", env, err)
	}
	if _, _, err := c.Repositories.GetEnvironment(ctx, "o", "r", "nope"); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown: %v", err)
	}
}
