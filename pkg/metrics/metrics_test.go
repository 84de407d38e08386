package metrics

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/promtest"
)

// One real Prometheus for the package: it takes seconds to answer.
func TestMain(m *testing.M) {
	code := m.Run()
	promtest.StopShared()
	os.Exit(code)
}

// serveGauge makes the shared Prometheus scrape one gauge,
// lockstep_test_errors{case=<name>} = value, and waits until it has.
func serveGauge(t *testing.T, name string, value float64) *promtest.Server {
	t.Helper()
	p := promtest.Shared(t)
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lockstep_test_errors", Help: "test"}, []string{"case"})
	reg.MustRegister(g)
	g.WithLabelValues(name).Set(value)
	p.Serve(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	p.WaitFor(t, `lockstep_test_errors{case="`+name+`"} == `+strconv.FormatFloat(value, 'g', -1, 64), 30*time.Second)
	return p
}

func endpoint(t *testing.T, url string) *Endpoint {
	t.Helper()
	e, err := NewEndpoint(url, nil)
	require.NoError(t, err)
	return e
}

func TestWatchFailsOnAQueryThatReturnsSamplesAndShowsTheirLabels(t *testing.T) {
	p := serveGauge(t, "fired", 3)
	g := &Gate{Endpoint: endpoint(t, p.URL), Queries: []string{
		`lockstep_test_errors{case="fired"} > 100`,
		`lockstep_test_errors{case="fired"} > 0`,
	}}
	rep := g.Watch(promtest.Context(t), 0, "test")

	require.False(t, rep.OK())
	require.Len(t, rep.Results, 2)
	assert.True(t, rep.Results[0].OK, "the first query returns nothing")
	q := rep.Results[1]
	assert.True(t, q.Fired)
	assert.Equal(t, 1, q.Rounds)
	require.Len(t, q.Samples, 1)
	assert.Equal(t, `lockstep_test_errors{case="fired", instance="`+strings.TrimPrefix(relayOf(t, p), "http://")+`", job="app"}`, q.Samples[0].Labels)
	assert.Equal(t, "3", q.Samples[0].Value)
	assert.False(t, rep.Unavailable())

	md := rep.Markdown()
	assert.Contains(t, md, "### ❌ Metrics gate failed")
	assert.Contains(t, md, "`lockstep_test_errors{case=\"fired\"} > 0`")
	assert.Contains(t, md, `case="fired"`)
	assert.Contains(t, md, `job="app"`)
	assert.Contains(t, rep.Summary(), `lockstep_test_errors{case="fired"} > 0: 1 sample(s): lockstep_test_errors{case="fired", instance=`)
}

// relayOf is the instance label Prometheus gives the relay target.
func relayOf(t *testing.T, p *promtest.Server) string {
	t.Helper()
	e := endpoint(t, p.URL)
	s, err := e.Query(promtest.Context(t), `up{job="app"}`, time.Now())
	require.NoError(t, err)
	require.Len(t, s, 1)
	_, rest, _ := strings.Cut(s[0].Labels, `instance="`)
	inst, _, _ := strings.Cut(rest, `"`)
	return inst
}

func TestWatchPassesWhenNoQueryReturnsSamples(t *testing.T) {
	p := serveGauge(t, "clean", 1)
	g := &Gate{Endpoint: endpoint(t, p.URL), RequireData: true, Queries: []string{`lockstep_test_errors{case="clean"} > 5`}}
	require.NoError(t, g.Check(promtest.Context(t)))
	rep := g.Watch(promtest.Context(t), 0, "test")
	assert.True(t, rep.OK(), rep.Summary())
	assert.True(t, rep.Results[0].HadData, "the measured value exists")
	assert.Contains(t, rep.Markdown(), "### ✅ Metrics gate passed")
	assert.Equal(t, "metrics: 1 query clean", rep.Summary())
}

func TestRequireDataFailsAQueryThatMeasuresNothing(t *testing.T) {
	p := serveGauge(t, "nodata", 1)
	q := `sum(rate(lockstep_test_missing_total[1m])) > 0.05`
	g := &Gate{Endpoint: endpoint(t, p.URL), RequireData: true, Queries: []string{q}}
	rep := g.Watch(promtest.Context(t), 0, "test")
	require.False(t, rep.OK())
	assert.True(t, rep.Results[0].NoData)
	assert.Contains(t, rep.Summary(), "no data: sum(rate(lockstep_test_missing_total[1m])) returned nothing in 1 round(s), and metrics-require-data is true")
	assert.Contains(t, rep.Markdown(), "❌ no data")

	// Without it, the query passes with a warning.
	g.RequireData = false
	rep = g.Watch(promtest.Context(t), 0, "test")
	require.True(t, rep.OK())
	require.Len(t, rep.NoDataWarnings(), 1)
	assert.Contains(t, rep.Markdown(), "it may measure nothing")
}

func TestRequireDataRefusesAQueryWithoutAComparison(t *testing.T) {
	p := promtest.Shared(t)
	g := &Gate{Endpoint: endpoint(t, p.URL), RequireData: true, Queries: []string{`sum(up)`}}
	err := g.Check(promtest.Context(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `metrics query "sum(up)": metrics-require-data needs each query to end in one comparison`)
}

func TestABadQueryIsReportedInPrometheusOwnWords(t *testing.T) {
	p := promtest.Shared(t)
	q := `sum(rate(http_requests_total[1m])`
	g := &Gate{Endpoint: endpoint(t, p.URL), Queries: []string{q}}
	err := g.Check(promtest.Context(t))
	var qe *QueryError
	require.True(t, errors.As(err, &qe), "%v", err)
	assert.True(t, qe.Bad)
	assert.Contains(t, err.Error(), `metrics query "sum(rate(http_requests_total[1m])" is not valid: Prometheus at `+p.URL+` says bad_data:`)
	assert.Contains(t, err.Error(), "parse error")

	rep := g.Watch(promtest.Context(t), time.Hour, "test")
	require.False(t, rep.OK())
	assert.Equal(t, 1, rep.Results[0].Rounds, "a bad query stops the watch at once")
	assert.True(t, rep.Unavailable())
	assert.Contains(t, rep.Markdown(), "❌ bad query")
}

func TestAnUnreachablePrometheusIsAClearFailureWithoutCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	e := endpoint(t, "http://metrics:s3cr3t-pw@"+addr+"/prom")
	assert.Equal(t, "http://"+addr+"/prom", e.Address)

	g := &Gate{Endpoint: e, Queries: []string{`up == 0`}}
	err = g.Check(promtest.Context(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `querying Prometheus at http://`+addr+`/prom for "up == 0": `)
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), "s3cr3t")

	// Over a window it gives up after MaxErrorRounds rounds in a row.
	clock := newClock()
	g.Now, g.Sleep, g.Interval = clock.now, clock.sleep, time.Second
	rep := g.Watch(promtest.Context(t), time.Minute, "test")
	require.False(t, rep.OK())
	assert.Equal(t, 3, rep.Results[0].Rounds)
	assert.True(t, rep.Unavailable())
	assert.NotContains(t, rep.Markdown()+rep.Summary(), "s3cr3t")
}

func TestCredentialsInTheURLAreSentAsBasicAuth(t *testing.T) {
	p := serveGauge(t, "auth", 1)
	// Prometheus without a web config ignores the header; the query works
	// and the address shown has no credentials.
	e := endpoint(t, strings.Replace(p.URL, "http://", "http://user:pa55word@", 1))
	assert.Equal(t, p.URL, e.Address)
	s, err := e.Query(promtest.Context(t), `lockstep_test_errors{case="auth"}`, time.Now())
	require.NoError(t, err)
	assert.Len(t, s, 1)
	assert.ElementsMatch(t, []string{"pa55word", "pa55word", "user:pa55word"}, Credentials("http://user:pa55word@h/"))
	assert.Nil(t, Credentials("http://h/"))
}

func TestWatchPrintsProgressAtLeastEveryTenSeconds(t *testing.T) {
	p := serveGauge(t, "progress", 1)
	clock := newClock()
	var lines []string
	var at []time.Duration
	g := &Gate{Endpoint: endpoint(t, p.URL), Queries: []string{`lockstep_test_errors{case="progress"} > 5`},
		Interval: 15 * time.Second, Now: clock.now, Sleep: clock.sleep,
		Progress: func(l string) { lines = append(lines, l); at = append(at, clock.elapsed()) }}
	rep := g.Watch(promtest.Context(t), 40*time.Second, "canary step 1 of 2 (50%)")
	require.True(t, rep.OK(), rep.Summary())
	assert.Equal(t, 4, rep.Results[0].Rounds, "at 0s, 15s, 30s and 40s")
	assert.Equal(t, []string{
		"⏳ canary step 1 of 2 (50%): metrics gate, 1 query clean after 1 round(s): 40s left",
		"⏳ canary step 1 of 2 (50%): metrics gate, 1 query clean after 1 round(s): 30s left",
		"⏳ canary step 1 of 2 (50%): metrics gate, 1 query clean after 2 round(s): 25s left",
		"⏳ canary step 1 of 2 (50%): metrics gate, 1 query clean after 2 round(s): 15s left",
		"⏳ canary step 1 of 2 (50%): metrics gate, 1 query clean after 3 round(s): 10s left",
	}, lines)
	prev := time.Duration(0)
	for i, a := range append(at, 40*time.Second) {
		assert.LessOrEqual(t, a-prev, 10*time.Second, "silent from %s to %s (line %d)", prev, a, i)
		prev = a
	}
}

// A short interval makes a round a second, not a line a second.
func TestWatchWithAShortIntervalPrintsAboutEveryTenSeconds(t *testing.T) {
	p := serveGauge(t, "short", 1)
	clock := newClock()
	var at []time.Duration
	g := &Gate{Endpoint: endpoint(t, p.URL), Queries: []string{`lockstep_test_errors{case="short"} > 5`},
		Interval: time.Second, Now: clock.now, Sleep: clock.sleep,
		Progress: func(string) { at = append(at, clock.elapsed()) }}
	rep := g.Watch(promtest.Context(t), 30*time.Second, "watch")
	require.True(t, rep.OK(), rep.Summary())
	assert.Equal(t, 31, rep.Results[0].Rounds)
	assert.Equal(t, []time.Duration{0, 10 * time.Second, 20 * time.Second}, at)
}

func TestNewEndpointRefusesWhatIsNoURL(t *testing.T) {
	for _, u := range []string{"", "prometheus:9090", "ftp://h/", "http://"} {
		_, err := NewEndpoint(u, nil)
		assert.EqualError(t, err, "is not an http:// or https:// URL", u)
	}
}

// clock is a fake clock that sleeping moves.
type clock struct{ start, t time.Time }

func newClock() *clock { n := time.Now(); return &clock{start: n, t: n} }

func (c *clock) now() time.Time         { return c.t }
func (c *clock) elapsed() time.Duration { return c.t.Sub(c.start) }
func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.t = c.t.Add(d)
	return nil
}
