package verify

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// progressLog records progress lines with the fake time they came at.
type progressLog struct {
	mu    sync.Mutex
	ft    *fakeTime
	lines []string
	at    []time.Time
}

func (p *progressLog) add(l string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, l)
	p.at = append(p.at, p.ft.Now())
}

// assertNeverSilent checks that no two lines, nor the last line and end,
// are more than 10s apart.
func (p *progressLog) assertNeverSilent(t *testing.T, start, end time.Time) {
	t.Helper()
	prev := start
	for i, a := range append(p.at, end) {
		assert.LessOrEqual(t, a.Sub(prev), 10*time.Second, "silent from %s to %s (line %d)", prev.Format(time.TimeOnly), a.Format(time.TimeOnly), i)
		prev = a
	}
}

func TestSmokeRetriesSayWhatTheyWaitFor(t *testing.T) {
	srv, _ := sequence(t, 503)
	ft := newFakeTime()
	start := ft.Now()
	p := &progressLog{ft: ft}
	c := checker(ft)
	c.Progress = p.add
	rep := c.Smoke(context.Background(), []string{srv.URL + "/healthz"}, s(40))
	require.False(t, rep.OK())
	u := srv.URL + "/healthz"
	assert.Equal(t, []string{
		"⏳ smoke " + u + " answered 503 (attempt 1), retrying in 1s: 40s left",
		"⏳ smoke " + u + " answered 503 (attempt 2), retrying in 2s: 39s left",
		"⏳ smoke " + u + " answered 503 (attempt 3), retrying in 4s: 37s left",
		"⏳ smoke " + u + " answered 503 (attempt 4), retrying in 8s: 33s left",
		"⏳ smoke " + u + " answered 503 (attempt 5), retrying in 15s: 25s left",
		"⏳ smoke " + u + " answered 503 (attempt 5), retrying in 15s: 15s left",
		"⏳ smoke " + u + " answered 503 (attempt 6), retrying in 10s: 10s left",
	}, p.lines)
	p.assertNeverSilent(t, start, ft.Now())
}

func TestWatchSaysHowItStandsAtLeastEveryTenSeconds(t *testing.T) {
	srv, _ := sequence(t, 200, 503, 200)
	ft := newFakeTime()
	start := ft.Now()
	p := &progressLog{ft: ft}
	c := checker(ft)
	c.Progress = p.add
	rep := c.Watch(context.Background(), []string{srv.URL}, s(30), s(15), 0.5)
	require.True(t, rep.OK(), rep.Summary())
	assert.Equal(t, []string{
		"⏳ watch of 1 URL: 0 of 1 probes failed so far: 30s left",
		"⏳ watch of 1 URL: 0 of 1 probes failed so far: 20s left",
		"⏳ watch of 1 URL: 1 of 2 probes failed so far: 15s left",
		"⏳ watch of 1 URL: 1 of 2 probes failed so far: 5s left",
	}, p.lines)
	p.assertNeverSilent(t, start, ft.Now())
	assert.False(t, strings.Contains(strings.Join(p.lines, "\n"), "secret body"))
}
