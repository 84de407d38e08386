package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/github"
)

// commentPRs decides which pull requests get the comment: the event's pull
// request (comment: auto or always), or on a push the pull requests the
// commit belongs to (comment: always). Errors are returned for the caller to
// turn into a warning: a comment is never worth failing a plan for.
func (a *app) commentPRs(ctx context.Context, gh *github.Client, onPush bool) ([]int, error) {
	switch {
	case a.cfg.Comment == config.Never:
		return nil, nil
	case a.gh.IsPullRequest() && a.gh.PullRequest > 0:
		return []int{a.gh.PullRequest}, nil
	case (onPush || a.cfg.Comment == config.Always) && a.gh.SHA != "":
		return gh.PullRequestsForCommit(ctx, a.gh.SHA)
	}
	return nil, nil
}

// wantsComment reports whether this run posts comments at all. onPush is
// set for reports that belong on the pull request a pushed commit came from
// (the apply result), whatever the comment input's auto says.
func (a *app) wantsComment(onPush bool) bool {
	if a.local != nil || a.cfg.Comment == config.Never {
		return false
	}
	return a.gh.IsPullRequest() || onPush || a.cfg.Comment == config.Always
}

// upsertComments puts body (whose first line is marker) on each pull request
// of this run, editing lockstep's earlier comment in place. It never fails
// the command: without permission (a fork's read-only token) or when GitHub
// keeps failing, a warning says why and the job summary still has
// everything. It returns the first comment's URL.
func (a *app) upsertComments(ctx context.Context, marker, body string, onPush bool) string {
	if a.local != nil {
		if a.local.commentFile != "" {
			if err := os.WriteFile(a.local.commentFile, []byte(a.r.Masker().RedactRendered(body)), 0o644); err != nil {
				a.r.Warnf("writing --comment-file: %v", err)
			}
		}
		return ""
	}
	if !a.wantsComment(onPush) {
		return ""
	}
	gh, err := a.github()
	if err != nil {
		a.r.Warnf("No PR comment was posted: %v. The job summary has the full plan.", err)
		return ""
	}
	prs, err := a.commentPRs(ctx, gh, onPush)
	if err != nil {
		a.r.Warnf("No PR comment was posted: finding the pull requests of commit %s: %v. The job summary has the full plan.", short(a.gh.SHA), err)
		return ""
	}
	body = a.r.Masker().RedactRendered(body)
	var first string
	for _, pr := range prs {
		c, res, err := gh.UpsertComment(ctx, pr, marker, body)
		switch {
		case err != nil && github.IsPermission(err):
			a.r.Warnf("No comment on PR #%d: the token may not write pull request comments (pull requests from forks get a read-only token; the workflow needs `pull-requests: write`). The job summary has the full plan.", pr)
			continue
		case err != nil:
			a.r.Warnf("No comment on PR #%d: GitHub kept failing: %v. The job summary has the full plan.", pr, err)
			continue
		}
		a.r.Printf("PR #%d comment %s: %s", pr, res, c.URL)
		if first == "" {
			first = c.URL
		}
	}
	return first
}

// applyMarker identifies the apply-result comment of a directory and
// environment, beside the plan comment.
func applyMarker(dir, env string) string {
	return strings.Replace(comment.Marker(dir, env), "lockstep:plan", "lockstep:apply", 1)
}

// planCommentMarker is the marker of the plan comment this run writes. On a
// pull request it is the comment reviewers read, comment.Marker. A push's
// plan (comment: always) goes to a comment of its own beside it, marked
// lockstep:push-plan: the reviewed comment must stay what reviewers saw,
// because the push plan's "same change as reviewed" note compares with its
// fingerprint, and pull-request approvals and the allow-destroy label count
// only when given after it last changed.
func (a *app) planCommentMarker(dir string) string {
	m := comment.Marker(dir, a.cfg.Environment)
	if a.local != nil || a.gh.IsPullRequest() {
		return m // locally, --comment-file previews the pull request's comment
	}
	return strings.Replace(m, "lockstep:plan", "lockstep:push-plan", 1)
}

// withMarkerLine makes marker the first line of a rendered comment body,
// replacing the plan marker the renderer put there.
func withMarkerLine(body, marker string) string {
	first, rest, _ := strings.Cut(body, "\n")
	if strings.HasPrefix(first, "<!-- lockstep:plan ") {
		return marker + "\n" + rest
	}
	return marker + "\n" + body
}

// reviewedFingerprint finds, on a push, the fingerprint that reviewers saw in
// lockstep's own plan comment on the pull request this commit came from
// (FindComment ignores comments by anyone else). ok is false when there is
// no such comment; fp is "" when the comment carries no well-formed full
// fingerprint (one posted by an older lockstep shows only a prefix).
func (a *app) reviewedFingerprint(ctx context.Context, dir string) (fp string, pr int, ok bool) {
	if a.local != nil || a.gh.IsPullRequest() || a.gh.SHA == "" || a.cfg.GitHubToken == "" {
		return "", 0, false
	}
	gh, err := a.github()
	if err != nil {
		return "", 0, false
	}
	prs, err := gh.PullRequestsForCommit(ctx, a.gh.SHA)
	if err != nil || len(prs) == 0 {
		return "", 0, false
	}
	c, err := gh.FindComment(ctx, prs[0], comment.Marker(dir, a.cfg.Environment))
	if err != nil {
		a.r.Warnf("Cannot compare this plan with the one reviewed on PR #%d: finding lockstep's plan comment: %v", prs[0], err)
		return "", prs[0], false
	}
	if c == nil {
		return "", prs[0], false
	}
	fp, _ = comment.ParseFingerprint(c.Body)
	return fp, prs[0], true
}

// fingerprintNote tells approvers whether this plan is the change reviewers
// saw on the pull request. Only full equality is "the same"; an empty
// fingerprint on either side cannot be compared.
func fingerprintNote(current, reviewed string, pr int) string {
	switch {
	case current == "":
		return fmt.Sprintf("❔ **Cannot compare with the change reviewers saw** on PR #%d: this plan has no fingerprint. Read the plan below before approving.", pr)
	case reviewed == "":
		return fmt.Sprintf("❔ **Cannot compare with the change reviewers saw:** lockstep's plan comment on PR #%d carries no full fingerprint. Read the plan below before approving.", pr)
	}
	if current == reviewed {
		return fmt.Sprintf("✅ **Same change as reviewed:** this plan's fingerprint `%s` matches the plan reviewers saw on PR #%d.", short16(current), pr)
	}
	return fmt.Sprintf("⚠️ **Not the change reviewers saw:** this plan's fingerprint `%s` differs from `%s` on PR #%d (the target branch moved, or the infrastructure drifted since). Read the plan below before approving.", short16(current), short16(reviewed), pr)
}
