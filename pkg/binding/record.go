// Package binding owns the plan binding record: the small JSON file that plan
// writes beside the saved plan (<plan-file>.lockstep.json) and that apply
// checks before touching Terraform, so that only the exact plan that was
// reviewed, for this commit, directory, environment, engine and engine version, is
// ever applied.
package binding

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// SchemaVersion is the record format; apply refuses records it does not know.
//
// Format 2 replaced terraform_version with engine and engine_version.
const SchemaVersion = 2

// Counts are the plan's counts, as in Terraform's own Plan: line.
type Counts struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	Replace int `json:"replace"`
}

// Record binds a saved plan to the run that made it.
type Record struct {
	SchemaVersion   int    `json:"schema_version"`
	PlanSHA256      string `json:"plan_sha256"`
	PlanFile        string `json:"plan_file"` // relative to the working directory
	Commit          string `json:"commit"`
	Directory       string `json:"directory"` // relative to the repository root
	Environment     string `json:"environment"`
	Engine          string `json:"engine"`         // terraform, opentofu, ...
	EngineVersion   string `json:"engine_version"` // the engine binary's version
	LockstepVersion string `json:"lockstep_version"`
	Counts          Counts `json:"counts"`
	HasChanges      bool   `json:"has_changes"`
	Fingerprint     string `json:"fingerprint,omitempty"`
	// StateFingerprint is the engine's state identity at plan time, for
	// engines that do not refuse a stale plan themselves (see
	// engine.Engine.StateFingerprint); empty otherwise.
	StateFingerprint string `json:"state_fingerprint,omitempty"`
	// VarFiles are the var-files the plan read, as given (relative to the
	// working directory), with their SHA-256 then. An engine whose saved
	// plan does not carry them (engine.Traits.VarFilesAtApply) reads them
	// again at apply: Check refuses one that changed.
	VarFiles  []VarFile `json:"var_files,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// History lists the earlier applies of this commit to this stack and
	// environment that failed part way, oldest first: this plan is the
	// retry of what they left (see Attempt).
	History []Attempt `json:"history,omitempty"`
}

// VarFile is one var-file of the plan.
type VarFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Path is where the record for planFile lives.
func Path(planFile string) string { return planFile + ".lockstep.json" }

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Write stores the record at path atomically (a temporary file renamed into
// place), so a crash never leaves half a record that apply might trust.
func Write(path string, r Record) error {
	r.SchemaVersion = SchemaVersion
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the binding record: %w", err)
	}
	if err := writeAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("the binding record: %w", err)
	}
	return nil
}

// Read loads the record at path.
func Read(path string) (Record, error) {
	var r Record
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("decoding the binding record %s: %w", path, err)
	}
	return r, nil
}
