package github_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestLastLabelEvent(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	// Over two pages, with other labels and comments in between.
	for i := range 120 {
		e.srv.AddLabelEvent(owner, repo, 7, fakegithub.LabelEvent{Label: "noise", Actor: "x", At: t0.Add(time.Duration(i) * time.Second)})
	}
	e.srv.AddLabelEvent(owner, repo, 7, fakegithub.LabelEvent{Label: "lockstep:allow-destroy", Actor: "alice", At: t0.Add(5 * time.Minute)})
	e.srv.AddLabelEvent(owner, repo, 7, fakegithub.LabelEvent{Label: "lockstep:allow-destroy", Actor: "bob", Removed: true, At: t0.Add(6 * time.Minute)})
	e.srv.AddLabelEvent(owner, repo, 7, fakegithub.LabelEvent{Label: "LOCKSTEP:allow-destroy", Actor: "dependabot[bot]", At: t0.Add(7 * time.Minute)})

	got, err := e.client.LastLabelEvent(ctx, 7, "lockstep:allow-destroy")
	require.NoError(t, err)
	assert.Equal(t, &github.LabelEvent{Labeled: true, Actor: "dependabot[bot]", ActorType: "Bot", CreatedAt: t0.Add(7 * time.Minute)}, got)

	none, err := e.client.LastLabelEvent(ctx, 7, "other")
	require.NoError(t, err)
	assert.Nil(t, none)

	labels, err := e.client.IssueLabels(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, []string{"noise", "LOCKSTEP:allow-destroy"}, labels)
}

func TestCollaboratorPermission(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	tests := []struct {
		role      string
		want      github.Permission
		wantWrite bool
	}{
		{"admin", github.Permission{Level: "admin", Role: "admin"}, true},
		{"maintain", github.Permission{Level: "write", Role: "maintain"}, true},
		{"write", github.Permission{Level: "write", Role: "write"}, true},
		{"triage", github.Permission{Level: "read", Role: "triage"}, false},
		{"read", github.Permission{Level: "read", Role: "read"}, false},
	}
	for _, tt := range tests {
		e.srv.SetPermission(owner, repo, "u-"+tt.role, tt.role)
		got, err := e.client.CollaboratorPermission(ctx, "u-"+tt.role)
		require.NoError(t, err, tt.role)
		assert.Equal(t, tt.want, got, tt.role)
		assert.Equal(t, tt.wantWrite, got.CanWrite(), tt.role)
	}
	_, err := e.client.CollaboratorPermission(ctx, "stranger")
	assert.True(t, github.IsNotFound(err), "%v", err)
}

func TestFindCommentUpdatedAt(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	e.srv.AddPullRequest(owner, repo, 3, fakegithub.FakeSHA("head"))
	_, _, err := e.client.UpsertComment(ctx, 3, marker, "first")
	require.NoError(t, err)
	c, err := e.client.FindComment(ctx, 3, marker)
	require.NoError(t, err)
	require.NotNil(t, c)
	assert.Equal(t, e.clk.Now().Truncate(time.Second), c.UpdatedAt.UTC())
}
