package binding

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAttemptsRoundTripAndNormalize(t *testing.T) {
	dir := t.TempDir()
	path := AttemptsPath(filepath.Join(dir, "tfplan"))
	assert.Equal(t, filepath.Join(dir, "tfplan.lockstep-attempts.json"), path)

	none, err := ReadAttempts(path)
	require.NoError(t, err, "a missing file is no attempts")
	assert.Nil(t, none)

	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	second := Attempt{At: t0.Add(time.Hour), PlanSHA256: "b", RunAttempt: 2}
	first := Attempt{At: t0, PlanSHA256: "a", RunAttempt: 1, Failed: []AttemptResource{{Address: "x.y", Action: "create", Error: "boom"}}}
	// Out of order, and the first twice (read from two artifacts).
	require.NoError(t, WriteAttempts(path, []Attempt{second, first, first}))
	got, err := ReadAttempts(path)
	require.NoError(t, err)
	first.Number, second.Number = 1, 2
	assert.Equal(t, []Attempt{first, second}, got)
}

func TestNormalizeKeepsTheNewest(t *testing.T) {
	var many []Attempt
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for i := range maxAttempts + 5 {
		many = append(many, Attempt{At: t0.Add(time.Duration(i) * time.Minute), PlanSHA256: "p"})
	}
	got := Normalize(many)
	require.Len(t, got, maxAttempts)
	assert.Equal(t, t0.Add(5*time.Minute), got[0].At, "the oldest five are dropped")
	assert.Equal(t, 1, got[0].Number)
	assert.Equal(t, maxAttempts, got[maxAttempts-1].Number)
}

func TestReadAttemptsRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{"), 0o644))
	_, err := ReadAttempts(bad)
	assert.ErrorContains(t, err, "decoding the apply attempts")

	future := filepath.Join(dir, "future.json")
	require.NoError(t, os.WriteFile(future, []byte(`{"schema_version": 99, "attempts": []}`), 0o644))
	_, err = ReadAttempts(future)
	assert.ErrorContains(t, err, "have format 99, this lockstep reads format 2")
}
