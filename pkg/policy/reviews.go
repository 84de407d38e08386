package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Review states of a pull request review, as GitHub's REST API spells them.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
	ReviewPending          = "PENDING"
)

// Review is one pull request review, as the pull-request approval mode
// weighs it.
type Review struct {
	ID          int64
	Login       string
	State       string // ReviewApproved, ReviewChangesRequested, …
	CommitID    string // the head commit the reviewer saw
	SubmittedAt time.Time
	URL         string // html_url
}

// ReviewRules are what pull-request mode holds a merged pull request's
// reviews to.
type ReviewRules struct {
	// Author is the pull request's author; their own review never counts.
	Author string
	// HeadSHA is the pull request's final head commit: a review of any
	// other commit is stale.
	HeadSHA string
	// PlanChangedAt is when lockstep's plan comment last changed; at least
	// one counted review must come after it.
	PlanChangedAt time.Time
	// MinApprovals is how many reviews must count (at least 1).
	MinApprovals int
	// Permissions maps a reviewer's login, in lower case, to their
	// repository permission (GitHub's permission field: admin, write,
	// read or none; maintain shows as write). Missing means none.
	Permissions map[string]string
}

// DiscardedReview is an approving review that did not count, and why.
type DiscardedReview struct {
	Review Review
	Why    string
}

// ReviewVerdict is what the reviews prove.
type ReviewVerdict struct {
	// Counted are the approving reviews that count, oldest first.
	Counted []Review
	// Discarded are the reviewers' latest approving reviews that did not,
	// and the approvals that a later review took back.
	Discarded []DiscardedReview
	// SawPlan is whether a counted review came after PlanChangedAt.
	SawPlan bool
}

// OK reports whether the verdict lets the apply through.
func (v ReviewVerdict) OK(min int) bool {
	return len(v.Counted) >= max(min, 1) && v.SawPlan
}

// LatestDecisive returns each reviewer's latest review that decides their
// vote, by login in any case: as on GitHub, a later COMMENTED (or a
// PENDING draft) leaves an earlier APPROVED or CHANGES_REQUESTED standing,
// while a later CHANGES_REQUESTED, or the approval's dismissal (GitHub
// turns the review itself DISMISSED), takes it back. Reviews are taken in
// submission order; the result is ordered by submission too.
func LatestDecisive(reviews []Review) []Review {
	sorted := append([]Review(nil), reviews...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].SubmittedAt.Before(sorted[j].SubmittedAt) })
	latest := map[string]Review{}
	for _, r := range sorted {
		switch r.State {
		case ReviewApproved, ReviewChangesRequested, ReviewDismissed:
			latest[strings.ToLower(r.Login)] = r
		}
	}
	out := make([]Review, 0, len(latest))
	for _, r := range latest {
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].SubmittedAt.Equal(out[j].SubmittedAt) {
			return out[i].SubmittedAt.Before(out[j].SubmittedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Writer reports whether a repository permission (GitHub's permission
// field) may push: admin or write (which maintain and custom roles based
// on write show as).
func Writer(permission string) bool {
	switch strings.ToLower(permission) {
	case "admin", "write", "maintain":
		return true
	}
	return false
}

// WeighReviews decides which of a merged pull request's reviews count as
// approvals under rules. A review counts when it is its reviewer's latest
// decisive one (see LatestDecisive), APPROVED, by someone other than the
// author, with write permission, on the final head commit. The verdict
// says why each other approval did not count.
func WeighReviews(reviews []Review, rules ReviewRules) ReviewVerdict {
	var v ReviewVerdict
	for _, r := range LatestDecisive(reviews) {
		why := ""
		switch {
		case r.State == ReviewDismissed:
			why = "dismissed"
		case r.State == ReviewChangesRequested:
			why = "changes requested after approving"
			if !approvedBefore(reviews, r) {
				continue // never approved: nothing was discarded
			}
		case strings.EqualFold(r.Login, rules.Author):
			why = "the pull request's author"
		case !Writer(rules.Permissions[strings.ToLower(r.Login)]):
			why = fmt.Sprintf("permission %s, not write, maintain or admin", orNone(rules.Permissions[strings.ToLower(r.Login)]))
		case r.CommitID == "" || !strings.EqualFold(r.CommitID, rules.HeadSHA):
			why = fmt.Sprintf("stale: reviewed commit %s, not the final head %s", shortSHA(r.CommitID), shortSHA(rules.HeadSHA))
		}
		if why != "" {
			v.Discarded = append(v.Discarded, DiscardedReview{Review: r, Why: why})
			continue
		}
		v.Counted = append(v.Counted, r)
		if r.SubmittedAt.After(rules.PlanChangedAt) {
			v.SawPlan = true
		}
	}
	if !v.SawPlan {
		for _, r := range v.Counted {
			v.Discarded = append(v.Discarded, DiscardedReview{Review: r,
				Why: fmt.Sprintf("submitted %s, before lockstep's plan comment last changed (%s)", r.SubmittedAt.UTC().Format(time.RFC3339), rules.PlanChangedAt.UTC().Format(time.RFC3339))})
		}
	}
	return v
}

// approvedBefore reports whether r's reviewer approved before r.
func approvedBefore(reviews []Review, r Review) bool {
	for _, o := range reviews {
		if strings.EqualFold(o.Login, r.Login) && o.State == ReviewApproved && o.SubmittedAt.Before(r.SubmittedAt) {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func shortSHA(s string) string {
	if s == "" {
		return "(none)"
	}
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
