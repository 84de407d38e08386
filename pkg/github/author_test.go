package github_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestUpsertLeavesAForgedMarkerCommentAloneAndCreatesItsOwn(t *testing.T) {
	e := newEnv(t, nil, nil)
	forged := e.srv.AddComment(owner, repo, 4, "mallory", marker+"\nfingerprint `0` forged plan")
	e.srv.ResetRequests()

	c, res, err := e.client.UpsertComment(context.Background(), 4, marker, "the real plan")
	if err != nil || res != github.Created {
		t.Fatalf("upsert: %v %v, want created", res, err)
	}
	if c.ID == forged || c.Author != fakegithub.DefaultUser {
		t.Fatalf("upserted %+v, want a new comment by %s", c, fakegithub.DefaultUser)
	}
	got := e.srv.Comments(owner, repo, 4)
	if len(got) != 2 || got[0].ID != forged || got[0].Body != marker+"\nfingerprint `0` forged plan" || got[0].User != "mallory" {
		t.Fatalf("comments %+v; want mallory's untouched, then lockstep's", got)
	}
	if got[1].Body != marker+"\nthe real plan" || got[1].User != fakegithub.DefaultUser {
		t.Errorf("lockstep's comment %+v", got[1])
	}
	if n := e.srv.Count("PATCH", "/repos/{o}/{r}/issues/comments/{id}"); n != 0 {
		t.Errorf("%d edits, want none: lockstep must never try to edit another user's comment", n)
	}

	// The next plan edits lockstep's comment, still not mallory's.
	if _, res, err := e.client.UpsertComment(context.Background(), 4, marker, "plan two"); err != nil || res != github.Updated {
		t.Fatalf("second upsert: %v %v, want updated", res, err)
	}
	if got := e.srv.Comments(owner, repo, 4); got[0].Body != marker+"\nfingerprint `0` forged plan" || got[1].Body != marker+"\nplan two" {
		t.Fatalf("after the second plan: %+v", got)
	}
}

func TestFindCommentFindsItsOwnOlderCommentPastANewerForgedOne(t *testing.T) {
	e := newEnv(t, nil, nil)
	own := e.srv.AddComment(owner, repo, 4, "", marker+"\nlockstep's plan")
	e.srv.AddComment(owner, repo, 4, "mallory", marker+"\nnewer forged plan")
	e.srv.AddComment(owner, repo, 4, "Github-Actions", marker+"\nnot the bot, only a similar name")

	got, err := e.client.FindComment(context.Background(), 4, marker)
	if err != nil || got == nil || got.ID != own || got.Author != fakegithub.DefaultUser {
		t.Fatalf("found %+v, %v; want lockstep's comment %d", got, err, own)
	}
	if _, res, err := e.client.UpsertComment(context.Background(), 4, marker, "fresh"); err != nil || res != github.Updated {
		t.Fatalf("upsert: %v %v", res, err)
	}
	bodies := []string{}
	for _, c := range e.srv.Comments(owner, repo, 4) {
		bodies = append(bodies, c.User+": "+c.Body)
	}
	want := []string{
		"github-actions[bot]: " + marker + "\nfresh",
		"mallory: " + marker + "\nnewer forged plan",
		"Github-Actions: " + marker + "\nnot the bot, only a similar name",
	}
	if fmt.Sprint(bodies) != fmt.Sprint(want) {
		t.Fatalf("comments\n%q\nwant\n%q", bodies, want)
	}
}

func TestCommentAuthorInputOverridesTheToken(t *testing.T) {
	// Another GitHub App's installation token: GET /user would answer 403
	// and the fallback would be the wrong bot.
	e := newEnv(t, []fakegithub.Option{fakegithub.WithUser("acme-deployer[bot]")}, func(o *github.Options) {
		o.CommentAuthor = "acme-deployer[bot]"
	})
	e.srv.AddComment(owner, repo, 4, fakegithub.DefaultUser, marker+"\nby the workflow token")
	own := e.srv.AddComment(owner, repo, 4, "", marker+"\nby the app")
	e.srv.AddComment(owner, repo, 4, fakegithub.DefaultUser, marker+"\nnewer, by the workflow token")

	got, err := e.client.FindComment(context.Background(), 4, marker)
	if err != nil || got == nil || got.ID != own {
		t.Fatalf("found %+v, %v; want the app's comment %d", got, err, own)
	}
	if n := e.srv.Count("GET", "/user"); n != 0 {
		t.Errorf("%d GET /user with comment-author set, want 0", n)
	}
}

func TestCommentAuthorIsTheTokensLoginFromGetUser(t *testing.T) {
	e := newEnv(t, []fakegithub.Option{fakegithub.WithUser("lockstep-bot")}, func(o *github.Options) { o.CommentAuthor = "" })
	e.srv.AddComment(owner, repo, 4, fakegithub.DefaultUser, marker+"\nby the workflow token")
	own := e.srv.AddComment(owner, repo, 4, "", marker+"\nby lockstep-bot")
	e.srv.AddComment(owner, repo, 4, fakegithub.DefaultUser, marker+"\nnewer, by the workflow token")

	// Several stacks ask at once: one GET /user answers them all.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := e.client.FindComment(context.Background(), 4, marker)
			if err == nil && (got == nil || got.ID != own) {
				err = fmt.Errorf("found %+v, want comment %d", got, own)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if login, err := e.client.CommentAuthor(context.Background()); err != nil || login != "lockstep-bot" {
		t.Errorf("CommentAuthor = %q, %v; want lockstep-bot", login, err)
	}
	if n := e.srv.Count("GET", "/user"); n != 1 {
		t.Errorf("%d GET /user, want 1 (resolved once per client)", n)
	}
}

func TestCommentAuthorFallsBackToTheActionsBotOn403(t *testing.T) {
	var logs []string
	var mu sync.Mutex
	e := newEnv(t, nil, func(o *github.Options) {
		o.CommentAuthor = ""
		o.Logf = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			logs = append(logs, fmt.Sprintf(format, args...))
		}
	})
	e.srv.AddComment(owner, repo, 4, "mallory", marker+"\nforged")
	own := e.srv.AddComment(owner, repo, 4, "", marker+"\nlockstep's")

	got, err := e.client.FindComment(context.Background(), 4, marker)
	if err != nil || got == nil || got.ID != own {
		t.Fatalf("found %+v, %v; want comment %d", got, err, own)
	}
	if login, _ := e.client.CommentAuthor(context.Background()); login != "github-actions[bot]" {
		t.Errorf("CommentAuthor = %q, want github-actions[bot]", login)
	}
	if len(logs) != 1 || !strings.Contains(logs[0], "GET /user answered 403") || !strings.Contains(logs[0], "set the comment-author input to that app's bot login") {
		t.Errorf("log %q; want one line explaining the fallback and comment-author", logs)
	}
}

func TestCommentAuthorFailsOnOtherErrors(t *testing.T) {
	e := newEnv(t, []fakegithub.Option{fakegithub.WithToken("right")}, func(o *github.Options) {
		o.CommentAuthor = ""
		o.Token = "wrong"
	})
	_, err := e.client.FindComment(context.Background(), 4, marker)
	if err == nil || !strings.Contains(err.Error(), "finding comment on PR #4: finding the token's login (GET /user)") {
		t.Fatalf("got %v; want the GET /user failure, not a guess", err)
	}
}

func TestNewRejectsACommentAuthorThatIsNotALogin(t *testing.T) {
	for _, bad := range []string{"-x", "a b", "mallory\n", "a--b", "x[bot][bot]", strings.Repeat("a", 40)} {
		_, err := github.New(github.Options{Owner: owner, Repo: repo, CommentAuthor: bad})
		if err == nil || !strings.Contains(err.Error(), "is not a GitHub login") {
			t.Errorf("comment author %q: %v", bad, err)
		}
	}
	for _, good := range []string{"octocat", "github-actions[bot]", "a-b-c", strings.Repeat("a", 39)} {
		if !github.ValidLogin(good) {
			t.Errorf("%q rejected", good)
		}
	}
}

func TestClientsSharingAnIdentityAskGetUserOnce(t *testing.T) {
	id := &github.Identity{}
	e := newEnv(t, []fakegithub.Option{fakegithub.WithUser("lockstep-bot")}, func(o *github.Options) {
		o.CommentAuthor = ""
		o.Identity = id
	})
	other, err := github.New(github.Options{
		APIURL: e.srv.APIURL(), Owner: owner, Repo: repo, HTTPClient: e.srv.Client(), Identity: id,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*github.Client{e.client, other, e.client} {
		if login, err := c.CommentAuthor(context.Background()); err != nil || login != "lockstep-bot" {
			t.Fatalf("CommentAuthor = %q, %v", login, err)
		}
	}
	if n := e.srv.Count("GET", "/user"); n != 1 {
		t.Errorf("%d GET /user for two clients sharing an identity, want 1", n)
	}
}
