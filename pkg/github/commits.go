package github

import (
	"context"
	"errors"
	"fmt"

	gogithub "github.com/google/go-github/v60/github"
)

// ErrTooManyCommits is wrapped by [Client.CommitsBetween] when the range
// holds more commits than the caller asked to list.
var ErrTooManyCommits = errors.New("too many commits")

// ErrNotAhead is wrapped by [Client.CommitsBetween] when head does not
// descend from base: GitHub's compare status is behind or diverged, as
// after a force push.
var ErrNotAhead = errors.New("head does not descend from base")

// CommitsBetween returns the SHAs of the commits reachable from head and not
// from base (GET /repos/{o}/{r}/compare/{base}...{head}), in GitHub's order
// (oldest first), reading every page. More than limit commits is an error
// wrapping [ErrTooManyCommits], so a caller that must look at each one can
// refuse instead of reading without end; a head that does not descend from
// base is an error wrapping [ErrNotAhead].
func (c *Client) CommitsBetween(ctx context.Context, base, head string, limit int) ([]string, error) {
	var out []string
	opts := &gogithub.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		var cmp *gogithub.CommitsComparison
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("comparing commits %s...%s (page %d)", short(base), short(head), page), idempotent,
			func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
				var err error
				cmp, resp, err = gh.Repositories.CompareCommits(ctx, c.owner, c.repo, base, head, opts)
				return resp, err
			})
		if err != nil {
			return nil, err
		}
		if st := cmp.GetStatus(); st != "ahead" && st != "identical" {
			return nil, fmt.Errorf("comparing commits %s...%s: status %s: %w", short(base), short(head), st, ErrNotAhead)
		}
		if total := cmp.GetTotalCommits(); total > limit {
			return nil, fmt.Errorf("comparing commits %s...%s: %d commits, more than %d: %w", short(base), short(head), total, limit, ErrTooManyCommits)
		}
		for _, cm := range cmp.Commits {
			out = append(out, cm.GetSHA())
		}
		if len(out) > limit {
			return nil, fmt.Errorf("comparing commits %s...%s: more than %d commits: %w", short(base), short(head), limit, ErrTooManyCommits)
		}
		if resp.NextPage == 0 || len(cmp.Commits) == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// PullRequestCommits returns the SHAs of pull request n's commits, oldest
// first (GitHub lists at most 250).
func (c *Client) PullRequestCommits(ctx context.Context, n int) ([]string, error) {
	var out []string
	opts := &gogithub.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		var list []*gogithub.RepositoryCommit
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing commits of PR #%d (page %d)", n, page), idempotent,
			func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
				var err error
				list, resp, err = gh.PullRequests.ListCommits(ctx, c.owner, c.repo, n, opts)
				return resp, err
			})
		if err != nil {
			return nil, err
		}
		for _, cm := range list {
			out = append(out, cm.GetSHA())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
