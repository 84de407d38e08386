package gate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// TestCheckDestroyLabel is the allow-destroy label rule against the fake
// GitHub: lockstep's plan comment on PR #7 was last changed at t0.
func TestCheckDestroyLabel(t *testing.T) {
	const (
		owner, repo = "octo-org", "shop"
		label       = "lockstep:allow-destroy"
		fp          = "4be1c0d7a1b2c3d4e5f60718293a4b5c4be1c0d7a1b2c3d4e5f60718293a4b5c"
	)
	sha := fakegithub.FakeSHA("merge")
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	after, before := t0.Add(time.Minute), t0.Add(-time.Minute)
	body := comment.Render(&plan.Summary{}, "", comment.Meta{Directory: "infra", Environment: "production", Fingerprint: fp}, comment.Options{Marker: true})
	labelEv := func(actor string, at time.Time) fakegithub.LabelEvent {
		return fakegithub.LabelEvent{Label: label, Actor: actor, At: at}
	}
	unlabelEv := func(actor string, at time.Time) fakegithub.LabelEvent {
		return fakegithub.LabelEvent{Label: label, Actor: actor, At: at, Removed: true}
	}

	tests := []struct {
		name        string
		events      []fakegithub.LabelEvent
		noComment   bool
		forged      bool   // the plan comment is by someone else
		fingerprint string // of the applied plan; "" means fp
		prs         []int  // of the commit; nil means [7]
		fault       string // a path that answers 502
		want        string // the denial; "" means granted
		wantErr     string // a failed read
	}{
		{name: "no label", want: "no pull request of commit " + sha[:7] + " (PR #7) carries it"},
		{name: "label by a writer after the comment", events: []fakegithub.LabelEvent{labelEv("wendy", after)}},
		{name: "label by a maintainer", events: []fakegithub.LabelEvent{labelEv("max", after)}},
		{name: "label by an admin, in another case", events: []fakegithub.LabelEvent{{Label: "Lockstep:Allow-Destroy", Actor: "ada", At: after}}},
		{name: "label by a triage user", events: []fakegithub.LabelEvent{labelEv("trish", after)},
			want: "on PR #7 it was added by trish (at 2026-12-02T10:01:00Z), whose permission is triage; only write, maintain or admin counts: someone with write permission must remove it and add it again"},
		{name: "label by a read-only user", events: []fakegithub.LabelEvent{labelEv("rita", after)},
			want: "on PR #7 it was added by rita (at 2026-12-02T10:01:00Z), whose permission is read; only write, maintain or admin counts: someone with write permission must remove it and add it again"},
		{name: "label by a stranger", events: []fakegithub.LabelEvent{labelEv("mallory", after)},
			want: "on PR #7 it was added by mallory (at 2026-12-02T10:01:00Z), who is not a collaborator of the repository; only write, maintain or admin permission counts"},
		{name: "label by an app", events: []fakegithub.LabelEvent{labelEv("labeler[bot]", after)},
			want: "on PR #7 it was added by an app (labeler[bot], at 2026-12-02T10:01:00Z), not by a person with write permission; a person must add it: remove it and add it again"},
		{name: "label removed after", events: []fakegithub.LabelEvent{labelEv("wendy", after), unlabelEv("wendy", after.Add(time.Minute))},
			want: "no pull request of commit " + sha[:7] + " (PR #7) carries it"},
		{name: "a writer's label removed and added again by a triage user",
			events: []fakegithub.LabelEvent{labelEv("wendy", after), unlabelEv("trish", after.Add(time.Minute)), labelEv("trish", after.Add(2*time.Minute))},
			want:   "on PR #7 it was added by trish (at 2026-12-02T10:03:00Z), whose permission is triage; only write, maintain or admin counts: someone with write permission must remove it and add it again"},
		{name: "label added before the plan comment changed", events: []fakegithub.LabelEvent{labelEv("wendy", before)},
			want: "on PR #7 wendy added it at 2026-12-02T09:59:00Z, not after lockstep's plan comment last changed (2026-12-02T10:00:00Z): a label allows only the plan it was added after; read the plan comment, then remove the label and add it again"},
		{name: "label in the same second as the comment", events: []fakegithub.LabelEvent{labelEv("wendy", t0)},
			want: "on PR #7 wendy added it at 2026-12-02T10:00:00Z, not after lockstep's plan comment last changed (2026-12-02T10:00:00Z): a label allows only the plan it was added after; read the plan comment, then remove the label and add it again"},
		{name: "label added again after the comment changed", events: []fakegithub.LabelEvent{labelEv("wendy", before), unlabelEv("wendy", before.Add(time.Second)), labelEv("wendy", after)}},
		{name: "no plan comment", noComment: true, events: []fakegithub.LabelEvent{labelEv("wendy", after)},
			want: "PR #7 has no plan comment by lockstep for infra (environment production), so nobody can tell which plan the label was added for"},
		{name: "only a forged plan comment", forged: true, events: []fakegithub.LabelEvent{labelEv("wendy", after)},
			want: "PR #7 has no plan comment by lockstep for infra (environment production), so nobody can tell which plan the label was added for"},
		{name: "another plan than the one labelled", fingerprint: strings.Repeat("ab", 32), events: []fakegithub.LabelEvent{labelEv("wendy", after)},
			want: "the plan being applied (fingerprint abababababababab) is not the one in lockstep's plan comment on PR #7 (4be1c0d7a1b2c3d4) that wendy labelled: the label allows only that plan"},
		{name: "commit of no pull request", prs: []int{}, want: "commit " + sha[:7] + " belongs to no pull request, so there is no label to check"},
		{name: "another pull request of the commit carries a valid label", prs: []int{9, 7}, events: []fakegithub.LabelEvent{labelEv("wendy", after)}},
		{name: "timeline unreadable", fault: "/repos/octo-org/shop/issues/7/timeline", events: []fakegithub.LabelEvent{labelEv("wendy", after)},
			wantErr: "listing the timeline of PR #7 (page 1)"},
		{name: "permission unreadable", fault: "/repos/octo-org/shop/collaborators/wendy/permission", events: []fakegithub.LabelEvent{labelEv("wendy", after)},
			wantErr: "reading the repository permission of wendy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			gh := fakegithub.New(t, fakegithub.WithClock(func() time.Time { return now }))
			for login, role := range map[string]string{"wendy": "write", "max": "maintain", "ada": "admin", "trish": "triage", "rita": "read", "labeler[bot]": "write"} {
				gh.SetPermission(owner, repo, login, role)
			}
			gh.PutPullRequest(owner, repo, fakegithub.PullRequest{Number: 7, Merged: true})
			prs := tt.prs
			if prs == nil {
				prs = []int{7}
			}
			gh.AddCommitPulls(owner, repo, sha, prs...)
			switch {
			case tt.forged:
				gh.AddComment(owner, repo, 7, "mallory", body)
			case !tt.noComment:
				gh.AddComment(owner, repo, 7, "", body)
			}
			for _, ev := range tt.events {
				gh.AddLabelEvent(owner, repo, 7, ev)
			}
			if tt.fault != "" {
				gh.Fail(fakegithub.Fault{Path: tt.fault, Kind: fakegithub.FaultBadGateway, Times: -1})
			}
			client, err := github.New(github.Options{
				Owner: owner, Repo: repo, APIURL: gh.APIURL(), HTTPClient: gh.Client(),
				CommentAuthor: fakegithub.DefaultUser, MaxRetries: -1,
				Sleep: func(context.Context, time.Duration) error { return nil },
			})
			require.NoError(t, err)
			fingerprint := tt.fingerprint
			if fingerprint == "" {
				fingerprint = fp
			}

			g, err := checkDestroyLabel(context.Background(), client, labelRequest{Commit: sha, Dir: "infra", Env: "production", Fingerprint: fingerprint})
			var denied *labelDenied
			switch {
			case tt.wantErr != "":
				require.Error(t, err)
				assert.False(t, errors.As(err, &denied), "a failed read is not a denial: %v", err)
				assert.Contains(t, err.Error(), tt.wantErr)
			case tt.want != "":
				require.True(t, errors.As(err, &denied), "want a denial, got %v", err)
				assert.Equal(t, tt.want, denied.why)
			default:
				require.NoError(t, err)
				assert.Equal(t, 7, g.PR)
				assert.Equal(t, after, g.At.UTC())
			}
		})
	}
}
