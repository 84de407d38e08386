package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/progress"
)

// Defaults of the Checker's knobs.
const (
	// FirstBackoff is the wait after a smoke check's first failed attempt; it
	// doubles after each further failure up to MaxBackoff.
	FirstBackoff = time.Second
	// MaxBackoff caps the wait between smoke check attempts.
	MaxBackoff = 15 * time.Second
	// DefaultAttemptTimeout bounds one HTTP request.
	DefaultAttemptTimeout = 10 * time.Second
	// DefaultWatchInterval is the time between watch rounds.
	DefaultWatchInterval = 10 * time.Second
	// DefaultMaxErrorRate is the watch threshold lockstep uses: a URL whose
	// share of failed probes over the window exceeds 5% fails the watch.
	// With few probes one failure already exceeds it (1 of 10 is 10%).
	DefaultMaxErrorRate = 0.05
)

// userAgent names lockstep in the checked app's access logs.
const userAgent = "lockstep-verify"

// Checker probes URLs. The zero value works: a default HTTP client that never
// follows redirects, the real clock, real sleeping and 2xx as success.
type Checker struct {
	// Client makes the requests; nil means a client with
	// DefaultAttemptTimeout. Its CheckRedirect is replaced so that redirects
	// are never followed.
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error then; nil
	// means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Expect decides which status codes are healthy; the zero value means
	// 2xx.
	Expect config.StatusSet
	// AttemptTimeout bounds each request; zero means DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Progress, when set, gets a line for each failed smoke attempt and each
	// watch round, and at least every progress.Every while a check waits.
	Progress progress.Func
}

// Result is what one URL answered.
type Result struct {
	URL string
	OK  bool
	// Attempts is how many requests a smoke check made; Probes and Failures
	// count a watch's requests.
	Attempts int
	Probes   int
	Failures int
	// Status is the last HTTP status code answered, 0 when there was none.
	Status int
	// Err is the last transport error ("connection refused", "timed out
	// after 10s"), "" when the server answered.
	Err string
	// Duration is how long the URL was checked.
	Duration time.Duration
}

// ErrorRate is the share of failed watch probes, 0 without probes.
func (r Result) ErrorRate() float64 {
	if r.Probes == 0 {
		return 0
	}
	return float64(r.Failures) / float64(r.Probes)
}

// Report is the outcome of Smoke or Watch.
type Report struct {
	// Kind is KindSmoke or KindWatch.
	Kind    string
	Results []Result
	// Expect is the expected status, as the user wrote it.
	Expect string
	// Timeout is the smoke timeout; Window, Interval and MaxErrorRate
	// describe a watch.
	Timeout      time.Duration
	Window       time.Duration
	Interval     time.Duration
	MaxErrorRate float64
	// Err is set when the check could not run to its end (canceled).
	Err error
}

// Kinds of Report.
const (
	KindSmoke = "smoke"
	KindWatch = "watch"
)

// OK reports whether every URL passed and the check ran to its end.
func (r Report) OK() bool {
	if r.Err != nil {
		return false
	}
	for _, res := range r.Results {
		if !res.OK {
			return false
		}
	}
	return true
}

// Failed returns the results that did not pass.
func (r Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if !res.OK {
			out = append(out, res)
		}
	}
	return out
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Checker) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
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

// wait sleeps d, telling Progress what it waits for and how much of total
// (the check's time left, d included) is left, at least every
// progress.Every.
func (c *Checker) wait(ctx context.Context, d time.Duration, what string, total time.Duration) error {
	var tell func(time.Duration)
	if c.Progress != nil {
		tell = func(left time.Duration) { c.Progress(progress.Line(what, total-(d-left))) }
	}
	return progress.Wait(ctx, d, c.sleep, tell)
}

// watchProgress says how the watch stands after a round.
func watchProgress(results []Result) string {
	probes, failures := 0, 0
	for _, r := range results {
		probes += r.Probes
		failures += r.Failures
	}
	return fmt.Sprintf("watch of %s: %d of %d probes failed so far", countURLs(len(results)), failures, probes)
}

func (c *Checker) attemptTimeout() time.Duration {
	if c.AttemptTimeout > 0 {
		return c.AttemptTimeout
	}
	return DefaultAttemptTimeout
}

// client returns a copy of the configured client that does not follow
// redirects.
func (c *Checker) client() *http.Client {
	var hc http.Client
	if c.Client != nil {
		hc = *c.Client
	} else {
		hc.Timeout = c.attemptTimeout()
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// probe makes one request and says whether its answer was expected.
func (c *Checker) probe(ctx context.Context, hc *http.Client, rawURL string) (ok bool, status int, errText string) {
	ctx, cancel := context.WithTimeout(ctx, c.attemptTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return false, 0, "invalid URL: " + unwrapURLError(err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return false, 0, fmt.Sprintf("timed out after %s", c.attemptTimeout())
		}
		return false, 0, unwrapURLError(err)
	}
	// Drain a little so the connection is reused; the body is never kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return c.Expect.Match(resp.StatusCode), resp.StatusCode, ""
}

// unwrapURLError drops net/http's `Get "<url>": ` prefix: the URL is already
// in its own column, and it may carry credentials.
func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// Smoke checks every URL concurrently. Each is retried, waiting FirstBackoff
// and then twice as long each time up to MaxBackoff, until it answers as
// expected or timeout has passed since the start; the last attempt happens at
// the timeout. A zero timeout means one attempt per URL.
func (c *Checker) Smoke(ctx context.Context, urls []string, timeout time.Duration) Report {
	rep := Report{Kind: KindSmoke, Expect: c.Expect.String(), Timeout: timeout, Results: make([]Result, len(urls))}
	hc := c.client()
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Results[i] = c.smokeOne(ctx, hc, u, timeout)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		rep.Err = fmt.Errorf("smoke checks interrupted: %w", err)
	}
	return rep
}

func (c *Checker) smokeOne(ctx context.Context, hc *http.Client, u string, timeout time.Duration) Result {
	start := c.now()
	deadline := start.Add(timeout)
	res := Result{URL: u}
	backoff := FirstBackoff
	for {
		res.Attempts++
		res.OK, res.Status, res.Err = c.probe(ctx, hc, u)
		if res.OK {
			break
		}
		remaining := deadline.Sub(c.now())
		if remaining <= 0 || ctx.Err() != nil {
			break
		}
		wait := min(backoff, remaining)
		what := fmt.Sprintf("smoke %s answered %s (attempt %d), retrying in %s", u, answer(res), res.Attempts, wait)
		if err := c.wait(ctx, wait, what, remaining); err != nil {
			break
		}
		backoff = min(2*backoff, MaxBackoff)
	}
	res.Duration = c.now().Sub(start)
	return res
}

// Watch keeps probing every URL for window, a round of concurrent requests
// every interval (zero means DefaultWatchInterval), starting at once and
// ending with a round at the end of the window. A URL fails when its share of
// failed probes exceeds maxErrorRate (lockstep passes DefaultMaxErrorRate;
// zero tolerates no failure). The watch stops early once a URL has failed so
// often that it must fail even if every remaining probe succeeds.
func (c *Checker) Watch(ctx context.Context, urls []string, window, interval time.Duration, maxErrorRate float64) Report {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	rep := Report{Kind: KindWatch, Expect: c.Expect.String(), Window: window, Interval: interval, MaxErrorRate: maxErrorRate}
	rep.Results = make([]Result, len(urls))
	for i, u := range urls {
		rep.Results[i] = Result{URL: u, OK: true}
	}
	if len(urls) == 0 {
		return rep
	}
	// The most probes a URL can get: one at the start and one per interval.
	planned := int(window/interval) + 1
	if window%interval != 0 {
		planned++
	}
	hc := c.client()
	start := c.now()
	deadline := start.Add(window)
	for {
		var wg sync.WaitGroup
		for i := range rep.Results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &rep.Results[i]
				ok, status, errText := c.probe(ctx, hc, r.URL)
				if ctx.Err() != nil {
					return // not the app's failure
				}
				r.Probes++
				r.Status, r.Err = status, errText
				if !ok {
					r.Failures++
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			rep.Err = fmt.Errorf("watch interrupted: %w", err)
			break
		}
		doomed := false
		for _, r := range rep.Results {
			if float64(r.Failures) > maxErrorRate*float64(planned) {
				doomed = true
			}
		}
		remaining := deadline.Sub(c.now())
		if doomed || remaining <= 0 {
			break
		}
		if err := c.wait(ctx, min(interval, remaining), watchProgress(rep.Results), remaining); err != nil {
			rep.Err = fmt.Errorf("watch interrupted: %w", err)
			break
		}
	}
	elapsed := c.now().Sub(start)
	for i := range rep.Results {
		r := &rep.Results[i]
		r.Attempts = r.Probes
		r.Duration = elapsed
		r.OK = r.Probes > 0 && r.ErrorRate() <= maxErrorRate
	}
	return rep
}
