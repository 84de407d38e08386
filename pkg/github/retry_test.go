package github_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const commentsPath = "/repos/" + owner + "/" + repo + "/issues/{n}/comments"

func TestPrimaryRateLimitFarAwayFailsClearly(t *testing.T) {
	e := newEnv(t, nil, nil)
	reset := e.clk.Now().Add(30 * time.Minute)
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultPrimaryRateLimit, Reset: reset})

	_, _, err := e.client.UpsertComment(context.Background(), 1, marker, "x")
	if err == nil {
		t.Fatal("no error")
	}
	var rle *github.RateLimitedError
	if !errors.As(err, &rle) || !github.IsRateLimited(err) || github.IsPermission(err) {
		t.Fatalf("got %v, want a *RateLimitedError", err)
	}
	for _, want := range []string{"listing comments on PR #1", "2026-03-04T05:36:07Z", "30m0s from now", "5000 requests per hour"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if s := e.clk.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v", s)
	}

	// The client remembers: the next call fails without a request.
	before := len(e.srv.Requests())
	if _, err := e.client.FindComment(context.Background(), 1, marker); !github.IsRateLimited(err) {
		t.Errorf("second call: %v", err)
	}
	if n := len(e.srv.Requests()) - before; n != 0 {
		t.Errorf("second call sent %d requests", n)
	}
}

func TestSpentRateLimitWindowPausesLikeGoGithub(t *testing.T) {
	// A window of 2: the second answer says Remaining 0 and the reset is an
	// hour away, so the third call fails locally.
	e := newEnv(t, []fakegithub.Option{fakegithub.WithRateLimit(2)}, nil)
	e.srv.AddPullRequest(owner, repo, 1, "abc")
	ctx := context.Background()
	for range 2 {
		if _, err := e.client.FindComment(ctx, 1, marker); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.client.FindComment(ctx, 1, marker); !github.IsRateLimited(err) {
		t.Fatalf("third call: %v", err)
	}
	if n := len(e.srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	// With a wait allowed that long, it waits for the reset and goes on.
	e2 := newEnv(t, []fakegithub.Option{fakegithub.WithRateLimit(1)}, func(o *github.Options) { o.MaxRateLimitWait = 2 * time.Hour })
	e2.srv.AddPullRequest(owner, repo, 1, "abc")
	for range 2 {
		if _, err := e2.client.FindComment(ctx, 1, marker); err != nil {
			t.Fatal(err)
		}
	}
	if s := e2.clk.Sleeps(); len(s) != 1 || s[0] != time.Hour {
		t.Errorf("slept %v, want [1h0m0s]", s)
	}
}

func TestPermissionErrorsFailFast(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddPullRequest(owner, repo, 1, "abc")
	e.srv.Fail(fakegithub.Fault{Method: "POST", Path: commentsPath, Kind: fakegithub.FaultStatus, Status: http.StatusForbidden})
	_, _, err := e.client.UpsertComment(context.Background(), 1, marker, "x")
	if !github.IsPermission(err) || github.IsRateLimited(err) || github.IsNotFound(err) {
		t.Fatalf("got %v, want a permission error", err)
	}
	if !strings.Contains(err.Error(), "creating comment on PR #1") || !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Errorf("error %q", err)
	}
	if n := e.srv.Count("POST", commentsPath); n != 1 {
		t.Errorf("%d POSTs, want 1 (no retry)", n)
	}
	if s := e.clk.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v", s)
	}
}

func TestTokenIsSentAndBadTokenIsAPermissionError(t *testing.T) {
	e := newEnv(t, []fakegithub.Option{fakegithub.WithToken("good")}, func(o *github.Options) { o.Token = "good" })
	e.srv.AddPullRequest(owner, repo, 1, "abc")
	if _, _, err := e.client.UpsertComment(context.Background(), 1, marker, "x"); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	bad := newEnv(t, []fakegithub.Option{fakegithub.WithToken("good")}, func(o *github.Options) { o.Token = "bad" })
	_, err := bad.client.FindComment(context.Background(), 1, marker)
	if !github.IsPermission(err) || github.StatusCode(err) != http.StatusUnauthorized {
		t.Fatalf("bad token: %v", err)
	}
	if n := len(bad.srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestNotFoundIsTyped(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	_, err := e.client.FindComment(context.Background(), 404, marker)
	if !github.IsNotFound(err) || github.IsPermission(err) {
		t.Fatalf("got %v", err)
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultBadGateway, Times: -1})
	_, err := e.client.FindComment(context.Background(), 1, marker)
	if err == nil || !strings.Contains(err.Error(), "listing comments on PR #1 (page 1): giving up after 5 attempts") {
		t.Fatalf("got %v", err)
	}
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second}
	if s := e.clk.Sleeps(); !equalDurations(s, want) {
		t.Errorf("slept %v, want %v", s, want)
	}
	if github.StatusCode(err) != http.StatusBadGateway {
		t.Errorf("status %d", github.StatusCode(err))
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	for _, tc := range []struct {
		rand float64
		want []time.Duration
	}{
		{0, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}},
		{0.999999, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}},
	} {
		e := newEnv(t, nil, func(o *github.Options) {
			o.MaxRetries = 7
			o.Rand = func() float64 { return tc.rand }
		})
		e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultInternalError, Times: -1})
		if _, err := e.client.FindComment(context.Background(), 1, marker); err == nil {
			t.Fatal("no error")
		}
		got := e.clk.Sleeps()
		for i := range got {
			got[i] = got[i].Round(100 * time.Millisecond)
		}
		if !equalDurations(got, tc.want) {
			t.Errorf("rand %v: slept %v, want %v", tc.rand, got, tc.want)
		}
	}
}

func TestNoRetriesWhenDisabled(t *testing.T) {
	e := newEnv(t, nil, func(o *github.Options) { o.MaxRetries = -1 })
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultInternalError})
	if _, err := e.client.FindComment(context.Background(), 1, marker); err == nil {
		t.Fatal("no error")
	}
	if n := len(e.srv.Requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	// The real sleeper: a wait cut short by the context returns promptly.
	e2 := newEnv(t, nil, func(o *github.Options) { o.Sleep = nil })
	e2.srv.AddPullRequest(owner, repo, 1, "abc")
	e2.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: time.Hour})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	start := time.Now()
	_, err := e2.client.FindComment(ctx2, 1, marker)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}

func TestEnterpriseBaseURL(t *testing.T) {
	e := newEnv(t, []fakegithub.Option{fakegithub.WithPrefix("/api/v3")}, func(o *github.Options) {
		o.APIURL = strings.TrimSuffix(o.APIURL, "/") // as GITHUB_API_URL gives it
		o.CommentAuthor = ""                         // GET /user goes under the prefix too
	})
	e.srv.AddPullRequest(owner, repo, 2, "abc")
	if !strings.HasSuffix(e.srv.APIURL(), "/api/v3/") {
		t.Fatalf("fake not under /api/v3: %s", e.srv.APIURL())
	}
	_, res, err := e.client.UpsertComment(context.Background(), 2, marker, "on GHES")
	if err != nil || res != github.Created {
		t.Fatalf("upsert: %v %v", res, err)
	}
	for _, r := range e.srv.Requests() {
		if !strings.HasPrefix(r.Path, "/repos/"+owner+"/"+repo+"/") && r.Path != "/user" {
			t.Errorf("request %s %s outside the API prefix", r.Method, r.Path)
		}
	}
}

func TestNewValidatesOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    github.Options
		want string
	}{
		{"no owner", github.Options{Repo: "r"}, "owner and repository are required"},
		{"relative URL", github.Options{Owner: "o", Repo: "r", APIURL: "ghe.example.com/api/v3"}, "want an absolute http(s) URL"},
		{"bad scheme", github.Options{Owner: "o", Repo: "r", APIURL: "ftp://x/"}, "want an absolute http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := github.New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := github.New(github.Options{Owner: "o", Repo: "r"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// Concurrent upserts on different pull requests share one client (and its
// rate-limit pause) safely; -race checks the sharing.
func TestConcurrentUpserts(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.Fail(fakegithub.Fault{Method: "POST", Path: commentsPath, Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: 5 * time.Second})
	errs := make(chan error, 8)
	for pr := 1; pr <= 8; pr++ {
		e.srv.AddPullRequest(owner, repo, pr, "abc")
		go func() {
			_, _, err := e.client.UpsertComment(context.Background(), pr, marker, "plan")
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for pr := 1; pr <= 8; pr++ {
		if n := len(e.markerComments(pr)); n != 1 {
			t.Errorf("PR #%d has %d comments", pr, n)
		}
	}
}
