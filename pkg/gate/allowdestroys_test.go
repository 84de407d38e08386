package gate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// TestAllowDestroys is the destroy guard's label hook: a grant lets the
// apply go on and says who allowed it; a denial or a failed read refuses
// the plan's deletes (destroy-not-allowed) and says why the label did not
// count, never allowing them.
func TestAllowDestroys(t *testing.T) {
	const fp = "4be1c0d7a1b2c3d4e5f60718293a4b5c4be1c0d7a1b2c3d4e5f60718293a4b5c"
	body := comment.Render(&plan.Summary{}, "", comment.Meta{Directory: "infra", Environment: "production", Fingerprint: fp}, comment.Options{Marker: true})
	labelled := func() *fakeGitHub {
		return &fakeGitHub{
			pulls:        map[string][]github.PullRequest{"merge7": {mergedPR(7)}},
			labels:       map[int][]string{7: {"bug", policy.AllowDestroyLabel}},
			labelEvents:  map[int]*github.LabelEvent{7: {Labeled: true, Actor: "wendy", ActorType: "User", CreatedAt: planAt.Add(time.Minute)}},
			collaborator: map[string]github.Permission{"wendy": {Level: "write", Role: "write"}},
			comments:     map[int]*github.Comment{7: {Body: body, UpdatedAt: planAt}},
		}
	}
	tests := []struct {
		name        string
		change      func(g *Gate, gh *fakeGitHub)
		fingerprint string // of the applied plan; "" means fp
		wantLabel   string // "" means allowed
	}{
		{name: "a writer's label after the plan comment"},
		{name: "no label", wantLabel: "no pull request of commit merge7 (PR #7) carries it",
			change: func(_ *Gate, gh *fakeGitHub) { gh.labels[7] = []string{"bug"} }},
		{name: "a stranger's label", wantLabel: "on PR #7 it was added by wendy (at 2026-12-02T10:01:00Z), who is not a collaborator of the repository",
			change: func(_ *Gate, gh *fakeGitHub) { gh.collaborator = nil }},
		{name: "an app's label", wantLabel: "on PR #7 it was added by an app (wendy, at 2026-12-02T10:01:00Z)",
			change: func(_ *Gate, gh *fakeGitHub) { gh.labelEvents[7].ViaApp = "labeler" }},
		{name: "a bot account's label", wantLabel: "not by a person with write permission",
			change: func(_ *Gate, gh *fakeGitHub) { gh.labelEvents[7].ActorType = "Bot" }},
		{name: "a label undone", wantLabel: "PR #7 carries it but its timeline shows no labeled event for it that was not undone",
			change: func(_ *Gate, gh *fakeGitHub) { gh.labelEvents[7].Labeled = false }},
		{name: "a label GitHub shows no event for", wantLabel: "PR #7 carries it but its timeline shows no labeled event",
			change: func(_ *Gate, gh *fakeGitHub) { gh.labelEvents = nil }},
		{name: "a label of another plan", fingerprint: "abababababababab" + fp[16:],
			wantLabel: "the plan being applied (fingerprint abababababababab) is not the one in lockstep's plan comment on PR #7 (4be1c0d7a1b2c3d4) that wendy labelled"},
		{name: "a plan comment without a fingerprint", wantLabel: "is not the one in lockstep's plan comment on PR #7 ((none))",
			change: func(_ *Gate, gh *fakeGitHub) { gh.comments[7].Body = comment.Marker("infra", "production") }},
		{name: "the labels unreadable", wantLabel: "lockstep could not check it, so it does not count (the apply job needs the permission pull-requests: read): 502",
			change: func(_ *Gate, gh *fakeGitHub) { gh.err = map[string]error{"IssueLabels": errors.New("502")} }},
		{name: "a permission unreadable", wantLabel: "lockstep could not check it, so it does not count",
			change: func(_ *Gate, gh *fakeGitHub) { gh.err = map[string]error{"CollaboratorPermission": errors.New("502")} }},
		{name: "no client", wantLabel: "lockstep could not check it, so it does not count (the apply job needs the permission pull-requests: read): no token",
			change: func(g *Gate, _ *fakeGitHub) { g.GitHub = func() (GitHub, error) { return nil, errors.New("no token") } }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := labelled()
			g, log := fakeGate(gh)
			if tt.change != nil {
				tt.change(g, gh)
			}
			fingerprint := tt.fingerprint
			if fingerprint == "" {
				fingerprint = fp
			}
			refused := &policy.DestroyRefusedError{Environment: "production", Resources: []string{"aws_db_instance.main"}}
			err := g.AllowDestroys(context.Background(), "infra", fingerprint, refused)
			if tt.wantLabel == "" {
				require.NoError(t, err)
				assert.Contains(t, log.String(), "Deletes and replaces allowed by the label lockstep:allow-destroy on PR #7, added by wendy (write) at 2026-12-02T10:01:00Z")
				return
			}
			require.Equal(t, "destroy-not-allowed", refusalReason(t, err))
			var r *Refusal
			require.True(t, errors.As(err, &r))
			assert.Same(t, refused, r.Err, "the refusal is the destroy guard's own, with the label's reason")
			assert.Contains(t, refused.Label, tt.wantLabel)
			assert.Empty(t, log.String(), "nothing says the deletes were allowed")
		})
	}
}
