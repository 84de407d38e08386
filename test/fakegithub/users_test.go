package fakegithub_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestGetUserAnswers403ForTheWorkflowToken(t *testing.T) {
	s := fakegithub.New(t)
	_, _, err := newClient(t, s, "").Users.Get(context.Background(), "")
	var er *gogithub.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusForbidden || er.Message != "Resource not accessible by integration" {
		t.Fatalf("GET /user as %s: %v; want 403 Resource not accessible by integration", fakegithub.DefaultUser, err)
	}
}

func TestGetUserAnswersAUsersToken(t *testing.T) {
	s := fakegithub.New(t, fakegithub.WithUser("lockstep-bot"))
	u, _, err := newClient(t, s, "").Users.Get(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if u.GetLogin() != "lockstep-bot" || u.GetType() != "User" {
		t.Fatalf("got login %q type %q, want lockstep-bot User", u.GetLogin(), u.GetType())
	}
}

func TestCommentsRecordTheirAuthor(t *testing.T) {
	s := fakegithub.New(t, fakegithub.WithUser("lockstep-bot"))
	s.AddComment("o", "r", 2, "mallory", "forged")
	c := newClient(t, s, "")
	ctx := context.Background()
	if _, _, err := c.Issues.CreateComment(ctx, "o", "r", 2, &gogithub.IssueComment{Body: gogithub.String("mine")}); err != nil {
		t.Fatal(err)
	}
	list, _, err := c.Issues.ListComments(ctx, "o", "r", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cm := range list {
		got = append(got, cm.GetUser().GetLogin()+": "+cm.GetBody())
	}
	if len(got) != 2 || got[0] != "mallory: forged" || got[1] != "lockstep-bot: mine" {
		t.Fatalf("comments %q", got)
	}
	stored := s.Comments("o", "r", 2)
	if stored[0].User != "mallory" || stored[1].User != "lockstep-bot" {
		t.Fatalf("stored authors %q, %q", stored[0].User, stored[1].User)
	}
}
