package binding

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Attempt is one apply of a saved plan that failed part way: what it
// applied, what failed and what it never reached. A retry plans the same
// commit again; its record keeps the attempts before it (Record.History),
// so the people who approve the retry see where the first attempt left
// the infrastructure, and the final apply report carries the whole story.
type Attempt struct {
	// Number counts the failed attempts of this commit's apply, from 1.
	Number int `json:"number"`
	// RunAttempt is GITHUB_RUN_ATTEMPT of the job that failed (0 locally).
	RunAttempt int       `json:"run_attempt,omitempty"`
	At         time.Time `json:"at"`
	Commit     string    `json:"commit"`
	// PlanSHA256 and Fingerprint identify the plan that attempt applied.
	PlanSHA256  string            `json:"plan_sha256"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	Applied     []AttemptResource `json:"applied"`
	Failed      []AttemptResource `json:"failed"`
	NotReached  []AttemptResource `json:"not_reached"`
	// Error is the first line of the engine's error.
	Error string `json:"error,omitempty"`
}

// AttemptResource is one resource in an attempt's report.
type AttemptResource struct {
	Address string `json:"address"`
	Action  string `json:"action"`
	Error   string `json:"error,omitempty"`
}

// AttemptsPath is where a failed apply leaves its attempts beside the plan
// file, for the next plan of the same stack to fold into its record.
func AttemptsPath(planFile string) string { return planFile + ".lockstep-attempts.json" }

// attemptsFile is the attempts file's format.
type attemptsFile struct {
	SchemaVersion int       `json:"schema_version"`
	Attempts      []Attempt `json:"attempts"`
}

// maxAttempts bounds how many attempts a record keeps: the oldest beyond it
// are dropped (a retry loop must not grow the record without end).
const maxAttempts = 20

// WriteAttempts stores the attempts at path atomically, numbered in order.
func WriteAttempts(path string, attempts []Attempt) error {
	attempts = Normalize(attempts)
	data, err := json.MarshalIndent(attemptsFile{SchemaVersion: SchemaVersion, Attempts: attempts}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the apply attempts: %w", err)
	}
	return writeAtomic(path, append(data, '\n'))
}

// ReadAttempts loads the attempts at path; a missing file is no attempts.
func ReadAttempts(path string) ([]Attempt, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f attemptsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decoding the apply attempts %s: %w", path, err)
	}
	if f.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("the apply attempts %s have format %d, this lockstep reads format %d", path, f.SchemaVersion, SchemaVersion)
	}
	return f.Attempts, nil
}

// Normalize orders attempts by time, drops exact duplicates (the same
// attempt read from several files) and numbers them from 1, keeping the
// newest maxAttempts.
func Normalize(attempts []Attempt) []Attempt {
	type key struct {
		at         int64
		plan       string
		runAttempt int
	}
	seen := map[key]bool{}
	var out []Attempt
	for _, a := range attempts {
		k := key{a.At.UnixNano(), a.PlanSHA256, a.RunAttempt}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	if len(out) > maxAttempts {
		out = out[len(out)-maxAttempts:]
	}
	for i := range out {
		out[i].Number = i + 1
	}
	return out
}

// writeAtomic writes data to path through a temporary file renamed into
// place.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lockstep-tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
