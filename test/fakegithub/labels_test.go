package fakegithub_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestLabelsAndTimeline(t *testing.T) {
	s := fakegithub.New(t)
	c := newClient(t, s, "")
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.AddLabelEvent("o", "r", 7, fakegithub.LabelEvent{Label: "lockstep:allow-destroy", Actor: "alice", At: t0})
	s.AddComment("o", "r", 7, "bob", "looks fine")
	s.AddLabelEvent("o", "r", 7, fakegithub.LabelEvent{Label: "Lockstep:Allow-Destroy", Actor: "carol", Removed: true, At: t0.Add(time.Minute)})
	s.AddLabelEvent("o", "r", 7, fakegithub.LabelEvent{Label: "bug", Actor: "renovate[bot]", At: t0.Add(2 * time.Minute)})

	labels, _, err := c.Issues.ListLabelsByIssue(ctx, "o", "r", 7, nil)
	require.NoError(t, err)
	require.Len(t, labels, 1, "the removal matches the label in any case")
	assert.Equal(t, "bug", labels[0].GetName())

	events, _, err := c.Issues.ListIssueTimeline(ctx, "o", "r", 7, nil)
	require.NoError(t, err)
	var got []string
	for _, e := range events {
		got = append(got, e.GetEvent()+" "+e.GetLabel().GetName()+" by "+e.GetActor().GetLogin()+" ("+e.GetActor().GetType()+") at "+e.GetCreatedAt().UTC().Format(time.TimeOnly))
	}
	now := s.Comments("o", "r", 7)[0].CreatedAt.UTC().Format(time.TimeOnly)
	assert.Equal(t, []string{
		"labeled lockstep:allow-destroy by alice (User) at 10:00:00",
		"unlabeled Lockstep:Allow-Destroy by carol (User) at 10:01:00",
		"labeled bug by renovate[bot] (Bot) at 10:02:00",
		"commented  by bob (User) at " + now,
	}, got, "oldest first; the comment was made now, after the seeded times")
}

func TestGetPermission(t *testing.T) {
	s := fakegithub.New(t)
	c := newClient(t, s, "")
	ctx := context.Background()
	for login, want := range map[string][2]string{
		"ada": {"admin", "admin"}, "max": {"write", "maintain"}, "wes": {"write", "write"},
		"tri": {"read", "triage"}, "rea": {"read", "read"},
	} {
		s.SetPermission("o", "r", login, want[1])
		p, _, err := c.Repositories.GetPermissionLevel(ctx, "o", "r", login)
		require.NoError(t, err)
		assert.Equal(t, want[0], p.GetPermission(), login)
		assert.Equal(t, login, p.GetUser().GetLogin())
	}
	_, resp, err := c.Repositories.GetPermissionLevel(ctx, "o", "r", "stranger")
	require.Error(t, err)
	assert.Equal(t, 404, resp.StatusCode)
}
