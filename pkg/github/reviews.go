package github

import (
	"context"
	"fmt"
	"net/url"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// PullRequest is what the pull-request approval mode needs to know about a
// pull request.
type PullRequest struct {
	Number int
	URL    string // html_url
	State  string // open or closed
	// Author is the login of the pull request's user.
	Author string
	// HeadSHA is the head commit: after merge, the final one reviewed.
	HeadSHA string
	// MergedAt is zero when the pull request was not merged.
	MergedAt time.Time
	// MergeCommitSHA is the commit the merge made on the base branch (for
	// a squash or rebase merge, the new commit).
	MergeCommitSHA string
}

func toPullRequest(pr *gogithub.PullRequest) PullRequest {
	return PullRequest{
		Number:         pr.GetNumber(),
		URL:            pr.GetHTMLURL(),
		State:          pr.GetState(),
		Author:         pr.GetUser().GetLogin(),
		HeadSHA:        pr.GetHead().GetSHA(),
		MergedAt:       pr.GetMergedAt().Time,
		MergeCommitSHA: pr.GetMergeCommitSHA(),
	}
}

// PullRequestsWithCommit returns the pull requests associated with commit
// sha (GET /repos/{o}/{r}/commits/{sha}/pulls: those whose branch contains
// it, and the one whose squash, rebase or merge made it), each once, in
// GitHub's order.
func (c *Client) PullRequestsWithCommit(ctx context.Context, sha string) ([]PullRequest, error) {
	var out []PullRequest
	seen := map[int]bool{}
	opts := &gogithub.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		var list []*gogithub.PullRequest
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing pull requests for commit %s (page %d)", sha, page), idempotent,
			func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
				var err error
				list, resp, err = gh.PullRequests.ListPullRequestsWithCommit(ctx, c.owner, c.repo, sha, opts)
				return resp, err
			})
		if err != nil {
			return nil, err
		}
		for _, pr := range list {
			if !seen[pr.GetNumber()] {
				seen[pr.GetNumber()] = true
				out = append(out, toPullRequest(pr))
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// GetPullRequest fetches pull request n.
func (c *Client) GetPullRequest(ctx context.Context, n int) (PullRequest, error) {
	var p *gogithub.PullRequest
	err := c.do(ctx, fmt.Sprintf("getting PR #%d", n), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		var resp *gogithub.Response
		var err error
		p, resp, err = gh.PullRequests.Get(ctx, c.owner, c.repo, n)
		return resp, err
	})
	if err != nil {
		return PullRequest{}, err
	}
	return toPullRequest(p), nil
}

// Review is one review of a pull request. State is GitHub's: APPROVED,
// CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
type Review struct {
	ID          int64
	Login       string
	State       string
	CommitID    string // the head commit reviewed; "" when GitHub lost it
	SubmittedAt time.Time
	URL         string // html_url
}

// PullRequestReviews lists every review of pull request n, in GitHub's
// (chronological) order, reading every page.
func (c *Client) PullRequestReviews(ctx context.Context, n int) ([]Review, error) {
	var out []Review
	opts := &gogithub.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		var list []*gogithub.PullRequestReview
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing reviews of PR #%d (page %d)", n, page), idempotent,
			func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
				var err error
				list, resp, err = gh.PullRequests.ListReviews(ctx, c.owner, c.repo, n, opts)
				return resp, err
			})
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			out = append(out, Review{
				ID: r.GetID(), Login: r.GetUser().GetLogin(), State: r.GetState(), CommitID: r.GetCommitID(),
				SubmittedAt: r.GetSubmittedAt().Time, URL: r.GetHTMLURL(),
			})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// Permission returns login's permission on the repository as GitHub's
// permission field says it (admin, write, read or none; maintain shows as
// write), or "maintain" when role_name says so. A 404 (no collaborator) is
// "none". It reads [Client.CollaboratorPermission].
func (c *Client) Permission(ctx context.Context, login string) (string, error) {
	p, err := c.CollaboratorPermission(ctx, login)
	if IsNotFound(err) {
		return "none", nil
	}
	if err != nil {
		return "", err
	}
	if p.Role == "maintain" {
		return "maintain", nil
	}
	return p.Level, nil
}

// TeamMember reports whether login is an active member of team org/team
// (GET /orgs/{org}/teams/{team}/memberships/{user}; a pending invitation
// is not membership). The token must be able to see the team.
func (c *Client) TeamMember(ctx context.Context, org, team, login string) (bool, error) {
	var raw struct {
		State string `json:"state"`
	}
	err := c.do(ctx, fmt.Sprintf("getting %s's membership of team %s/%s", login, org, team), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		req, err := gh.NewRequest("GET", fmt.Sprintf("orgs/%s/teams/%s/memberships/%s",
			url.PathEscape(org), url.PathEscape(team), url.PathEscape(login)), nil)
		if err != nil {
			return nil, err
		}
		raw.State = ""
		return gh.Do(ctx, req, &raw)
	})
	if IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return raw.State == "active", nil
}
