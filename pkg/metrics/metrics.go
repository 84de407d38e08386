package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/lockstep-ci/lockstep/pkg/progress"
)

// Defaults of the gate.
const (
	// DefaultInterval is the time between evaluations (metrics-interval).
	DefaultInterval = 15 * time.Second
	// DefaultQueryTimeout bounds one query.
	DefaultQueryTimeout = 10 * time.Second
	// MaxErrorRounds is how many rounds in a row a query may fail to
	// evaluate (Prometheus unreachable, overloaded) before the gate fails.
	MaxErrorRounds = 3
	// MaxSamples caps the samples a report keeps per query.
	MaxSamples = 10
)

// Endpoint is a Prometheus server's HTTP API.
type Endpoint struct {
	api v1.API
	// Address is the server's URL without credentials, for messages.
	Address string
	timeout time.Duration
}

// NewEndpoint connects to the Prometheus at rawURL (http or https, optional
// user:password@, optional path prefix) through hc (nil means
// http.DefaultClient's transport). Credentials move from the URL to a basic
// auth header.
func NewEndpoint(rawURL string, hc *http.Client) (*Endpoint, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("is not an http:// or https:// URL")
	}
	user := u.User
	u.User = nil
	u.Fragment = ""
	display := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	var rt http.RoundTripper = http.DefaultTransport
	if hc != nil && hc.Transport != nil {
		rt = hc.Transport
	}
	if user != nil {
		pass, _ := user.Password()
		rt = &basicAuth{next: rt, user: user.Username(), pass: pass}
	}
	c, err := api.NewClient(api.Config{Address: u.String(), RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("is not a Prometheus URL: %w", err)
	}
	return &Endpoint{api: v1.NewAPI(c), Address: display, timeout: DefaultQueryTimeout}, nil
}

// Credentials are the secrets in a Prometheus URL, to be masked: the
// password and the whole user:password pair; nil without them.
func Credentials(rawURL string) []string {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.User == nil {
		return nil
	}
	var out []string
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, p, url.QueryEscape(p))
	}
	if s := u.User.String(); s != "" && s != u.User.Username() {
		out = append(out, s)
	}
	return out
}

type basicAuth struct {
	next       http.RoundTripper
	user, pass string
}

func (b *basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.pass)
	return b.next.RoundTrip(req)
}

// Sample is one element of a query's result.
type Sample struct {
	// Labels are the series' labels as PromQL writes them
	// ({code="500", job="app"}), "{}" for none.
	Labels string
	Value  string
}

func (s Sample) String() string { return s.Labels + " " + s.Value }

// QueryError is a query Prometheus could not evaluate.
type QueryError struct {
	Query   string
	Address string
	// Bad is true when Prometheus rejected the query itself (bad_data:
	// a parse error, an unknown function), false when it could not be
	// asked or failed to answer.
	Bad bool
	Err error
}

func (e *QueryError) Error() string {
	if e.Bad {
		return fmt.Sprintf("metrics query %q is not valid: Prometheus at %s says %v", e.Query, e.Address, e.Err)
	}
	return fmt.Sprintf("querying Prometheus at %s for %q: %v", e.Address, e.Query, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }

// Query evaluates q at time at (an instant query) and returns its samples,
// sorted by labels.
func (e *Endpoint) Query(ctx context.Context, q string, at time.Time) ([]Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	val, _, _, err := e.api.Query(ctx, q, at)
	if err != nil {
		var pe *v1.Error
		bad := errors.As(err, &pe) && pe.Type == v1.ErrBadData
		return nil, &QueryError{Query: q, Address: e.Address, Bad: bad, Err: cleanError(err, ctx, e.timeout)}
	}
	return samples(val), nil
}

// cleanError drops net/http's `Post "<url>": ` prefix (the address is
// already in the message) and names a timeout.
func cleanError(err error, ctx context.Context, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func samples(val model.Value) []Sample {
	var out []Sample
	switch v := val.(type) {
	case model.Vector:
		for _, s := range v {
			out = append(out, Sample{Labels: labels(s.Metric), Value: s.Value.String()})
		}
	case model.Matrix:
		for _, ss := range v {
			value := ""
			if n := len(ss.Values); n > 0 {
				value = ss.Values[n-1].Value.String()
			}
			out = append(out, Sample{Labels: labels(ss.Metric), Value: value})
		}
	case *model.Scalar:
		out = append(out, Sample{Labels: "{}", Value: v.Value.String()})
	case *model.String:
		out = append(out, Sample{Labels: "{}", Value: fmt.Sprintf("%q", v.Value)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Labels < out[j].Labels })
	return out
}

func labels(m model.Metric) string {
	if len(m) == 0 {
		return "{}"
	}
	return m.String()
}

// Gate evaluates queries over a window.
type Gate struct {
	Endpoint *Endpoint
	// Queries are PromQL expressions; any sample fails the gate.
	Queries []string
	// Interval is the time between rounds; zero means DefaultInterval.
	Interval time.Duration
	// RequireData fails a query whose measured value (the side before its
	// comparison, see Measured) returned nothing in every round.
	RequireData bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits; nil means a real timer.
	Sleep progress.Sleeper
	// Progress receives a line per round and at least every progress.Every.
	Progress progress.Func
}

// Check evaluates every query once, before anything is deployed: it
// returns the first *QueryError (Prometheus unreachable, a bad query) and,
// with RequireData, an error for a query whose measured value cannot be
// found. Samples do not fail it: they describe the version running now.
func (g *Gate) Check(ctx context.Context) error {
	if g.Endpoint == nil {
		return errors.New("no Prometheus configured")
	}
	for _, q := range g.Queries {
		if _, err := g.Endpoint.Query(ctx, q, g.now()); err != nil {
			return err
		}
		if g.RequireData {
			if _, ok := Measured(q); !ok {
				return fmt.Errorf("metrics query %q: metrics-require-data needs each query to end in one comparison, like `error_ratio > 0.05`, to know what value must exist", q)
			}
		}
	}
	return nil
}

// Watch evaluates every query at once, then every Interval until window
// has passed, the last round at its end (a zero window is one round). It
// stops at the first round in which a query returns a sample, Prometheus
// rejects a query, or a query failed to evaluate MaxErrorRounds rounds in a
// row. what names the wait in progress lines ("canary step 1 of 3 (10%)").
func (g *Gate) Watch(ctx context.Context, window time.Duration, what string) Report {
	interval := g.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	rep := Report{Address: g.address(), Window: window, Interval: interval, RequireData: g.RequireData}
	rep.Results = make([]QueryResult, len(g.Queries))
	for i, q := range g.Queries {
		rep.Results[i].Query = q
		rep.Results[i].DataQuery, _ = Measured(q)
	}
	if g.Endpoint == nil {
		rep.Err = errors.New("no Prometheus configured")
		return rep
	}
	start := g.now()
	deadline := start.Add(window)
	var lastLine time.Time
	for {
		stop := g.round(ctx, &rep, start)
		if err := ctx.Err(); err != nil {
			rep.Err = fmt.Errorf("metrics gate interrupted: %w", err)
			break
		}
		remaining := deadline.Sub(g.now())
		if stop || remaining <= 0 {
			break
		}
		wait := min(interval, remaining)
		rounds := rep.Results[0].Rounds
		tell := func(left time.Duration) {
			// A line when the next chance to print (this slice's end) would
			// leave the log silent for longer than progress.Every: with a
			// short interval, not one per round.
			now := g.now()
			if g.Progress == nil || (!lastLine.IsZero() && now.Sub(lastLine)+min(left, progress.Every) <= progress.Every) {
				return
			}
			lastLine = now
			g.Progress(progress.Line(fmt.Sprintf("%s: metrics gate, %s clean after %d round(s)", what, countQueries(len(rep.Results)), rounds),
				remaining-(wait-left)))
		}
		if err := progress.Wait(ctx, wait, g.Sleep, tell); err != nil {
			rep.Err = fmt.Errorf("metrics gate interrupted: %w", err)
			break
		}
	}
	rep.Took = g.now().Sub(start)
	for i := range rep.Results {
		rep.Results[i].settle(g.RequireData)
	}
	return rep
}

// round evaluates every query once; it reports whether the watch must stop.
func (g *Gate) round(ctx context.Context, rep *Report, start time.Time) (stop bool) {
	at := g.now()
	for i := range rep.Results {
		r := &rep.Results[i]
		got, err := g.Endpoint.Query(ctx, r.Query, at)
		if ctx.Err() != nil {
			return true
		}
		r.Rounds++
		var qe *QueryError
		switch {
		case errors.As(err, &qe):
			r.Err, r.Bad = qe.Err.Error(), qe.Bad
			r.ErrorRounds++
			if qe.Bad || r.ErrorRounds >= MaxErrorRounds {
				stop = true
			}
			continue
		case err != nil:
			r.Err = err.Error()
			r.ErrorRounds++
			continue
		}
		r.Err, r.ErrorRounds = "", 0
		if len(got) > 0 {
			r.Fired, r.Total = true, len(got)
			r.Samples = got[:min(len(got), MaxSamples)]
			r.FiredAt = at.Sub(start)
			stop = true
			continue
		}
		if r.DataQuery != "" && !r.HadData {
			data, err := g.Endpoint.Query(ctx, r.DataQuery, at)
			r.HadData = err == nil && len(data) > 0
		}
	}
	return stop
}

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gate) address() string {
	if g.Endpoint == nil {
		return ""
	}
	return g.Endpoint.Address
}

// QueryResult is one query over a window.
type QueryResult struct {
	Query string
	// DataQuery is the measured value's expression (see Measured), "" when
	// the query has none.
	DataQuery string
	OK        bool
	Rounds    int
	// Fired is true when the query returned samples; Samples are the first
	// MaxSamples of them (sorted by labels), Total how many there were.
	Fired   bool
	Samples []Sample
	Total   int
	// FiredAt is when, after the window's start, it returned them.
	FiredAt time.Duration
	// Err is the last evaluation's error ("" when it succeeded); Bad means
	// Prometheus rejected the query; ErrorRounds counts failed rounds in a
	// row.
	Err         string
	Bad         bool
	ErrorRounds int
	// HadData is true when the measured value returned a sample in some
	// round; NoData marks a query that failed for lack of it.
	HadData bool
	NoData  bool
}

func (r *QueryResult) settle(requireData bool) {
	r.NoData = requireData && !r.Fired && r.Err == "" && r.Rounds > 0 && !r.HadData
	r.OK = r.Rounds > 0 && !r.Fired && r.Err == "" && !r.NoData
}

// Report is a metrics gate's outcome.
type Report struct {
	Address     string
	Window      time.Duration
	Interval    time.Duration
	RequireData bool
	Results     []QueryResult
	Took        time.Duration
	// Err is set when the gate could not run to its end (canceled).
	Err error
}

// OK reports whether every query passed and the gate ran to its end.
func (r Report) OK() bool {
	if r.Err != nil {
		return false
	}
	for _, q := range r.Results {
		if !q.OK {
			return false
		}
	}
	return true
}

// Unavailable reports whether the gate failed because Prometheus could not
// evaluate a query (unreachable, or the query rejected), not because of what
// it measured.
func (r Report) Unavailable() bool {
	for _, q := range r.Results {
		if !q.OK && q.Err != "" {
			return true
		}
	}
	return false
}

// Failed returns the queries that did not pass.
func (r Report) Failed() []QueryResult {
	var out []QueryResult
	for _, q := range r.Results {
		if !q.OK {
			out = append(out, q)
		}
	}
	return out
}

// NoDataWarnings name the queries whose measured value returned nothing in
// any round while metrics-require-data was off: they may measure nothing.
func (r Report) NoDataWarnings() []string {
	var out []string
	for _, q := range r.Results {
		if !r.RequireData && q.OK && q.DataQuery != "" && !q.HadData {
			out = append(out, fmt.Sprintf("metrics query %q: its measured value %q returned no data in %d round(s); it may measure nothing (metrics-require-data: true makes this a failure)", q.Query, q.DataQuery, q.Rounds))
		}
	}
	return out
}

func countQueries(n int) string {
	if n == 1 {
		return "1 query"
	}
	return fmt.Sprintf("%d queries", n)
}
