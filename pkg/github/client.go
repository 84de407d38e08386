package github

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// DefaultAPIURL is the API base when Options.APIURL is empty.
const DefaultAPIURL = "https://api.github.com/"

const (
	defaultMaxRetries       = 4
	defaultMaxRateLimitWait = 60 * time.Second
	defaultHTTPTimeout      = 60 * time.Second
	userAgent               = "lockstep (+https://github.com/lockstep-ci/lockstep)"
)

// Options configures a [Client]. The zero value of every field but Owner and
// Repo is a sensible default.
type Options struct {
	// Token authenticates as "Authorization: Bearer <token>"; "" sends none.
	Token string
	// APIURL is the API base, as in GITHUB_API_URL: "" means
	// https://api.github.com; GitHub Enterprise Server URLs such as
	// https://ghe.example.com/api/v3 work as given. A missing trailing slash
	// is added.
	APIURL string
	// Owner and Repo name the repository every call is about.
	Owner, Repo string
	// HTTPClient sends the requests; nil means a client with a 60s timeout.
	// Its Transport is wrapped, never modified.
	HTTPClient *http.Client
	// Sleep waits d or until ctx is done; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for rate-limit resets; nil means time.Now.
	Now func() time.Time
	// MaxRetries is how many times a call is retried after its first
	// attempt: 0 means 4, a negative number means never.
	MaxRetries int
	// MaxRateLimitWait is the longest the client waits for a primary rate
	// limit to reset; a reset further away fails the call at once with a
	// [*RateLimitedError] naming the reset time. 0 means 60s; negative means
	// never wait.
	MaxRateLimitWait time.Duration
	// Rand returns a number in [0, 1) for backoff jitter; nil means
	// math/rand/v2.
	Rand func() float64
	// Logf, when set, is told about every retry and wait, e.g. to print
	// them in the job log.
	Logf func(format string, args ...any)
	// SameComment decides whether an existing comment body already says
	// what a new one says, so that UpsertComment writes nothing. nil
	// compares the bodies (ignoring line endings and trailing blanks); a
	// caller whose bodies carry a volatile footer (an "updated at" time)
	// can ignore it here.
	SameComment func(old, new string) bool
	// CommentAuthor is the login lockstep's comments are written by; only
	// comments by it are read, edited or compared. "" means the token's
	// login (see [Client.CommentAuthor]). New rejects a value that is not a
	// GitHub login.
	CommentAuthor string
	// Identity, when set, shares the login resolved from the token with
	// other clients built with the same token; nil means this client's own.
	Identity *Identity
}

// Client calls the GitHub API for one repository. It is safe for concurrent
// use: a rate limit seen by one call pauses the others too.
type Client struct {
	owner, repo string
	baseURL     *url.URL
	http        *http.Client

	sleep            func(ctx context.Context, d time.Duration) error
	now              func() time.Time
	rand             func() float64
	logf             func(format string, args ...any)
	sameComment      func(old, new string) bool
	maxRetries       int
	maxRateLimitWait time.Duration

	mu    sync.Mutex
	pause pause

	// author is Options.CommentAuthor; when "", identity holds the login
	// resolved on first use (see CommentAuthor).
	author   string
	identity *Identity
}

// New validates the options and builds a Client. It makes no request.
func New(o Options) (*Client, error) {
	if o.Owner == "" || o.Repo == "" {
		return nil, errors.New("creating GitHub client: owner and repository are required")
	}
	if o.CommentAuthor != "" && !ValidLogin(o.CommentAuthor) {
		return nil, fmt.Errorf("creating GitHub client: comment author %q is not a GitHub login", o.CommentAuthor)
	}
	base, err := parseAPIURL(o.APIURL)
	if err != nil {
		return nil, fmt.Errorf("creating GitHub client: %w", err)
	}

	hc := &http.Client{Timeout: defaultHTTPTimeout}
	if o.HTTPClient != nil {
		copied := *o.HTTPClient
		hc = &copied
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &authTransport{token: o.Token, next: next}

	c := &Client{
		owner: o.Owner, repo: o.Repo, baseURL: base, http: hc,
		sleep: o.Sleep, now: o.Now, rand: o.Rand, logf: o.Logf, sameComment: o.SameComment,
		maxRetries: o.MaxRetries, maxRateLimitWait: o.MaxRateLimitWait,
		author: o.CommentAuthor, identity: o.Identity,
	}
	if c.identity == nil {
		c.identity = &Identity{}
	}
	if c.sleep == nil {
		c.sleep = sleepTimer
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	if c.sameComment == nil {
		c.sameComment = sameBody
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	switch {
	case c.maxRateLimitWait == 0:
		c.maxRateLimitWait = defaultMaxRateLimitWait
	case c.maxRateLimitWait < 0:
		c.maxRateLimitWait = 0
	}
	return c, nil
}

func parseAPIURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultAPIURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing API URL %q: %w", raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("parsing API URL %q: want an absolute http(s) URL such as %s", raw, DefaultAPIURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// gh returns a go-github client for one attempt. go-github remembers rate
// limits and refuses calls locally until they pass, by the wall clock; a
// fresh client per attempt leaves that decision to this package's own pause
// (see retry.go), which runs on the injected clock and so can be tested.
// Building one is cheap: no I/O, and the transport (with its connection
// pool) is shared.
func (c *Client) gh() *gogithub.Client {
	g := gogithub.NewClient(c.http)
	g.BaseURL = c.baseURL
	g.UserAgent = userAgent
	return g
}

// authTransport adds the token to every request.
type authTransport struct {
	token string
	next  http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	markSent(req.Context())
	if t.token == "" {
		return t.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(req)
}

func sleepTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
