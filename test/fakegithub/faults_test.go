package fakegithub_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestFaultsAsGoGithubSeesThem(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	reset := now.Add(10 * time.Minute)
	const path = "/repos/o/r/issues/1/comments"

	for _, tc := range []struct {
		fault   fakegithub.Fault
		check   func(t *testing.T, err error)
		applied bool
	}{
		{fault: fakegithub.Fault{Kind: fakegithub.FaultInternalError}, check: wantStatus(500)},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultBadGateway}, check: wantStatus(502)},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail}, check: wantStatus(502), applied: true},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultStatus, Status: 403}, check: func(t *testing.T, err error) {
			wantStatus(403)(t, err)
			var rle *gogithub.RateLimitError
			var are *gogithub.AbuseRateLimitError
			if errors.As(err, &rle) || errors.As(err, &are) {
				t.Errorf("permission 403 looks like a rate limit: %v", err)
			}
		}},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: 42 * time.Second}, check: func(t *testing.T, err error) {
			var are *gogithub.AbuseRateLimitError
			if !errors.As(err, &are) || are.RetryAfter == nil || *are.RetryAfter != 42*time.Second {
				t.Fatalf("got %v, want *AbuseRateLimitError with RetryAfter 42s", err)
			}
		}},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultSecondaryRateLimit}, check: func(t *testing.T, err error) {
			var are *gogithub.AbuseRateLimitError
			if !errors.As(err, &are) {
				t.Fatalf("got %v, want *AbuseRateLimitError", err)
			}
			// Without Retry-After go-github falls back to X-RateLimit-Reset,
			// which the fake always sends: a wait, never nil.
			if are.RetryAfter == nil {
				t.Errorf("RetryAfter nil")
			}
		}},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultPrimaryRateLimit, Reset: reset}, check: func(t *testing.T, err error) {
			var rle *gogithub.RateLimitError
			if !errors.As(err, &rle) || !rle.Rate.Reset.Time.Equal(reset) || rle.Rate.Remaining != 0 {
				t.Fatalf("got %v, want *RateLimitError resetting at %v", err, reset)
			}
		}},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests, RetryAfter: 3 * time.Second}, check: func(t *testing.T, err error) {
			var er *gogithub.ErrorResponse
			if !errors.As(err, &er) || er.Response.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("got %v, want a plain *ErrorResponse 429", err)
			}
			if got := er.Response.Header.Get("Retry-After"); got != "3" {
				t.Errorf("Retry-After %q", got)
			}
		}},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests, RetryAfterDate: reset}, check: func(t *testing.T, err error) {
			var er *gogithub.ErrorResponse
			if !errors.As(err, &er) || er.Response.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("got %v, want a plain *ErrorResponse 429", err)
			}
			if got := er.Response.Header.Get("Retry-After"); got != "Fri, 02 Jan 2026 03:14:05 GMT" {
				t.Errorf("Retry-After %q, want the HTTP date", got)
			}
		}},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests, Reset: reset}, check: func(t *testing.T, err error) {
			// A primary limit answered as 429: go-github v60 makes a
			// RateLimitError only of a 403, so this is a plain ErrorResponse.
			var er *gogithub.ErrorResponse
			if !errors.As(err, &er) || er.Response.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("got %v, want a plain *ErrorResponse 429", err)
			}
			h := er.Response.Header
			if h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Reset") != strconv.FormatInt(reset.Unix(), 10) || h.Get("Retry-After") != "" {
				t.Errorf("headers %v, want remaining 0, the reset and no Retry-After", h)
			}
		}},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultDisconnect}, check: wantTransportError},
		{fault: fakegithub.Fault{Kind: fakegithub.FaultApplyThenDisconnect}, check: wantTransportError, applied: true},
	} {
		t.Run(tc.fault.Kind.String(), func(t *testing.T) {
			s := fakegithub.New(t, fakegithub.WithClock(func() time.Time { return now }))
			s.AddPullRequest("o", "r", 1, "abc")
			f := tc.fault
			f.Method, f.Path = "POST", path
			s.Fail(f)
			c := newClient(t, s, "")
			_, _, err := c.Issues.CreateComment(context.Background(), "o", "r", 1, &gogithub.IssueComment{Body: gogithub.String("hi")})
			if err == nil {
				t.Fatal("no error")
			}
			tc.check(t, err)
			if got, want := len(s.Comments("o", "r", 1)), map[bool]int{true: 1, false: 0}[tc.applied]; got != want {
				t.Errorf("%d comments after the fault, want %d", got, want)
			}
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].Fault != tc.fault.Kind {
				t.Errorf("request log: %+v", reqs)
			}
			// The fault fired once; a fresh client now succeeds.
			if _, _, err := newClient(t, s, "").Issues.CreateComment(context.Background(), "o", "r", 1, &gogithub.IssueComment{Body: gogithub.String("hi")}); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

func wantStatus(code int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var er *gogithub.ErrorResponse
		if !errors.As(err, &er) || er.Response.StatusCode != code {
			t.Fatalf("got %v, want *ErrorResponse %d", err, code)
		}
	}
}

func wantTransportError(t *testing.T, err error) {
	t.Helper()
	var er *gogithub.ErrorResponse
	if errors.As(err, &er) {
		t.Fatalf("got an HTTP answer %v, want a transport error", err)
	}
}

func TestFaultNthAndTimes(t *testing.T) {
	s := fakegithub.New(t)
	s.AddPullRequest("o", "r", 1, "abc")
	s.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/{owner}/{repo}/issues/{n}/comments", Nth: 2, Times: 2, Kind: fakegithub.FaultBadGateway})
	c := newClient(t, s, "")
	var got []int
	for range 5 {
		_, resp, _ := c.Issues.ListComments(context.Background(), "o", "r", 1, nil)
		got = append(got, resp.StatusCode)
	}
	want := []int{200, 502, 502, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	if n := s.Count("GET", "/repos/o/r/issues/*/comments"); n != 5 {
		t.Errorf("count %d", n)
	}
}

func TestUnfiredFaultFailsTheTest(t *testing.T) {
	ft := &fakeTB{TB: t}
	func() {
		s := fakegithub.New(ft)
		s.Fail(fakegithub.Fault{Method: "POST", Path: "/never", Kind: fakegithub.FaultBadGateway})
		ft.runCleanups()
	}()
	if len(ft.errors) != 1 {
		t.Fatalf("errors %q, want one about the unfired fault", ft.errors)
	}
}

// fakeTB records errors and cleanups instead of failing the real test.
type fakeTB struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, strconv.Quote(format))
}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Helper()           {}
func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}
