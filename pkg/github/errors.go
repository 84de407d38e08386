package github

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	gogithub "github.com/google/go-github/v60/github"
)

// ErrFilesTruncated is returned (wrapped, with the files GitHub did list)
// when a pull request has more changed files than the API lists (3,000).
var ErrFilesTruncated = errors.New("GitHub lists at most 3000 files of a pull request")

// RateLimitedError is a primary rate limit whose reset is further away than
// Options.MaxRateLimitWait, so the call failed instead of waiting.
type RateLimitedError struct {
	// Reset is when the limit resets.
	Reset time.Time
	// Limit is the requests allowed per window, 0 if unknown.
	Limit int
	// Wait is how far away Reset was; MaxWait the longest the client waits.
	Wait, MaxWait time.Duration
	// Err is the error GitHub answered with, nil when the client refused
	// locally because an earlier answer had spent the window.
	Err error
}

// Error names the reset time and what to do.
func (e *RateLimitedError) Error() string {
	limit := "the API rate limit"
	if e.Limit > 0 {
		limit = fmt.Sprintf("the API rate limit of %d requests per hour", e.Limit)
	}
	return fmt.Sprintf("%s is exhausted until %s (%s from now, longer than the %s lockstep waits); rerun after the reset or use a token with a higher limit",
		limit, e.Reset.UTC().Format(time.RFC3339), e.Wait.Round(time.Second), e.MaxWait)
}

// Unwrap returns GitHub's error, if any.
func (e *RateLimitedError) Unwrap() error { return e.Err }

// StatusCode is the HTTP status GitHub answered the failed call with, or 0
// when err carries none (a transport error, a local refusal).
func StatusCode(err error) int {
	var (
		er  *gogithub.ErrorResponse
		rle *gogithub.RateLimitError
		are *gogithub.AbuseRateLimitError
	)
	var r *http.Response
	switch {
	case errors.As(err, &er):
		r = er.Response
	case errors.As(err, &rle):
		r = rle.Response
	case errors.As(err, &are):
		r = are.Response
	}
	if r == nil {
		return 0
	}
	return r.StatusCode
}

// IsPermission reports whether err is GitHub refusing the token: 401 (bad or
// missing credentials) or a 403 that is not a rate limit (e.g. "Resource not
// accessible by integration": the workflow's permissions lack a scope).
func IsPermission(err error) bool {
	var er *gogithub.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	switch er.Response.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		return !isSecondaryMessage(er.Message) && er.Response.Header.Get("X-RateLimit-Remaining") != "0"
	}
	return false
}

// IsNotFound reports whether err is a 404: an unknown repository, pull
// request, comment or environment, or a token that may not see it.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsRateLimited reports whether err is a rate limit the client did not or
// could not wait out.
func IsRateLimited(err error) bool {
	var (
		rle  *RateLimitedError
		grle *gogithub.RateLimitError
		are  *gogithub.AbuseRateLimitError
	)
	if errors.As(err, &rle) || errors.As(err, &grle) || errors.As(err, &are) {
		return true
	}
	var er *gogithub.ErrorResponse
	return errors.As(err, &er) && er.Response != nil &&
		(er.Response.StatusCode == http.StatusTooManyRequests || er.Response.StatusCode == http.StatusForbidden && !IsPermission(err))
}
