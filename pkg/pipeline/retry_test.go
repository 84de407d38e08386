package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// A failed apply leaves its attempt beside the plan, its secrets redacted;
// the next plan of the same commit folds it into its record and removes
// the file; attempts of another commit are not claimed.
func TestFailedApplyIsFoldedIntoTheRetrysRecord(t *testing.T) {
	report := &engine.ApplyReport{
		Applied:    []engine.ResourceResult{{Address: "a.one", Action: "create"}},
		Failed:     []engine.ResourceResult{{Address: "a.two", Action: "create", Error: "password hunter2 refused\nsecond line"}},
		NotReached: []engine.ResourceResult{{Address: "a.three", Action: "update"}},
	}
	e := &recorder{summary: &plan.Summary{Add: 2}, changes: true, applyErr: errors.New("exit status 1: hunter2"), report: report}
	s := planned(t, e)
	o := applyOpts()
	o.RunAttempt = 3
	o.Now = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	o.Redact = func(s string) string { return strings.ReplaceAll(s, "hunter2", "***") }
	l := &log{}
	_, err := Apply(context.Background(), l, s, o)
	require.Error(t, err)
	assert.NotContains(t, strings.Join(l.events, "\n"), "Could not record")

	planPath := filepath.Join(s.Root, "tfplan")
	first, err := binding.Read(binding.Path(planPath))
	require.NoError(t, err)
	attempts, err := binding.ReadAttempts(binding.AttemptsPath(planPath))
	require.NoError(t, err)
	require.Equal(t, []binding.Attempt{{
		Number: 1, RunAttempt: 3, At: o.Now, Commit: "abc1234", PlanSHA256: first.PlanSHA256, Fingerprint: "f1",
		Applied:    []binding.AttemptResource{{Address: "a.one", Action: "create"}},
		Failed:     []binding.AttemptResource{{Address: "a.two", Action: "create", Error: "password *** refused"}},
		NotReached: []binding.AttemptResource{{Address: "a.three", Action: "update"}},
		Error:      "exit status 1: ***",
	}}, attempts)

	// The retry's plan of the same commit carries the attempt.
	e.calls = nil
	l = &log{}
	retry, err := Plan(context.Background(), l, s, planOpts())
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(l.events, "\n"), "Ignoring", "no attempt of another commit")
	assert.Equal(t, attempts, retry.Record.History)
	onDisk, err := binding.Read(binding.Path(planPath))
	require.NoError(t, err)
	assert.Equal(t, attempts, onDisk.History)
	assert.NoFileExists(t, binding.AttemptsPath(planPath))

	// Its failure records both attempts, in order.
	o.RunAttempt, o.Now = 4, o.Now.Add(time.Hour)
	_, err = Apply(context.Background(), &log{}, s, o)
	require.Error(t, err)
	attempts, err = binding.ReadAttempts(binding.AttemptsPath(planPath))
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	assert.Equal(t, []int{1, 2}, []int{attempts[0].Number, attempts[1].Number})
	assert.Equal(t, []int{3, 4}, []int{attempts[0].RunAttempt, attempts[1].RunAttempt})

	// A plan of another commit does not claim them.
	other := planOpts()
	other.Commit = "def5678"
	l = &log{}
	p, err := Plan(context.Background(), l, s, other)
	require.NoError(t, err)
	assert.Empty(t, p.Record.History)
	assert.Contains(t, strings.Join(l.events, "\n"), "Ignoring 2 earlier apply attempt(s) of another commit.")
}

// An attempt that cannot be written is said, and the apply still fails
// as it did.
func TestAnAttemptThatCannotBeRecordedIsSaid(t *testing.T) {
	e := &recorder{summary: &plan.Summary{Add: 1}, changes: true, applyErr: errors.New("exit status 1"), report: &engine.ApplyReport{}}
	s := planned(t, e)
	// A directory where the attempts file goes: it cannot be written.
	require.NoError(t, os.MkdirAll(filepath.Join(binding.AttemptsPath(filepath.Join(s.Root, "tfplan")), "x"), 0o755))
	l := &log{}
	_, err := Apply(context.Background(), l, s, applyOpts())
	var f *Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "apply-failed", f.Reason)
	assert.Contains(t, strings.Join(l.events, "\n"), "Could not record this failed attempt for the retry: ")
}

// Of attempts of several commits, a plan takes its commit's and says how
// many it ignores.
func TestAttemptsOfAnotherCommitAreCounted(t *testing.T) {
	e := &recorder{summary: &plan.Summary{Add: 1}, changes: true}
	s := stack(t, e)
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	require.NoError(t, binding.WriteAttempts(binding.AttemptsPath(filepath.Join(s.Root, "tfplan")), []binding.Attempt{
		{Number: 1, At: at, Commit: "def5678", Error: "boom"},
		{Number: 2, At: at.Add(time.Minute), Commit: "abc1234", Error: "boom"},
		{Number: 3, At: at.Add(2 * time.Minute), Commit: "def5678", Error: "boom"},
	}))
	l := &log{}
	p, err := Plan(context.Background(), l, s, planOpts())
	require.NoError(t, err)
	require.Len(t, p.Record.History, 1)
	assert.Equal(t, "abc1234", p.Record.History[0].Commit)
	assert.Contains(t, l.events, "printf Ignoring 2 earlier apply attempt(s) of another commit.")
}

// An attempt's error is its first line, at most n bytes, cut on a rune
// boundary.
func TestFirstLine(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"one\ntwo", 300, "one"},
		{"\nafter an empty first line", 300, ""},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven cha…"},
		{"ab€", 3, "ab…"}, // the euro sign's three bytes do not fit
	} {
		assert.Equal(t, tt.want, firstLine(tt.in, tt.n), "%q", tt.in)
	}
}

// Unreadable attempts never stop a plan: they are reported and ignored.
func TestUnreadableAttemptsAreIgnored(t *testing.T) {
	e := &recorder{summary: &plan.Summary{}, changes: false}
	s := stack(t, e)
	require.NoError(t, os.WriteFile(binding.AttemptsPath(filepath.Join(s.Root, "tfplan")), []byte("{not json"), 0o644))
	l := &log{}
	p, err := Plan(context.Background(), l, s, planOpts())
	require.NoError(t, err)
	assert.Empty(t, p.Record.History)
	assert.Contains(t, strings.Join(l.events, "\n"), "Ignoring the earlier apply attempts (unreadable)")
}

// A refusal or a lock failure records no attempt: nothing was applied.
func TestRefusedApplyRecordsNoAttempt(t *testing.T) {
	e := &recorder{summary: &plan.Summary{Add: 1}, changes: true, applyErr: engine.ErrStalePlan}
	s := planned(t, e)
	_, err := Apply(context.Background(), &log{}, s, applyOpts())
	var r *Refusal
	require.ErrorAs(t, err, &r)
	assert.NoFileExists(t, binding.AttemptsPath(filepath.Join(s.Root, "tfplan")))
}

// With engine-rollback on, the engine undid its own changes: the failure
// says so instead of "not rolled back".
func TestApplyFailureWithEngineRollbackSaysSo(t *testing.T) {
	e := &recorder{summary: &plan.Summary{Add: 1}, changes: true, applyErr: errors.New("UPDATE_ROLLBACK_COMPLETE"), report: &engine.ApplyReport{}}
	s := planned(t, e)
	o := applyOpts()
	o.Policy.EngineRollback = true
	_, err := Apply(context.Background(), &log{}, s, o)
	require.ErrorContains(t, err, "the engine rolled its own changes back")
	assert.NotContains(t, err.Error(), "not rolled back")
}
