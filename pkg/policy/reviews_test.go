package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWeighReviews(t *testing.T) {
	const head = "1111111111111111111111111111111111111111"
	const old = "2222222222222222222222222222222222222222"
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	rules := ReviewRules{
		Author:        "alice",
		HeadSHA:       head,
		PlanChangedAt: at(0),
		MinApprovals:  1,
		Permissions:   map[string]string{"alice": "admin", "bob": "write", "carol": "admin", "mallory": "read", "dave": "write"},
	}
	approve := func(id int64, login string, min int) Review {
		return Review{ID: id, Login: login, State: ReviewApproved, CommitID: head, SubmittedAt: at(min)}
	}
	withState := func(r Review, state string) Review { r.State = state; return r }
	withCommit := func(r Review, sha string) Review { r.CommitID = sha; return r }

	type discarded struct{ login, why string }
	tests := []struct {
		name          string
		reviews       []Review
		min           int
		wantCounted   []string
		wantDiscarded []discarded
		wantOK        bool
	}{
		{
			name:        "one writer approves the final commit after the plan",
			reviews:     []Review{approve(1, "bob", 5)},
			wantCounted: []string{"bob"},
			wantOK:      true,
		},
		{
			name:          "the author's own review",
			reviews:       []Review{approve(1, "Alice", 5)},
			wantDiscarded: []discarded{{"Alice", "the pull request's author"}},
		},
		{
			name:          "a stale commit",
			reviews:       []Review{withCommit(approve(1, "bob", 5), old)},
			wantDiscarded: []discarded{{"bob", "stale: reviewed commit 2222222, not the final head 1111111"}},
		},
		{
			name:          "a read-only reviewer (a second account of the author)",
			reviews:       []Review{approve(1, "mallory", 5)},
			wantDiscarded: []discarded{{"mallory", "permission read, not write, maintain or admin"}},
		},
		{
			name:          "a reviewer without any permission",
			reviews:       []Review{approve(1, "eve", 5)},
			wantDiscarded: []discarded{{"eve", "permission none, not write, maintain or admin"}},
		},
		{
			name:          "a dismissed review",
			reviews:       []Review{withState(approve(1, "bob", 5), ReviewDismissed)},
			wantDiscarded: []discarded{{"bob", "dismissed"}},
		},
		{
			name:          "changes requested after approval",
			reviews:       []Review{approve(1, "bob", 5), withState(approve(2, "bob", 6), ReviewChangesRequested)},
			wantDiscarded: []discarded{{"bob", "changes requested after approving"}},
		},
		{
			name:        "a comment after approval leaves it standing",
			reviews:     []Review{approve(1, "bob", 5), withState(approve(2, "bob", 6), ReviewCommented)},
			wantCounted: []string{"bob"},
			wantOK:      true,
		},
		{
			name:        "approval after changes requested counts",
			reviews:     []Review{withState(approve(1, "bob", 5), ReviewChangesRequested), approve(2, "bob", 6)},
			wantCounted: []string{"bob"},
			wantOK:      true,
		},
		{
			name:          "approval before the plan comment changed",
			reviews:       []Review{approve(1, "bob", -5)},
			wantCounted:   []string{"bob"},
			wantDiscarded: []discarded{{"bob", "submitted 2026-12-02T09:55:00Z, before lockstep's plan comment last changed (2026-12-02T10:00:00Z)"}},
		},
		{
			name:        "one of two approvals after the plan is enough",
			reviews:     []Review{approve(1, "bob", -5), approve(2, "carol", 5)},
			min:         2,
			wantCounted: []string{"bob", "carol"},
			wantOK:      true,
		},
		{
			name:          "min-approvals 2 with one writer and one read-only",
			reviews:       []Review{approve(1, "bob", 5), approve(2, "mallory", 6)},
			min:           2,
			wantCounted:   []string{"bob"},
			wantDiscarded: []discarded{{"mallory", "permission read, not write, maintain or admin"}},
		},
		{
			name:        "min-approvals 2: the same reviewer twice counts once",
			reviews:     []Review{approve(1, "bob", 5), approve(2, "BOB", 6)},
			min:         2,
			wantCounted: []string{"BOB"},
		},
		{
			name:        "min-approvals 2 met",
			reviews:     []Review{approve(1, "bob", 5), approve(2, "dave", 6)},
			min:         2,
			wantCounted: []string{"bob", "dave"},
			wantOK:      true,
		},
		{
			name:    "a pending draft and comments only",
			reviews: []Review{withState(approve(1, "bob", 5), ReviewPending), withState(approve(2, "dave", 6), ReviewCommented)},
		},
		{
			name:    "changes requested without an approval is not a discarded approval",
			reviews: []Review{withState(approve(1, "bob", 5), ReviewChangesRequested)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rules
			r.MinApprovals = max(tt.min, 1)
			v := WeighReviews(tt.reviews, r)
			var counted []string
			for _, c := range v.Counted {
				counted = append(counted, c.Login)
			}
			var disc []discarded
			for _, d := range v.Discarded {
				disc = append(disc, discarded{d.Review.Login, d.Why})
			}
			assert.Equal(t, tt.wantCounted, counted)
			assert.Equal(t, tt.wantDiscarded, disc)
			assert.Equal(t, tt.wantOK, v.OK(r.MinApprovals))
		})
	}
}

func TestWriter(t *testing.T) {
	for perm, want := range map[string]bool{"admin": true, "write": true, "maintain": true, "triage": false, "read": false, "none": false, "": false} {
		assert.Equal(t, want, Writer(perm), perm)
	}
}
