package github

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

const (
	backoffBase = time.Second
	backoffCap  = 30 * time.Second
	// defaultSecondaryWait is GitHub's advice for a secondary rate limit
	// without Retry-After: wait at least a minute.
	defaultSecondaryWait = time.Minute
)

// retryPolicy says which failures a call may be repeated after.
type retryPolicy int

const (
	// idempotent calls (GET, PATCH, PUT, DELETE) are retried after any
	// transient failure: doing them twice is doing them once.
	idempotent retryPolicy = iota
	// notIdempotent calls (a POST that creates) are retried only when the
	// request surely was not applied: rate limits and failed dials. After an
	// ambiguous failure do returns an [*ambiguousError] so the caller can
	// look before creating again.
	notIdempotent
)

// apiCall is one go-github call; do runs it once per attempt with a fresh
// go-github client.
type apiCall func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error)

// do runs call with retries. what says what was happening, for errors and
// logs ("listing comments on PR #12"); errors come back wrapped with it.
func (c *Client) do(ctx context.Context, what string, policy retryPolicy, call apiCall) error {
	for attempt := 0; ; attempt++ {
		if err := c.waitPause(ctx, what); err != nil {
			return err
		}
		att := &attemptState{}
		resp, err := call(context.WithValue(ctx, attemptKey{}, att), c.gh())
		c.noteRate(resp)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}

		f := c.classify(resp, err, att.sent.Load())
		switch {
		case f.kind == permanent:
			return fmt.Errorf("%s: %w", what, err)
		case f.kind == transient && f.mayBeApplied && policy == notIdempotent:
			return fmt.Errorf("%s: %w", what, &ambiguousError{err: err})
		case f.kind == rateLimited:
			c.setPause(f.until, f.primary, f.limit)
			if f.primary && f.until.Sub(c.now()) > c.maxRateLimitWait {
				return fmt.Errorf("%s: %w", what, c.rateLimitedError(f.until, f.limit, err))
			}
		}
		if attempt >= c.maxRetries {
			return fmt.Errorf("%s: giving up after %d attempts: %w", what, attempt+1, err)
		}
		if f.kind == transient {
			d := c.backoff(attempt)
			c.logf("%s: %v; retrying in %s", what, err, d.Round(time.Millisecond))
			if err := c.sleep(ctx, d); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		// A rate limit is waited out by waitPause at the top of the loop.
	}
}

// backoff is capped exponential backoff with "equal jitter": half the step
// is fixed, half random, so waits grow but concurrent clients spread out.
func (c *Client) backoff(attempt int) time.Duration {
	d := backoffCap
	if attempt < 16 {
		d = min(backoffCap, backoffBase<<attempt)
	}
	return d/2 + time.Duration(c.rand()*float64(d/2))
}

type failureKind int

const (
	permanent failureKind = iota
	transient
	rateLimited
)

type failure struct {
	kind failureKind
	// mayBeApplied: the server may have performed the request (5xx, or the
	// connection failed after the request was written).
	mayBeApplied bool
	// For rateLimited: resume at until; primary limits are subject to
	// MaxRateLimitWait.
	until   time.Time
	primary bool
	limit   int
}

// classify decides what a failed attempt means; sent tells whether the
// request reached the transport.
func (c *Client) classify(resp *gogithub.Response, err error, sent bool) failure {
	var (
		rle *gogithub.RateLimitError
		are *gogithub.AbuseRateLimitError
		er  *gogithub.ErrorResponse
	)
	switch {
	case errors.As(err, &rle):
		until := rle.Rate.Reset.Time
		if until.IsZero() {
			until = c.now().Add(defaultSecondaryWait)
		}
		return failure{kind: rateLimited, primary: true, until: until, limit: rle.Rate.Limit}
	case errors.As(err, &are):
		if !sent && are.RetryAfter != nil {
			// go-github refused locally, remembering an earlier limit (not
			// expected: each attempt gets a fresh go-github client).
			return failure{kind: rateLimited, until: c.now().Add(*are.RetryAfter)}
		}
		return c.secondary(are.Response)
	case errors.As(err, &er):
		code := 0
		if er.Response != nil {
			code = er.Response.StatusCode
		}
		switch {
		case code == http.StatusTooManyRequests,
			code == http.StatusForbidden && isSecondaryMessage(er.Message):
			return c.secondary(er.Response)
		case code >= 500:
			return failure{kind: transient, mayBeApplied: true}
		default:
			return failure{kind: permanent}
		}
	case resp != nil && resp.StatusCode >= 200 && resp.StatusCode < 300:
		// The server answered success but the body could not be read or
		// decoded: the request was applied.
		return failure{kind: transient, mayBeApplied: true}
	case !sent:
		// Building or encoding the request failed: retrying cannot help.
		return failure{kind: permanent}
	case notSent(err):
		return failure{kind: transient}
	case isPermanentTransportError(err):
		return failure{kind: permanent}
	default:
		// A connection that failed after the request went out.
		return failure{kind: transient, mayBeApplied: true}
	}
}

// secondary reads a secondary rate limit (or 429) the way GitHub documents
// it: Retry-After if present; else, if X-RateLimit-Remaining is 0, the reset
// time (a primary limit answered as 429); else at least a minute. go-github's
// AbuseRateLimitError.RetryAfter is not used because, without Retry-After,
// it falls back to the primary window's reset, up to an hour away.
func (c *Client) secondary(r *http.Response) failure {
	now := c.now()
	f := failure{kind: rateLimited, until: now.Add(defaultSecondaryWait)}
	if r == nil {
		return f
	}
	h := r.Header
	if d, ok := parseRetryAfter(h.Get("Retry-After"), now); ok {
		f.until = now.Add(d)
		return f
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if secs, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			f.until, f.primary = time.Unix(secs, 0), true
			f.limit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
		}
	}
	return f
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

func isSecondaryMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "secondary rate limit") || strings.Contains(m, "abuse detection")
}

// notSent reports whether a transport error happened before the request was
// written (dialing, DNS), so the server cannot have applied it.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// isPermanentTransportError reports errors retrying cannot fix.
func isPermanentTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var rhErr tls.RecordHeaderError
	return errors.As(err, &certErr) || errors.As(err, &rhErr)
}

// pause is the shared "no requests before" time, set by rate limits and by
// responses that spent the last request of the primary window.
type pause struct {
	until   time.Time
	primary bool
	limit   int
}

func (c *Client) setPause(until time.Time, primary bool, limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.pause.until) {
		c.pause = pause{until: until, primary: primary, limit: limit}
	}
}

// noteRate pauses further calls until the reset when a response says the
// primary window is spent, as go-github would (but on the injected clock).
func (c *Client) noteRate(resp *gogithub.Response) {
	if resp == nil || resp.Response == nil || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		return
	}
	if reset := resp.Rate.Reset.Time; reset.After(c.now()) {
		c.setPause(reset, true, resp.Rate.Limit)
	}
}

// waitPause waits out the shared pause, or fails at once when it is a
// primary limit further away than MaxRateLimitWait.
func (c *Client) waitPause(ctx context.Context, what string) error {
	c.mu.Lock()
	p := c.pause
	c.mu.Unlock()
	d := p.until.Sub(c.now())
	if d <= 0 {
		return nil
	}
	if p.primary && d > c.maxRateLimitWait {
		return fmt.Errorf("%s: %w", what, c.rateLimitedError(p.until, p.limit, nil))
	}
	c.logf("%s: rate limited; waiting %s", what, d.Round(time.Second))
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("%s: waiting for the rate limit: %w", what, err)
	}
	return nil
}

func (c *Client) rateLimitedError(reset time.Time, limit int, err error) *RateLimitedError {
	return &RateLimitedError{Reset: reset, Limit: limit, Wait: reset.Sub(c.now()), MaxWait: c.maxRateLimitWait, Err: err}
}

// ambiguousError is a failure after which a create may or may not have
// happened.
type ambiguousError struct{ err error }

func (e *ambiguousError) Error() string {
	return fmt.Sprintf("the request may or may not have been applied: %v", e.err)
}

func (e *ambiguousError) Unwrap() error { return e.err }

// attemptState is per-attempt state the transport reports into.
type attemptState struct{ sent atomic.Bool }

type attemptKey struct{}

// markSent records that a request reached the transport.
func markSent(ctx context.Context) {
	if a, ok := ctx.Value(attemptKey{}).(*attemptState); ok {
		a.sent.Store(true)
	}
}
