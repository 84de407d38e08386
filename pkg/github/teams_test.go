package github_test

import (
	"context"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/github"
)

// A team the token cannot read (403, as for GITHUB_TOKEN) or that does not
// exist (404) is not visible; a readable one is.
func TestTeamVisible(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, func(o *github.Options) { o.Token = "reader" })
	e.srv.AddTeamMember(owner, "sre", "bob")
	for team, want := range map[string]bool{"sre": true, "nobody": false} {
		if got, err := e.client.TeamVisible(ctx, owner, team); err != nil || got != want {
			t.Errorf("TeamVisible(%s) = %v, %v; want %v", team, got, err, want)
		}
	}
	e.srv.RestrictTeamReads("another-token")
	if got, err := e.client.TeamVisible(ctx, owner, "sre"); err != nil || got {
		t.Errorf("restricted: TeamVisible = %v, %v; want false", got, err)
	}
	if _, err := e.client.TeamMember(ctx, owner, "sre", "bob"); github.StatusCode(err) != 403 {
		t.Errorf("restricted: TeamMember err = %v, want 403", err)
	}
}
