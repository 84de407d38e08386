package trace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func TestFileLedgerRoundTrip(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: t0}
	l := &FileLedger{Dir: filepath.Join(t.TempDir(), "state"), Now: clock.Now}

	got, err := l.List(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, got, "a missing ledger is empty")
	assert.NotNil(t, got)

	first, err := l.Record(ctx, Entry{
		Environment: "staging", AppVersion: "v1", InfraVersion: "abc1234",
		DeploymentVersion: DeploymentVersion("v1", "abc1234"), PlanSHA256: "ff00",
		Task: TaskDeploy, Actor: "octocat", RunURL: "https://github.com/o/r/actions/runs/1",
	})
	require.NoError(t, err)
	assert.Equal(t, "1", first.ID)
	assert.Equal(t, StatusInProgress, first.Status)
	assert.Equal(t, t0, first.CreatedAt)

	clock.Advance(time.Minute)
	require.NoError(t, l.SetStatus(ctx, first.ID, StatusSuccess, "healthy at 100%"))

	clock.Advance(time.Minute)
	second, err := l.Record(ctx, Entry{Environment: "production", AppVersion: "v1", InfraVersion: "abc1234", Task: TaskDeploy})
	require.NoError(t, err)
	assert.Equal(t, "2", second.ID)

	all, err := l.List(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "2", all[0].ID, "newest first")
	want := first
	want.Status, want.Description, want.UpdatedAt = StatusSuccess, "healthy at 100%", t0.Add(time.Minute)
	assert.Equal(t, want, all[1])

	staging, err := l.List(ctx, "staging")
	require.NoError(t, err)
	require.Len(t, staging, 1)
	assert.Equal(t, "1", staging[0].ID)

	// Every change is one full line; the latest line per ID wins.
	data, err := os.ReadFile(l.Path())
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(data), "\n"))
	assert.Equal(t, filepath.Join(l.Dir, "ledger.jsonl"), l.Path())
}

func TestFileLedgerErrors(t *testing.T) {
	ctx := context.Background()
	l := &FileLedger{Dir: t.TempDir()}
	err := l.SetStatus(ctx, "42", StatusSuccess, "")
	assert.ErrorContains(t, err, `setting the status of deployment 42 in `)
	assert.ErrorContains(t, err, `no deployment with ID "42"`)

	e, err := l.Record(ctx, Entry{Environment: "dev", AppVersion: "v1", Task: TaskDeploy})
	require.NoError(t, err)
	assert.ErrorContains(t, l.SetStatus(ctx, e.ID, "rolled_back", ""), `"rolled_back" is not a deployment status`)
	_, err = l.Record(ctx, Entry{Status: "done"})
	assert.ErrorContains(t, err, `"done" is not a deployment status`)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = l.Record(canceled, Entry{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestFileLedgerDefaultDir(t *testing.T) {
	assert.Equal(t, filepath.Join(".lockstep", "ledger.jsonl"), (&FileLedger{}).Path())
}

// Writers in many goroutines, each with its own ledger value and file
// descriptor as separate processes would have: no lost update, no duplicate
// ID, no interleaved line.
func TestFileLedgerConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &FileLedger{Dir: dir}
			for i := 0; i < each; i++ {
				e, err := l.Record(ctx, Entry{Environment: "dev", AppVersion: fmt.Sprintf("w%d-%d", w, i), Task: TaskDeploy})
				if err != nil {
					errs <- err
					continue
				}
				if err := l.SetStatus(ctx, e.ID, StatusSuccess, "ok"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	entries, err := (&FileLedger{Dir: dir}).List(ctx, "dev")
	require.NoError(t, err)
	require.Len(t, entries, writers*each)
	ids := map[string]bool{}
	apps := map[string]bool{}
	for _, e := range entries {
		assert.False(t, ids[e.ID], "duplicate ID %s", e.ID)
		ids[e.ID] = true
		apps[e.AppVersion] = true
		assert.Equal(t, StatusSuccess, e.Status, e.AppVersion)
	}
	assert.Len(t, apps, writers*each)
	data, err := os.ReadFile(filepath.Join(dir, LedgerFileName))
	require.NoError(t, err)
	assert.Equal(t, writers*each*2, strings.Count(string(data), "\n"))
}

// A crash in the middle of a write leaves a torn last line: readers ignore it
// and the next writer seals it off instead of gluing its line to it.
func TestFileLedgerTornLastLine(t *testing.T) {
	ctx := context.Background()
	l := &FileLedger{Dir: t.TempDir(), Now: (&fakeClock{t: t0}).Now}
	e, err := l.Record(ctx, Entry{Environment: "dev", AppVersion: "v1", Task: TaskDeploy})
	require.NoError(t, err)
	require.NoError(t, l.SetStatus(ctx, e.ID, StatusSuccess, ""))

	f, err := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"id":"1","environment":"dev","app_version":"v1","status":"fail`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	entries, err := l.List(ctx, "dev")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, StatusSuccess, entries[0].Status, "the torn status change is ignored")

	next, err := l.Record(ctx, Entry{Environment: "dev", AppVersion: "v2", Task: TaskDeploy})
	require.NoError(t, err)
	assert.Equal(t, "2", next.ID)
	entries, err = l.List(ctx, "dev")
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "v2", entries[0].AppVersion)
	assert.Equal(t, StatusSuccess, entries[1].Status)

	// Garbage in the middle (an old torn line) is skipped too.
	data, err := os.ReadFile(l.Path())
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 4)
	assert.True(t, strings.HasSuffix(lines[2], `"status":"fail`), lines[2])
}
