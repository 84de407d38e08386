package github

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v60/github"
)

// maxPullFiles is how many files GitHub lists for one pull request.
const maxPullFiles = 3000

// PullRequestsForCommit returns the numbers of the pull requests associated
// with commit sha (those whose branch contains it, or that merged it), open
// ones first, each in GitHub's order.
func (c *Client) PullRequestsForCommit(ctx context.Context, sha string) ([]int, error) {
	prs, err := c.PullRequestsWithCommit(ctx, sha)
	if err != nil {
		return nil, err
	}
	var open, other []int
	for _, pr := range prs {
		if pr.State == "open" {
			open = append(open, pr.Number)
		} else {
			other = append(other, pr.Number)
		}
	}
	return append(open, other...), nil
}

// PullRequestFiles returns the paths pull request pr changes, in GitHub's
// order, with a renamed file's previous path right after its new one, each
// path once. GitHub lists at most 3,000 files; when the pull request has
// more, the listed paths come back with an error wrapping
// [ErrFilesTruncated], so a caller deciding what changed can choose to
// assume everything did.
func (c *Client) PullRequestFiles(ctx context.Context, pr int) ([]string, error) {
	var paths []string
	listed := 0
	opts := &gogithub.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		var list []*gogithub.CommitFile
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing files of PR #%d (page %d)", pr, page), idempotent,
			func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
				var err error
				list, resp, err = gh.PullRequests.ListFiles(ctx, c.owner, c.repo, pr, opts)
				return resp, err
			})
		if err != nil {
			return nil, err
		}
		listed += len(list)
		for _, f := range list {
			for _, p := range []string{f.GetFilename(), f.GetPreviousFilename()} {
				if p != "" {
					paths = append(paths, p)
				}
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	paths = dedupe(paths)

	if listed >= maxPullFiles {
		var p *gogithub.PullRequest
		err := c.do(ctx, fmt.Sprintf("getting PR #%d", pr), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var resp *gogithub.Response
			var err error
			p, resp, err = gh.PullRequests.Get(ctx, c.owner, c.repo, pr)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		if total := p.GetChangedFiles(); total > listed {
			return paths, fmt.Errorf("listing files of PR #%d: %d of %d files listed: %w", pr, listed, total, ErrFilesTruncated)
		}
	}
	return paths, nil
}

func dedupe(paths []string) []string {
	seen := make(map[string]bool, len(paths))
	out := paths[:0]
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
