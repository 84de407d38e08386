package verify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTime is a clock that only moves when the code under test sleeps; it
// records every sleep.
type fakeTime struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeTime() *fakeTime {
	return &fakeTime{now: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)}
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *fakeTime) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

func checker(ft *fakeTime) *Checker {
	return &Checker{Now: ft.Now, Sleep: ft.Sleep}
}

// sequence serves the given status codes in order, repeating the last.
func sequence(t *testing.T, codes ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(codes) {
			i = len(codes) - 1
		}
		assert.Equal(t, userAgent, r.Header.Get("User-Agent"))
		w.WriteHeader(codes[i])
		w.Write([]byte("secret body that must never be shown"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func s(n int) time.Duration { return time.Duration(n) * time.Second }

func TestSmoke(t *testing.T) {
	tests := []struct {
		name         string
		codes        []int
		expect       string
		timeout      time.Duration
		wantOK       bool
		wantAttempts int
		wantStatus   int
		wantSleeps   []time.Duration
	}{
		{"healthy at once", []int{200}, "", s(120), true, 1, 200, nil},
		{"503 then 200", []int{503, 503, 200}, "", s(120), true, 3, 200, []time.Duration{s(1), s(2)}},
		{
			"never healthy: backoff capped at 15s, last attempt at the timeout",
			[]int{503}, "", s(40), false, 7, 503,
			[]time.Duration{s(1), s(2), s(4), s(8), s(10), s(5), s(10)}, // the 15s backoff in two slices, a progress line before each
		},
		{"zero timeout: one attempt", []int{500}, "", 0, false, 1, 500, nil},
		{"expected 204 exactly", []int{200, 204}, "204", s(10), true, 2, 204, []time.Duration{s(1)}},
		{"2xx is the default; 404 is not", []int{404}, "", s(3), false, 3, 404, []time.Duration{s(1), s(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := sequence(t, tt.codes...)
			ft := newFakeTime()
			c := checker(ft)
			if tt.expect != "" {
				set, err := config.ParseStatusSet(tt.expect)
				require.NoError(t, err)
				c.Expect = set
			}
			rep := c.Smoke(context.Background(), []string{srv.URL + "/healthz"}, tt.timeout)
			require.Len(t, rep.Results, 1)
			res := rep.Results[0]
			assert.Equal(t, tt.wantOK, rep.OK())
			assert.Equal(t, tt.wantOK, res.OK)
			assert.Equal(t, tt.wantAttempts, res.Attempts)
			assert.Equal(t, tt.wantStatus, res.Status)
			assert.Empty(t, res.Err)
			assert.Equal(t, tt.wantSleeps, ft.Sleeps())
			var total time.Duration
			for _, d := range tt.wantSleeps {
				total += d
			}
			assert.Equal(t, total, res.Duration)
			assert.NotContains(t, rep.Markdown(), "secret body")
		})
	}
}

func TestSmokeConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	ft := newFakeTime()
	rep := checker(ft).Smoke(context.Background(), []string{"http://" + addr + "/healthz"}, s(5))
	require.Len(t, rep.Results, 1)
	res := rep.Results[0]
	assert.False(t, rep.OK())
	assert.Equal(t, 0, res.Status)
	assert.Contains(t, res.Err, "connection refused")
	assert.NotContains(t, res.Err, "http://", "the URL is not repeated in the error")
	assert.Equal(t, 4, res.Attempts) // at 0, 1, 3 and 5 seconds
	assert.Equal(t, []time.Duration{s(1), s(2), s(2)}, ft.Sleeps())
}

func TestSmokeDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { followed.Store(true) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	expect301, err := config.ParseStatusSet("301")
	require.NoError(t, err)
	caller := &http.Client{Timeout: time.Minute}
	c := &Checker{Client: caller, Expect: expect301, Now: newFakeTime().Now, Sleep: newFakeTime().Sleep}
	rep := c.Smoke(context.Background(), []string{srv.URL + "/"}, 0)
	assert.True(t, rep.OK(), rep.Summary())
	assert.Equal(t, 301, rep.Results[0].Status)
	assert.Nil(t, caller.CheckRedirect, "the caller's client is not modified")

	// With the default 2xx, the redirect is a failure, not the login page's 200.
	c.Expect = config.StatusSet{}
	rep = c.Smoke(context.Background(), []string{srv.URL + "/"}, 0)
	assert.False(t, rep.OK())
	assert.Equal(t, 301, rep.Results[0].Status)
	assert.False(t, followed.Load(), "the redirect was followed")
}

func TestSmokeManyURLsConcurrently(t *testing.T) {
	good, _ := sequence(t, 200)
	bad, _ := sequence(t, 502)
	release := make(chan struct{})
	var inFlight atomic.Int32
	// Both slow URLs must be in flight at once for either to answer.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inFlight.Add(1) == 2 {
			close(release)
		}
		<-release
	}))
	defer slow.Close()

	ft := newFakeTime()
	rep := checker(ft).Smoke(context.Background(), []string{good.URL, bad.URL, slow.URL + "/a", slow.URL + "/b"}, s(3))
	require.Len(t, rep.Results, 4)
	assert.False(t, rep.OK())
	assert.Equal(t, []string{good.URL, bad.URL, slow.URL + "/a", slow.URL + "/b"},
		[]string{rep.Results[0].URL, rep.Results[1].URL, rep.Results[2].URL, rep.Results[3].URL}, "results keep the input order")
	require.Len(t, rep.Failed(), 1)
	assert.Equal(t, bad.URL, rep.Failed()[0].URL)
	assert.Equal(t, "smoke failed for 1 of 4 URLs: "+bad.URL+": 502 after 3 attempts", rep.Summary())
}

func TestSmokeAttemptTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c := checker(newFakeTime())
	c.AttemptTimeout = 20 * time.Millisecond
	rep := c.Smoke(context.Background(), []string{srv.URL}, 0)
	assert.Equal(t, "timed out after 20ms", rep.Results[0].Err)
}

func TestSmokeCanceled(t *testing.T) {
	srv, _ := sequence(t, 503)
	ctx, cancel := context.WithCancel(context.Background())
	ft := newFakeTime()
	c := &Checker{Now: ft.Now, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ft.Sleep(ctx, d)
	}}
	rep := c.Smoke(ctx, []string{srv.URL}, s(60))
	assert.False(t, rep.OK())
	assert.ErrorIs(t, rep.Err, context.Canceled)
	assert.Equal(t, 1, rep.Results[0].Attempts)
	assert.Contains(t, rep.Markdown(), "smoke checks interrupted: context canceled")
}

func TestSmokeNoURLs(t *testing.T) {
	rep := checker(newFakeTime()).Smoke(context.Background(), nil, s(60))
	assert.True(t, rep.OK())
	assert.Equal(t, "### Smoke checks\n\nNo smoke URLs configured.\n", rep.Markdown())
}

func TestWatch(t *testing.T) {
	ok, fail := 200, 500
	tests := []struct {
		name         string
		codes        []int // per probe, the last repeats
		maxErrorRate float64
		wantOK       bool
		wantProbes   int
		wantFailures int
	}{
		{"all healthy", []int{ok}, 0.05, true, 10, 0},
		{"1 of 10 failing is over 5%", []int{ok, ok, ok, ok, ok, ok, ok, ok, ok, fail}, 0.05, false, 10, 1},
		{"1 of 10 failing is within 10%", []int{ok, ok, fail, ok}, 0.10, true, 10, 1},
		{"stops once failing is certain", []int{ok, ok, fail, ok}, 0.05, false, 3, 1},
		{"zero tolerates nothing", []int{ok, ok, ok, ok, ok, ok, ok, ok, ok, fail}, 0, false, 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := sequence(t, tt.codes...)
			ft := newFakeTime()
			rep := checker(ft).Watch(context.Background(), []string{srv.URL}, s(90), s(10), tt.maxErrorRate)
			require.Len(t, rep.Results, 1)
			res := rep.Results[0]
			assert.Equal(t, tt.wantOK, rep.OK())
			assert.Equal(t, tt.wantProbes, res.Probes)
			assert.Equal(t, tt.wantFailures, res.Failures)
			assert.Len(t, ft.Sleeps(), tt.wantProbes-1)
			for _, d := range ft.Sleeps() {
				assert.Equal(t, s(10), d)
			}
		})
	}
}

func TestWatchLastRoundAtWindowEnd(t *testing.T) {
	srv, _ := sequence(t, 200)
	ft := newFakeTime()
	rep := checker(ft).Watch(context.Background(), []string{srv.URL}, s(25), 0, 0.05)
	assert.True(t, rep.OK())
	assert.Equal(t, 4, rep.Results[0].Probes) // 0, 10, 20, 25
	assert.Equal(t, []time.Duration{s(10), s(10), s(5)}, ft.Sleeps())
	assert.Equal(t, s(10), rep.Interval) // the default interval
}

func TestWatchMarkdown(t *testing.T) {
	good, _ := sequence(t, 200)
	bad, _ := sequence(t, 200, 503)
	ft := newFakeTime()
	rep := checker(ft).Watch(context.Background(), []string{good.URL, bad.URL}, s(20), s(10), 0.05)
	assert.False(t, rep.OK())
	md := rep.Markdown()
	assert.Contains(t, md, "### ❌ Watch failed\n\n1 of 2 URLs went over a 5% error rate (probed every 10s over 20s).\n")
	assert.Contains(t, md, "| `"+bad.URL+"` | ❌ failed | 2 | 1 | 50% | 503 |\n")
	assert.Contains(t, md, "| `"+good.URL+"` | ✅ healthy | 2 | 0 | 0% | 200 |\n")
	assert.Equal(t, "watch failed for 1 of 2 URLs: "+bad.URL+": 50% errors (1 of 2), last 503", rep.Summary())
}

func TestSmokeMarkdown(t *testing.T) {
	rep := Report{
		Kind: KindSmoke, Expect: "2xx", Timeout: 2 * time.Minute,
		Results: []Result{
			{URL: "https://app.example.com/healthz", OK: true, Attempts: 1, Status: 200, Duration: 42 * time.Millisecond},
			{URL: "https://app.example.com/a|b?<script>`x`", Attempts: 9, Status: 0,
				Err: "dial tcp: lookup app.example.com\nno such host <b>", Duration: 2 * time.Minute},
		},
	}
	want := "### ❌ Smoke checks failed\n\n1 of 2 URLs did not answer 2xx within 2m0s.\n\n" +
		"| URL | Result | Attempts | Last answer | Took |\n| --- | --- | ---: | --- | ---: |\n" +
		"| `https://app.example.com/healthz` | ✅ healthy | 1 | 200 | 42ms |\n" +
		"| `` https://app.example.com/a\\|b?<script>`x` `` | ❌ failed | 9 | dial tcp: lookup app.example.com no such host &lt;b&gt; | 2m0s |\n"
	assert.Equal(t, want, rep.Markdown())

	rep.Results = rep.Results[:1]
	assert.Equal(t, "### ✅ Smoke checks passed\n\n1 URL answered 2xx.\n\n"+
		"| URL | Result | Attempts | Last answer | Took |\n| --- | --- | ---: | --- | ---: |\n"+
		"| `https://app.example.com/healthz` | ✅ healthy | 1 | 200 | 42ms |\n", rep.Markdown())
	assert.Equal(t, "smoke: 1 URL healthy", rep.Summary())
}

// Cells use pkg/comment's escaping (tested there in depth); here, the
// properties a smoke table relies on.
func TestEscapeCell(t *testing.T) {
	for _, in := range []string{"a|b", "<img src=x>", "`code`", "line1\nline2", "esc\x1b[31m", "@oncall #12"} {
		out := escapeCell(in)
		assert.NotRegexp(t, `(^|[^\\])\|`, out, "an unescaped pipe would end the cell: %q", in)
		assert.NotContains(t, out, "<", in)
		assert.NotContains(t, out, "\n", in)
		assert.NotContains(t, out, "\x1b", in)
		assert.NotContains(t, out, "@o", "a mention would ping: %q", in)
	}
}

func TestSmokeCheckAdapter(t *testing.T) {
	srv, _ := sequence(t, 200)
	var got []Report
	check := checker(newFakeTime()).SmokeCheck([]string{srv.URL}, s(10), func(r Report) { got = append(got, r) })
	ok, details := check(context.Background())
	assert.True(t, ok)
	assert.Equal(t, "smoke: 1 URL healthy", details)
	require.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(got[0].Markdown(), "### ✅ Smoke checks passed"))
}
