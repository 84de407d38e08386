package github

import (
	"context"
	"fmt"
	"net/url"

	gogithub "github.com/google/go-github/v60/github"
)

// TeamVisible reports whether the token can see team org/team
// (GET /orgs/{org}/teams/{team}): false, with no error, when GitHub answers
// 404 (no such team, or one hidden from the token) or 403 (a token that may
// not read the organization's teams at all, such as a workflow's
// GITHUB_TOKEN). Check it before [Client.TeamMember], whose 404 would
// otherwise read as "not a member".
func (c *Client) TeamVisible(ctx context.Context, org, team string) (bool, error) {
	err := c.do(ctx, fmt.Sprintf("getting team %s/%s", org, team), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		req, err := gh.NewRequest("GET", fmt.Sprintf("orgs/%s/teams/%s", url.PathEscape(org), url.PathEscape(team)), nil)
		if err != nil {
			return nil, err
		}
		return gh.Do(ctx, req, nil)
	})
	if IsNotFound(err) || StatusCode(err) == 403 && !IsRateLimited(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}
