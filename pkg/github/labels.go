package github

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// LabelEvent is a "labeled" or "unlabeled" event on an issue's timeline.
type LabelEvent struct {
	// Labeled is true for "labeled", false for "unlabeled".
	Labeled bool
	// Actor is the login of who added or removed the label; ActorType is
	// GitHub's account type ("User", "Bot", "Organization").
	Actor, ActorType string
	// ViaApp is the slug of the GitHub App that performed it, if any.
	ViaApp    string
	CreatedAt time.Time
}

// IssueLabels returns the names of the labels on issue or pull request n.
func (c *Client) IssueLabels(ctx context.Context, n int) ([]string, error) {
	var names []string
	opts := &gogithub.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		var list []*gogithub.Label
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing labels of PR #%d (page %d)", n, page), idempotent,
			func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
				var err error
				list, resp, err = gh.Issues.ListLabelsByIssue(ctx, c.owner, c.repo, n, opts)
				return resp, err
			})
		if err != nil {
			return nil, err
		}
		for _, l := range list {
			names = append(names, l.GetName())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return names, nil
}

// LastLabelEvent returns the latest "labeled" or "unlabeled" event of label
// (its name matched in any case, as GitHub does) on the timeline of issue or
// pull request n, reading every page; nil when there is none. Events that
// GitHub stamps with the same second keep their timeline order.
func (c *Client) LastLabelEvent(ctx context.Context, n int, label string) (*LabelEvent, error) {
	var last *LabelEvent
	opts := &gogithub.ListOptions{PerPage: 100}
	for page := 1; ; page++ {
		var list []*gogithub.Timeline
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing the timeline of PR #%d (page %d)", n, page), idempotent,
			func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
				var err error
				list, resp, err = gh.Issues.ListIssueTimeline(ctx, c.owner, c.repo, n, opts)
				return resp, err
			})
		if err != nil {
			return nil, err
		}
		for _, ev := range list {
			kind := ev.GetEvent()
			if (kind != "labeled" && kind != "unlabeled") || ev.Label == nil || !strings.EqualFold(ev.Label.GetName(), label) {
				continue
			}
			e := &LabelEvent{
				Labeled:   kind == "labeled",
				Actor:     ev.GetActor().GetLogin(),
				ActorType: ev.GetActor().GetType(),
				ViaApp:    ev.GetPerformedViaGithubApp().GetSlug(),
				CreatedAt: ev.GetCreatedAt().Time,
			}
			if last == nil || !e.CreatedAt.Before(last.CreatedAt) {
				last = e
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return last, nil
}

// Permission is a user's permission on the repository.
type Permission struct {
	// Level is GitHub's base permission: "admin", "write", "read" or
	// "none". GitHub reports the maintain role as "write" and triage as
	// "read" here.
	Level string
	// Role is the role's name: "admin", "maintain", "write", "triage",
	// "read" or a custom role's name.
	Role string
}

// CanWrite reports whether the permission includes pushing to the
// repository: write, maintain or admin.
func (p Permission) CanWrite() bool {
	switch p.Level {
	case "admin", "maintain", "write":
		return true
	}
	return false
}

// CollaboratorPermission returns login's permission on the repository
// (GET /repos/{owner}/{repo}/collaborators/{username}/permission).
func (c *Client) CollaboratorPermission(ctx context.Context, login string) (Permission, error) {
	var out *gogithub.RepositoryPermissionLevel
	var role string
	err := c.do(ctx, fmt.Sprintf("reading the repository permission of %s", login), idempotent,
		func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			req, err := gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", url.PathEscape(c.owner), url.PathEscape(c.repo), url.PathEscape(login)), nil)
			if err != nil {
				return nil, err
			}
			var body struct {
				gogithub.RepositoryPermissionLevel
				RoleName string `json:"role_name"`
			}
			resp, err := gh.Do(ctx, req, &body)
			out, role = &body.RepositoryPermissionLevel, body.RoleName
			return resp, err
		})
	if err != nil {
		return Permission{}, err
	}
	return Permission{Level: out.GetPermission(), Role: role}, nil
}
