package fakegithub_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// newClient is a go-github client pointed at the fake, authenticated with
// token when it is not "".
func newClient(t *testing.T, s *fakegithub.Server, token string) *gogithub.Client {
	t.Helper()
	c := gogithub.NewClient(s.Client())
	if token != "" {
		c = c.WithAuthToken(token)
	}
	u, err := url.Parse(s.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

func statusOf(err error) int {
	var er *gogithub.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func TestRateLimitHeadersOnEveryResponse(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := fakegithub.New(t, fakegithub.WithClock(func() time.Time { return now }))
	s.AddPullRequest("o", "r", 1, "abc")
	c := newClient(t, s, "")
	ctx := context.Background()

	_, resp, err := c.Issues.ListComments(ctx, "o", "r", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, resp404, err := c.Issues.ListComments(ctx, "o", "nope", 1, nil)
	if statusOf(err) != http.StatusNotFound {
		t.Fatalf("unknown repo: got %v, want 404", err)
	}
	for i, r := range []*gogithub.Response{resp, resp404} {
		if r.Rate.Limit != fakegithub.DefaultRateLimit || r.Rate.Remaining != fakegithub.DefaultRateLimit-1-i {
			t.Errorf("response %d: rate %+v", i, r.Rate)
		}
		if got, want := r.Rate.Reset.Time, now.Add(time.Hour); !got.Equal(want) {
			t.Errorf("response %d: reset %v, want %v", i, got, want)
		}
		if r.Header.Get("X-RateLimit-Resource") != "core" || r.Header.Get("X-RateLimit-Used") != strconv.Itoa(i+1) {
			t.Errorf("response %d: headers %v", i, r.Header)
		}
	}
}

func TestPrimaryRateLimitBudget(t *testing.T) {
	s := fakegithub.New(t, fakegithub.WithRateLimit(2))
	s.AddPullRequest("o", "r", 1, "abc")
	c := newClient(t, s, "")
	ctx := context.Background()
	for i := range 2 {
		if _, _, err := c.Issues.ListComments(ctx, "o", "r", 1, nil); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	// go-github saw Remaining: 0 on the second answer and now refuses locally;
	// a fresh client reaches the server, which refuses too.
	c = newClient(t, s, "")
	_, _, err := c.Issues.ListComments(ctx, "o", "r", 1, nil)
	var rle *gogithub.RateLimitError
	if !errors.As(err, &rle) {
		t.Fatalf("third request: got %v, want *RateLimitError", err)
	}
	if got := s.Count("GET", "/repos/o/r/issues/1/comments"); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
}

func TestAuth(t *testing.T) {
	s := fakegithub.New(t, fakegithub.WithToken("s3cret"))
	s.AddPullRequest("o", "r", 1, "abc")
	ctx := context.Background()

	for _, tc := range []struct {
		name, token string
		wantStatus  int
		wantMessage string
	}{
		{"no token", "", http.StatusUnauthorized, "Requires authentication"},
		{"wrong token", "nope", http.StatusUnauthorized, "Bad credentials"},
		{"right token", "s3cret", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := newClient(t, s, tc.token).PullRequests.Get(ctx, "o", "r", 1)
			if got := statusOf(err); got != tc.wantStatus {
				t.Fatalf("got status %d (%v), want %d", got, err, tc.wantStatus)
			}
			var er *gogithub.ErrorResponse
			if errors.As(err, &er) && er.Message != tc.wantMessage {
				t.Errorf("message %q, want %q", er.Message, tc.wantMessage)
			}
		})
	}

	// "token <t>" works as well as "Bearer <t>".
	req, _ := http.NewRequest("GET", s.APIURL()+"repos/o/r/pulls/1", nil)
	req.Header.Set("Authorization", "token s3cret")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf(`"token" scheme: status %d`, resp.StatusCode)
	}
}

func TestPrefixForEnterprise(t *testing.T) {
	s := fakegithub.New(t, fakegithub.WithPrefix("/api/v3"))
	s.AddPullRequest("o", "r", 7, "abc")
	if got, want := s.APIURL(), s.URL+"/api/v3/"; got != want {
		t.Fatalf("APIURL %q, want %q", got, want)
	}
	c := newClient(t, s, "")
	pr, _, err := c.PullRequests.Get(context.Background(), "o", "r", 7)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetNumber() != 7 {
		t.Errorf("number %d", pr.GetNumber())
	}
	if got := s.Count("GET", "/repos/o/r/pulls/7"); got != 1 {
		t.Errorf("logged path is not prefix-relative: count %d, log %+v", got, s.Requests())
	}

	resp, err := s.Client().Get(s.URL + "/repos/o/r/pulls/7")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("outside the prefix: status %d, want 404", resp.StatusCode)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s := fakegithub.New(t)
	s.AddPullRequest("o", "r", 1, "abc")
	for _, tc := range []struct{ method, path string }{
		{"GET", "repos/o/r/nothing-here"},
		{"PUT", "repos/o/r/pulls/1"},
		{"GET", "repos/o/r/pulls/not-a-number"},
	} {
		req, _ := http.NewRequest(tc.method, s.APIURL()+tc.path, nil)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", tc.method, tc.path, resp.StatusCode)
		}
	}
}
