package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v60/github"
)

// MaxCommentLength is GitHub's limit on a comment body, in characters.
const MaxCommentLength = 65536

// commentsPerPage is the largest page GitHub serves.
const commentsPerPage = 100

// Comment is an issue or pull request comment.
type Comment struct {
	ID int64
	// URL is the comment's web address (html_url).
	URL  string
	Body string
	// Author is the login of the comment's writer.
	Author string
	// UpdatedAt is when the comment was created or last edited.
	UpdatedAt time.Time
}

// UpsertResult says what [Client.UpsertComment] did.
type UpsertResult int

const (
	// Created means no comment of lockstep's had the marker and one was
	// created.
	Created UpsertResult = iota + 1
	// Updated means lockstep's newest comment with the marker was edited.
	Updated
	// Unchanged means lockstep's newest comment with the marker already had
	// the body; nothing was written.
	Unchanged
)

// String is "created", "updated" or "unchanged".
func (r UpsertResult) String() string {
	switch r {
	case Created:
		return "created"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	}
	return fmt.Sprintf("UpsertResult(%d)", int(r))
}

// UpsertComment makes pull request pr carry exactly one comment identified
// by marker, a single line such as "<!-- lockstep:plan dir=infra env=prod -->",
// with body. The stored body starts with the marker line (added when body
// does not already start with it).
//
// Only comments written by [Client.CommentAuthor] count: a comment by anyone
// else that starts with the marker is ignored and never edited, so a forged
// one can neither receive the next plan nor hide it; lockstep then creates its
// own.
//
// It lists every comment, then: if lockstep's newest comment with the marker
// already has the body, it writes nothing (Unchanged); if there is one, it
// edits it (Updated), leaving older ones with the marker alone; otherwise it
// creates one (Created). A create that fails ambiguously (a 5xx or a dropped
// connection, after which GitHub may have stored it) is not repeated blindly:
// the comments are listed again and the create is only retried when the
// marker is still absent, so a comment is never duplicated.
func (c *Client) UpsertComment(ctx context.Context, pr int, marker, body string) (Comment, UpsertResult, error) {
	if err := checkMarker(marker); err != nil {
		return Comment{}, 0, fmt.Errorf("updating comment on PR #%d: %w", pr, err)
	}
	body = withMarker(marker, body)
	if n := utf8.RuneCountInString(body); n > MaxCommentLength {
		return Comment{}, 0, fmt.Errorf("updating comment on PR #%d: body is %d characters, over GitHub's limit of %d", pr, n, MaxCommentLength)
	}

	createTried := false
	for round := 0; ; round++ {
		existing, err := c.FindComment(ctx, pr, marker)
		if err != nil {
			return Comment{}, 0, err
		}
		if existing != nil {
			if c.sameComment(existing.Body, body) {
				if createTried {
					// Our create landed despite the error.
					return *existing, Created, nil
				}
				return *existing, Unchanged, nil
			}
			edited, err := c.editComment(ctx, pr, existing.ID, body)
			if IsNotFound(err) && round < c.maxRetries {
				continue // deleted since we listed: look again
			}
			if err != nil {
				return Comment{}, 0, err
			}
			return edited, Updated, nil
		}

		created, err := c.createComment(ctx, pr, body)
		var amb *ambiguousError
		if err == nil {
			return created, Created, nil
		}
		if !errors.As(err, &amb) || round >= c.maxRetries {
			return Comment{}, 0, err
		}
		createTried = true
		d := c.backoff(round)
		c.logf("%v; checking whether the comment exists before creating it again in %s", err, d.Round(time.Millisecond))
		if err := c.sleep(ctx, d); err != nil {
			return Comment{}, 0, fmt.Errorf("creating comment on PR #%d: %w", pr, err)
		}
	}
}

// FindComment returns the newest comment on pull request pr whose first line
// is marker and whose author is [Client.CommentAuthor], or nil when there is
// none. Comments by anyone else are ignored whatever they say. It reads every
// page of comments.
func (c *Client) FindComment(ctx context.Context, pr int, marker string) (*Comment, error) {
	if err := checkMarker(marker); err != nil {
		return nil, fmt.Errorf("finding comment on PR #%d: %w", pr, err)
	}
	author, err := c.CommentAuthor(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding comment on PR #%d: %w", pr, err)
	}
	var newest *gogithub.IssueComment
	opts := &gogithub.IssueListCommentsOptions{ListOptions: gogithub.ListOptions{PerPage: commentsPerPage}}
	for page := 1; ; page++ {
		var list []*gogithub.IssueComment
		var resp *gogithub.Response
		what := fmt.Sprintf("listing comments on PR #%d (page %d)", pr, page)
		err := c.do(ctx, what, idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var err error
			list, resp, err = gh.Issues.ListComments(ctx, c.owner, c.repo, pr, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, cm := range list {
			if strings.EqualFold(cm.GetUser().GetLogin(), author) && firstLine(cm.GetBody()) == marker && newer(cm, newest) {
				newest = cm
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
	cm := toComment(newest)
	return &cm, nil
}

func (c *Client) createComment(ctx context.Context, pr int, body string) (Comment, error) {
	var out *gogithub.IssueComment
	err := c.do(ctx, fmt.Sprintf("creating comment on PR #%d", pr), notIdempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		var resp *gogithub.Response
		var err error
		out, resp, err = gh.Issues.CreateComment(ctx, c.owner, c.repo, pr, &gogithub.IssueComment{Body: &body})
		return resp, err
	})
	if err != nil {
		return Comment{}, err
	}
	return toComment(out), nil
}

func (c *Client) editComment(ctx context.Context, pr int, id int64, body string) (Comment, error) {
	var out *gogithub.IssueComment
	err := c.do(ctx, fmt.Sprintf("editing comment %d on PR #%d", id, pr), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		var resp *gogithub.Response
		var err error
		out, resp, err = gh.Issues.EditComment(ctx, c.owner, c.repo, id, &gogithub.IssueComment{Body: &body})
		return resp, err
	})
	if err != nil {
		return Comment{}, err
	}
	return toComment(out), nil
}

func toComment(cm *gogithub.IssueComment) Comment {
	updated := cm.GetUpdatedAt().Time
	if updated.IsZero() {
		updated = cm.GetCreatedAt().Time
	}
	return Comment{ID: cm.GetID(), URL: cm.GetHTMLURL(), Body: cm.GetBody(), Author: cm.GetUser().GetLogin(), UpdatedAt: updated}
}

// newer orders comments by creation time, then ID (GitHub's IDs grow).
func newer(a, b *gogithub.IssueComment) bool {
	if b == nil {
		return true
	}
	ta, tb := a.GetCreatedAt().Time, b.GetCreatedAt().Time
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetID() > b.GetID()
}

func checkMarker(marker string) error {
	if strings.TrimSpace(marker) == "" || strings.ContainsAny(marker, "\r\n") {
		return fmt.Errorf("marker %q must be one non-empty line", marker)
	}
	return nil
}

// firstLine is a body's first line without trailing whitespace.
func firstLine(body string) string {
	line, _, _ := strings.Cut(body, "\n")
	return strings.TrimRight(line, " \t\r")
}

func withMarker(marker, body string) string {
	if firstLine(body) == marker {
		return body
	}
	return marker + "\n" + body
}

// sameBody compares bodies as GitHub stores them: line endings and trailing
// whitespace may differ.
func sameBody(a, b string) bool {
	norm := func(s string) string {
		return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\n")
	}
	return norm(a) == norm(b)
}
