package github_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const (
	owner  = "acme"
	repo   = "infra"
	marker = "<!-- lockstep:plan dir=infra env=prod -->"
)

// clock is a fake clock whose Sleep records the wait and advances time, so
// rate-limit resets pass without real sleeping.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

// advance moves the clock on without recording a sleep: what passes
// between events a test sets up.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// env is a fake GitHub, a shared clock and a client wired to both.
type env struct {
	srv    *fakegithub.Server
	clk    *clock
	client *github.Client
}

func newEnv(t *testing.T, srvOpts []fakegithub.Option, mod func(*github.Options)) *env {
	t.Helper()
	clk := newClock()
	srv := fakegithub.New(t, append([]fakegithub.Option{fakegithub.WithClock(clk.Now)}, srvOpts...)...)
	o := github.Options{
		APIURL: srv.APIURL(), Owner: owner, Repo: repo,
		HTTPClient: srv.Client(), Sleep: clk.Sleep, Now: clk.Now,
		Rand: func() float64 { return 0.5 },
		Logf: t.Logf,
		// Tests of paging, retries and costs pin the author so they count
		// only comment requests; identity tests clear it to see GET /user.
		CommentAuthor: fakegithub.DefaultUser,
	}
	if mod != nil {
		mod(&o)
	}
	c, err := github.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, clk: clk, client: c}
}

// markerComments are the comments on pr whose first line is the marker.
func (e *env) markerComments(pr int) []fakegithub.Comment {
	var out []fakegithub.Comment
	for _, c := range e.srv.Comments(owner, repo, pr) {
		if strings.HasPrefix(c.Body, marker+"\n") {
			out = append(out, c)
		}
	}
	return out
}

func (e *env) lists(pr int) int {
	return e.srv.Count("GET", "/repos/{o}/{r}/issues/"+strconv.Itoa(pr)+"/comments")
}
