package fakegithub_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestCommentPagination(t *testing.T) {
	s := fakegithub.New(t)
	ids := s.SeedComments("o", "r", 4, 95)
	c := newClient(t, s, "")
	ctx := context.Background()

	// Default per_page is 30: 4 pages, with next/last links on the first.
	first, resp, err := c.Issues.ListComments(ctx, "o", "r", 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 30 || resp.NextPage != 2 || resp.LastPage != 4 || resp.PrevPage != 0 {
		t.Fatalf("first page: %d comments, next %d, last %d, prev %d", len(first), resp.NextPage, resp.LastPage, resp.PrevPage)
	}

	// Walking every page sees every comment once, in order.
	var got []int64
	opts := &gogithub.IssueListCommentsOptions{ListOptions: gogithub.ListOptions{PerPage: 40}}
	pages := 0
	for {
		list, resp, err := c.Issues.ListComments(ctx, "o", "r", 4, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, cm := range list {
			got = append(got, cm.GetID())
		}
		if resp.NextPage == 0 {
			if resp.PrevPage != pages-1 || resp.FirstPage != 1 {
				t.Errorf("last page links: prev %d first %d", resp.PrevPage, resp.FirstPage)
			}
			break
		}
		opts.Page = resp.NextPage
	}
	if pages != 3 || len(got) != len(ids) {
		t.Fatalf("%d pages, %d comments; want 3 pages, %d comments", pages, len(got), len(ids))
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("comment %d: id %d, want %d", i, got[i], ids[i])
		}
	}

	// per_page over 100 is capped at 100; a page past the end is empty.
	list, _, err := c.Issues.ListComments(ctx, "o", "r", 4, &gogithub.IssueListCommentsOptions{ListOptions: gogithub.ListOptions{PerPage: 500}})
	if err != nil || len(list) != 95 {
		t.Fatalf("per_page=500: %d comments, %v", len(list), err)
	}
	s.SeedComments("o", "r", 4, 10)
	list, _, _ = c.Issues.ListComments(ctx, "o", "r", 4, &gogithub.IssueListCommentsOptions{ListOptions: gogithub.ListOptions{PerPage: 500}})
	if len(list) != 100 {
		t.Errorf("per_page=500 with 105 comments: %d, want 100", len(list))
	}
	list, _, err = c.Issues.ListComments(ctx, "o", "r", 4, &gogithub.IssueListCommentsOptions{ListOptions: gogithub.ListOptions{Page: 9}})
	if err != nil || len(list) != 0 {
		t.Errorf("page past the end: %d comments, %v", len(list), err)
	}
}

func TestCommentCRUD(t *testing.T) {
	s := fakegithub.New(t)
	s.AddPullRequest("o", "r", 12, "abc")
	s.AddIssue("o", "r", 13)
	c := newClient(t, s, "")
	ctx := context.Background()

	cm, resp, err := c.Issues.CreateComment(ctx, "o", "r", 12, &gogithub.IssueComment{Body: gogithub.String("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("create: status %d, want 201", resp.StatusCode)
	}
	wantURL := "https://github.com/o/r/pull/12#issuecomment-"
	if !strings.HasPrefix(cm.GetHTMLURL(), wantURL) || cm.GetUser().GetLogin() != fakegithub.DefaultUser || cm.GetCreatedAt().IsZero() {
		t.Errorf("created comment: %+v", cm)
	}
	onIssue, _, err := c.Issues.CreateComment(ctx, "o", "r", 13, &gogithub.IssueComment{Body: gogithub.String("x")})
	if err != nil || !strings.Contains(onIssue.GetHTMLURL(), "/issues/13#issuecomment-") {
		t.Errorf("comment on an issue: %v %v", onIssue.GetHTMLURL(), err)
	}

	edited, _, err := c.Issues.EditComment(ctx, "o", "r", cm.GetID(), &gogithub.IssueComment{Body: gogithub.String("bye")})
	if err != nil || edited.GetBody() != "bye" {
		t.Fatalf("edit: %v %v", edited.GetBody(), err)
	}
	got, _, err := c.Issues.GetComment(ctx, "o", "r", cm.GetID())
	if err != nil || got.GetBody() != "bye" {
		t.Fatalf("get: %v %v", got.GetBody(), err)
	}
	if cs := s.Comments("o", "r", 12); len(cs) != 1 || cs[0].Body != "bye" {
		t.Fatalf("state: %+v", cs)
	}
	resp, err = c.Issues.DeleteComment(ctx, "o", "r", cm.GetID())
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	if _, _, err := c.Issues.GetComment(ctx, "o", "r", cm.GetID()); statusOf(err) != http.StatusNotFound {
		t.Errorf("get deleted: %v, want 404", err)
	}
	if _, _, err := c.Issues.EditComment(ctx, "o", "r", 999999, &gogithub.IssueComment{Body: gogithub.String("x")}); statusOf(err) != http.StatusNotFound {
		t.Errorf("edit unknown: %v, want 404", err)
	}
	if _, _, err := c.Issues.CreateComment(ctx, "o", "r", 99, &gogithub.IssueComment{Body: gogithub.String("x")}); statusOf(err) != http.StatusNotFound {
		t.Errorf("create on unknown issue: %v, want 404", err)
	}
	if _, _, err := c.Issues.ListComments(ctx, "nobody", "r", 12, nil); statusOf(err) != http.StatusNotFound {
		t.Errorf("list on unknown repo: %v, want 404", err)
	}
}

func TestCommentBodyLimit(t *testing.T) {
	s := fakegithub.New(t)
	s.AddPullRequest("o", "r", 1, "abc")
	c := newClient(t, s, "")
	ctx := context.Background()

	// The limit counts characters, not bytes: 65,536 three-byte runes pass.
	atLimit := strings.Repeat("€", fakegithub.MaxCommentLength)
	cm, _, err := c.Issues.CreateComment(ctx, "o", "r", 1, &gogithub.IssueComment{Body: &atLimit})
	if err != nil {
		t.Fatalf("at the limit: %v", err)
	}

	// GitHub's bodies as reported from the API (limits.go): a create and
	// an edit name the error differently.
	over := atLimit + "x"
	for _, tc := range []struct {
		name string
		call func() error
		want gogithub.Error
		doc  string
	}{
		{"create", func() error {
			_, _, err := c.Issues.CreateComment(ctx, "o", "r", 1, &gogithub.IssueComment{Body: &over})
			return err
		}, gogithub.Error{Resource: "IssueComment", Field: "data", Code: "unprocessable", Message: "Body is too long (maximum is 65536 characters)"},
			"https://docs.github.com/rest/issues/comments#create-an-issue-comment"},
		{"edit", func() error {
			_, _, err := c.Issues.EditComment(ctx, "o", "r", cm.GetID(), &gogithub.IssueComment{Body: &over})
			return err
		}, gogithub.Error{Resource: "IssueComment", Field: "body", Code: "custom", Message: "body is too long (maximum is 65536 characters)"},
			"https://docs.github.com/rest/issues/comments#update-an-issue-comment"},
	} {
		err := tc.call()
		var er *gogithub.ErrorResponse
		if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s over the limit: %v, want 422", tc.name, err)
		}
		if er.Message != "Validation Failed" || len(er.Errors) != 1 || er.Errors[0] != tc.want || er.DocumentationURL != tc.doc {
			t.Errorf("%s: error body %+v", tc.name, er)
		}
	}
	if n := len(s.Comments("o", "r", 1)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
}
