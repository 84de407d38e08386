package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v60/github"
)

// Issue is a repository issue as lockstep keeps it.
type Issue struct {
	Number int
	// URL is the issue's web address (html_url).
	URL   string
	Title string
	Body  string
	// State is "open" or "closed".
	State string
	// Author is the login of the issue's writer.
	Author    string
	CreatedAt time.Time
}

// Open reports whether the issue is open.
func (i Issue) Open() bool { return i.State == "open" }

// IssueSpec is the issue [Client.UpsertIssue] keeps: one per Marker, found
// among the issues that carry Label.
type IssueSpec struct {
	// Marker is the first line of the body, one line such as
	// "<!-- lockstep:drift dir=infra env=prod -->".
	Marker string
	// Label is the label the issue carries and is searched by; it is created
	// when the repository has none of that name.
	Label string
	// LabelColor and LabelDescription describe a label that must be created.
	LabelColor, LabelDescription string
	Title                        string
	// Body is the issue's body; the marker line is added when it does not
	// start with it.
	Body string
}

// IssueResult says what [Client.UpsertIssue] or [Client.CloseIssue] did.
type IssueResult int

const (
	// IssueCreated means no issue of lockstep's had the marker; one was
	// created.
	IssueCreated IssueResult = iota + 1
	// IssueUpdated means lockstep's open issue was edited.
	IssueUpdated
	// IssueReopened means lockstep's closed issue was reopened (and its body
	// brought up to date).
	IssueReopened
	// IssueUnchanged means lockstep's open issue already said this; nothing
	// was written.
	IssueUnchanged
	// IssueClosed means lockstep's open issue was closed with a comment.
	IssueClosed
	// IssueNone means there was no open issue to close.
	IssueNone
)

// String is "created", "updated", "reopened", "unchanged", "closed" or
// "none".
func (r IssueResult) String() string {
	switch r {
	case IssueCreated:
		return "created"
	case IssueUpdated:
		return "updated"
	case IssueReopened:
		return "reopened"
	case IssueUnchanged:
		return "unchanged"
	case IssueClosed:
		return "closed"
	case IssueNone:
		return "none"
	}
	return fmt.Sprintf("IssueResult(%d)", int(r))
}

// issuesPerPage is the largest page GitHub serves.
const issuesPerPage = 100

// FindIssue returns the newest issue, open or closed, that carries label,
// whose body's first line is marker and whose author is
// [Client.CommentAuthor]; nil when there is none. Issues by anyone else are
// ignored whatever they say, and pull requests never count. It reads every
// page; any failed page fails the search, so that a caller never takes "not
// listed" for "absent".
func (c *Client) FindIssue(ctx context.Context, label, marker string) (*Issue, error) {
	if err := checkMarker(marker); err != nil {
		return nil, fmt.Errorf("finding issue: %w", err)
	}
	author, err := c.CommentAuthor(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding issue with label %s: %w", label, err)
	}
	var newest *gogithub.Issue
	opts := &gogithub.IssueListByRepoOptions{
		State: "all", Labels: []string{label}, Sort: "created", Direction: "desc",
		ListOptions: gogithub.ListOptions{PerPage: issuesPerPage},
	}
	for page := 1; ; page++ {
		var list []*gogithub.Issue
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing issues labelled %s (page %d)", label, page), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var err error
			list, resp, err = gh.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, is := range list {
			if is.IsPullRequest() || !strings.EqualFold(is.GetUser().GetLogin(), author) || firstLine(is.GetBody()) != marker {
				continue
			}
			if newest == nil || newerIssue(is, newest) {
				newest = is
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if newest == nil {
		return nil, nil
	}
	is := toIssue(newest)
	return &is, nil
}

// UpsertIssue makes the repository carry exactly one open issue of
// lockstep's for spec.Marker, saying spec.Body: it edits lockstep's newest
// issue with the marker (reopening it when closed) unless it is open and
// already says the same (the client's SameComment decides, so a volatile
// footer does not count), and creates one only when there is none.
//
// A failed search fails the call: lockstep never creates an issue it could
// not prove missing. A create that fails ambiguously (a 5xx or a dropped
// connection, after which GitHub may have stored it) is not repeated
// blindly: the issues are searched again first.
func (c *Client) UpsertIssue(ctx context.Context, spec IssueSpec) (Issue, IssueResult, error) {
	if err := checkMarker(spec.Marker); err != nil {
		return Issue{}, 0, fmt.Errorf("updating issue: %w", err)
	}
	body := withMarker(spec.Marker, spec.Body)
	if n := utf8.RuneCountInString(body); n > MaxCommentLength {
		return Issue{}, 0, fmt.Errorf("updating issue %q: body is %d characters, over GitHub's limit of %d", spec.Title, n, MaxCommentLength)
	}
	createTried := false
	for round := 0; ; round++ {
		existing, err := c.FindIssue(ctx, spec.Label, spec.Marker)
		if err != nil {
			return Issue{}, 0, err
		}
		if existing != nil {
			same := existing.Title == spec.Title && c.sameComment(existing.Body, body)
			switch {
			case existing.Open() && same && createTried:
				return *existing, IssueCreated, nil // our create landed despite the error
			case existing.Open() && same:
				return *existing, IssueUnchanged, nil
			}
			req := &gogithub.IssueRequest{Title: &spec.Title, Body: &body, State: gogithub.String("open")}
			edited, err := c.editIssue(ctx, existing.Number, req)
			if err != nil {
				return Issue{}, 0, err
			}
			if !existing.Open() {
				return edited, IssueReopened, nil
			}
			return edited, IssueUpdated, nil
		}
		if !createTried {
			if err := c.EnsureLabel(ctx, spec.Label, spec.LabelColor, spec.LabelDescription); err != nil {
				return Issue{}, 0, err
			}
		}
		created, err := c.createIssue(ctx, &gogithub.IssueRequest{Title: &spec.Title, Body: &body, Labels: &[]string{spec.Label}})
		if err == nil {
			return created, IssueCreated, nil
		}
		var amb *ambiguousError
		if !errors.As(err, &amb) || round >= c.maxRetries {
			return Issue{}, 0, err
		}
		createTried = true
		d := c.backoff(round)
		c.logf("%v; checking whether the issue exists before creating it again in %s", err, d.Round(time.Millisecond))
		if err := c.sleep(ctx, d); err != nil {
			return Issue{}, 0, fmt.Errorf("creating issue %q: %w", spec.Title, err)
		}
	}
}

// CloseIssue closes lockstep's open issue for marker (among those labelled
// label), after adding comment to it. The comment's first line is
// commentMarker, so that a retry of the same close edits it instead of
// adding a second (see [Client.UpsertComment]). It does nothing (IssueNone)
// when lockstep's newest issue with the marker is closed or there is none.
func (c *Client) CloseIssue(ctx context.Context, label, marker, commentMarker, comment string) (Issue, IssueResult, error) {
	existing, err := c.FindIssue(ctx, label, marker)
	if err != nil {
		return Issue{}, 0, err
	}
	if existing == nil || !existing.Open() {
		if existing == nil {
			return Issue{}, IssueNone, nil
		}
		return *existing, IssueNone, nil
	}
	if _, _, err := c.UpsertComment(ctx, existing.Number, commentMarker, comment); err != nil {
		return Issue{}, 0, fmt.Errorf("commenting on issue #%d before closing it: %w", existing.Number, err)
	}
	closed, err := c.editIssue(ctx, existing.Number, &gogithub.IssueRequest{State: gogithub.String("closed"), StateReason: gogithub.String("completed")})
	if err != nil {
		return Issue{}, 0, err
	}
	return closed, IssueClosed, nil
}

// EnsureLabel creates the repository label name unless it exists. Another
// run creating it at the same time (422 already_exists) is success.
func (c *Client) EnsureLabel(ctx context.Context, name, color, description string) error {
	err := c.do(ctx, fmt.Sprintf("reading label %s", name), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		_, resp, err := gh.Issues.GetLabel(ctx, c.owner, c.repo, url.PathEscape(name))
		return resp, err
	})
	if err == nil {
		return nil
	}
	if !IsNotFound(err) {
		return err
	}
	if color == "" {
		color = "d93f0b"
	}
	err = c.do(ctx, fmt.Sprintf("creating label %s", name), notIdempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		_, resp, err := gh.Issues.CreateLabel(ctx, c.owner, c.repo, &gogithub.Label{Name: &name, Color: &color, Description: &description})
		return resp, err
	})
	var amb *ambiguousError
	if err == nil || StatusCode(err) == 422 || errors.As(err, &amb) {
		// 422: it exists now. Ambiguous: it may; creating the issue with
		// the label says for sure.
		return nil
	}
	return err
}

func (c *Client) createIssue(ctx context.Context, req *gogithub.IssueRequest) (Issue, error) {
	var out *gogithub.Issue
	err := c.do(ctx, fmt.Sprintf("creating issue %q", req.GetTitle()), notIdempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		var resp *gogithub.Response
		var err error
		out, resp, err = gh.Issues.Create(ctx, c.owner, c.repo, req)
		return resp, err
	})
	if err != nil {
		return Issue{}, err
	}
	return toIssue(out), nil
}

func (c *Client) editIssue(ctx context.Context, n int, req *gogithub.IssueRequest) (Issue, error) {
	var out *gogithub.Issue
	err := c.do(ctx, fmt.Sprintf("editing issue #%d", n), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		var resp *gogithub.Response
		var err error
		out, resp, err = gh.Issues.Edit(ctx, c.owner, c.repo, n, req)
		return resp, err
	})
	if err != nil {
		return Issue{}, err
	}
	return toIssue(out), nil
}

func toIssue(is *gogithub.Issue) Issue {
	return Issue{
		Number: is.GetNumber(), URL: is.GetHTMLURL(), Title: is.GetTitle(), Body: is.GetBody(),
		State: is.GetState(), Author: is.GetUser().GetLogin(), CreatedAt: is.GetCreatedAt().Time,
	}
}

// newerIssue orders issues by creation time, then number.
func newerIssue(a, b *gogithub.Issue) bool {
	ta, tb := a.GetCreatedAt().Time, b.GetCreatedAt().Time
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetNumber() > b.GetNumber()
}
