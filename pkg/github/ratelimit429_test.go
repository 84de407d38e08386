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

// GitHub documents that a spent primary limit may be answered with 429
// instead of 403, with x-ratelimit-remaining: 0 and the reset in
// x-ratelimit-reset. The client treats it as the primary limit it is: it
// waits until the reset (not the minute it waits for a secondary limit),
// and fails at once with GitHub's answer when the reset is too far away.
func TestTooManyRequestsWithTheWindowSpentWaitsForTheReset(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddPullRequest(owner, repo, 1, "abc")
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultTooManyRequests,
		Reset: e.clk.Now().Add(45 * time.Second)})

	if _, err := e.client.FindComment(context.Background(), 1, marker); err != nil {
		t.Fatal(err)
	}
	if s := e.clk.Sleeps(); !equalDurations(s, []time.Duration{45 * time.Second}) {
		t.Errorf("slept %v, want [45s] (until the reset)", s)
	}
	if n := e.lists(1); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestTooManyRequestsWithTheWindowSpentFarAwayFailsClearly(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultTooManyRequests,
		Reset: e.clk.Now().Add(30 * time.Minute)})

	_, err := e.client.FindComment(context.Background(), 1, marker)
	var rle *github.RateLimitedError
	if !errors.As(err, &rle) {
		t.Fatalf("got %v, want a *RateLimitedError", err)
	}
	// GitHub's 429 is kept: the failure came from its answer, not from a
	// local refusal after it.
	if got := github.StatusCode(err); got != http.StatusTooManyRequests {
		t.Errorf("status %d, want 429 (the error should wrap GitHub's answer)", got)
	}
	for _, want := range []string{"listing comments on PR #1", "2026-03-04T05:36:07Z", "30m0s from now", "5000 requests per hour"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if s := e.clk.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v", s)
	}
	if n := e.lists(1); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// Retry-After may be an HTTP date (RFC 9110 section 10.2.3); the client
// waits until then.
func TestRetryAfterAsAnHTTPDate(t *testing.T) {
	for _, kind := range []fakegithub.FaultKind{fakegithub.FaultTooManyRequests, fakegithub.FaultSecondaryRateLimit} {
		t.Run(kind.String(), func(t *testing.T) {
			e := newEnv(t, nil, nil)
			e.srv.AddPullRequest(owner, repo, 1, "abc")
			e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: kind,
				RetryAfterDate: e.clk.Now().Add(90 * time.Second)})

			if _, err := e.client.FindComment(context.Background(), 1, marker); err != nil {
				t.Fatal(err)
			}
			if s := e.clk.Sleeps(); !equalDurations(s, []time.Duration{90 * time.Second}) {
				t.Errorf("slept %v, want [1m30s]", s)
			}
			if n := e.lists(1); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}

	// A date already past means no wait at all.
	e := newEnv(t, nil, nil)
	e.srv.AddPullRequest(owner, repo, 1, "abc")
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultTooManyRequests,
		RetryAfterDate: e.clk.Now().Add(-time.Hour)})
	if _, err := e.client.FindComment(context.Background(), 1, marker); err != nil {
		t.Fatal(err)
	}
	if s := e.clk.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v for a date in the past", s)
	}
	if n := e.lists(1); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// A primary limit that resets exactly MaxRateLimitWait away is waited for:
// the limit is the longest wait allowed, not the first refused.
func TestPrimaryRateLimitAtExactlyTheMaxWaitIsWaitedFor(t *testing.T) {
	e := newEnv(t, nil, nil) // MaxRateLimitWait defaults to 60s
	e.srv.AddPullRequest(owner, repo, 1, "abc")
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: commentsPath, Kind: fakegithub.FaultPrimaryRateLimit,
		Reset: e.clk.Now().Add(time.Minute)})
	if _, err := e.client.FindComment(context.Background(), 1, marker); err != nil {
		t.Fatal(err)
	}
	if s := e.clk.Sleeps(); !equalDurations(s, []time.Duration{time.Minute}) {
		t.Errorf("slept %v, want [1m0s]", s)
	}
	if n := e.lists(1); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
