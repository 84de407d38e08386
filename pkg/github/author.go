package github

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sync"

	gogithub "github.com/google/go-github/v60/github"
)

// ActionsBot is the login behind a workflow's GITHUB_TOKEN: the author of
// every comment that token writes.
const ActionsBot = "github-actions[bot]"

// loginPattern is GitHub's shape for a login: alphanumerics and single
// hyphens, not at either end, at most 39 characters; a GitHub App's bot adds
// "[bot]".
var loginPattern = regexp.MustCompile(`^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}(?:\[bot\])?$`)

// ValidLogin reports whether s has the shape of a GitHub login, such as
// "octocat" or "github-actions[bot]".
func ValidLogin(s string) bool { return loginPattern.MatchString(s) }

// Identity remembers the login [Client.CommentAuthor] resolved. Clients
// built with the same token may share one through Options.Identity, so that
// a run asks GET /user once, not once per client. The zero value is ready to
// use; it is safe for concurrent use.
type Identity struct {
	mu    sync.Mutex
	login string
}

// CommentAuthor returns the login lockstep's comments are written by, the
// only author whose comments it reads, edits or compares: Options.CommentAuthor
// when set, else the token's login from GET /user. Installation tokens (the
// workflow's GITHUB_TOKEN among them) may not call GET /user and get 403;
// their comments are by github-actions[bot], which is then assumed. The
// answer is resolved once per Client (or per shared Identity) and concurrent
// callers wait for it; a failure is not remembered, so a later call asks
// again.
func (c *Client) CommentAuthor(ctx context.Context) (string, error) {
	if c.author != "" {
		return c.author, nil
	}
	id := c.identity
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.login != "" {
		return id.login, nil
	}
	var user *gogithub.User
	err := c.do(ctx, "finding the token's login (GET /user)", idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		var resp *gogithub.Response
		var err error
		user, resp, err = gh.Users.Get(ctx, "")
		return resp, err
	})
	switch {
	case err != nil && StatusCode(err) == http.StatusForbidden && IsPermission(err):
		c.logf("The token may not read its own user (GET /user answered 403, as for the workflow's GITHUB_TOKEN): lockstep trusts only comments by %s. If the token belongs to another GitHub App, set the comment-author input to that app's bot login.", ActionsBot)
		id.login = ActionsBot
	case err != nil:
		return "", err
	case !ValidLogin(user.GetLogin()):
		return "", fmt.Errorf("finding the token's login (GET /user): GitHub answered login %q", user.GetLogin())
	default:
		id.login = user.GetLogin()
	}
	return id.login, nil
}
