package binding

import (
	"errors"
	"fmt"
	"os"

	"github.com/lockstep-ci/lockstep/pkg/engine"
)

// Run is what apply knows about itself, to compare with the record.
type Run struct {
	Commit        string // GITHUB_SHA in action mode, git HEAD in CLI mode
	Directory     string
	Environment   string
	Engine        string // as the `engine` input spells it
	EngineVersion string
}

// MissingError: there is no record beside the plan, so nothing proves the
// plan was made (and reviewed) by lockstep plan.
type MissingError struct{ PlanFile string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("no binding record %s beside the plan file: only a plan made by lockstep plan can be applied; re-run the plan", Path(e.PlanFile))
}

// MismatchError: the record says the plan was made for something else than
// this run. Field names what differs.
type MismatchError struct {
	Field    string // "plan-sha256", "commit", "directory", "environment", "engine", "schema"
	Recorded string
	Actual   string
}

func (e *MismatchError) Error() string {
	switch e.Field {
	case "plan-sha256":
		return fmt.Sprintf("the plan file is not the one that was reviewed: its SHA-256 is %s, the record says %s; a saved plan must never be edited or replaced: re-run the plan and review it again", abbrev(e.Actual, 12), abbrev(e.Recorded, 12))
	case "commit":
		return fmt.Sprintf("the plan was made for commit %s, but this run is for commit %s: re-run the plan for commit %s", abbrev(e.Recorded, 7), abbrev(e.Actual, 7), abbrev(e.Actual, 7))
	case "directory":
		return fmt.Sprintf("the plan was made for working directory %q, not %q: apply it in %q or plan %q", e.Recorded, e.Actual, e.Recorded, e.Actual)
	case "environment":
		return fmt.Sprintf("the plan was made for environment %q, not %q: re-run the plan for %q", e.Recorded, e.Actual, e.Actual)
	case "engine":
		return fmt.Sprintf("the plan was made with %s, but this run has %s: use the same engine and version for plan and apply (engine, terraform-version), then re-run the plan", e.Recorded, e.Actual)
	case "schema":
		return fmt.Sprintf("the binding record has format %s, this lockstep reads format %s: re-run the plan with this version of lockstep", e.Recorded, e.Actual)
	}
	return fmt.Sprintf("the plan's %s is %q, this run's is %q: re-run the plan", e.Field, e.Recorded, e.Actual)
}

// Check reads the record beside planFile and compares it with the plan file
// and the run. It returns the record and nil only when everything matches;
// otherwise a *MissingError or *MismatchError (the first difference, in the
// order a person would fix them).
func Check(planFile string, run Run) (Record, error) {
	rec, err := Read(Path(planFile))
	if errors.Is(err, os.ErrNotExist) {
		return rec, &MissingError{PlanFile: planFile}
	}
	if err != nil {
		return rec, err
	}
	if rec.SchemaVersion != SchemaVersion {
		return rec, &MismatchError{Field: "schema", Recorded: fmt.Sprint(rec.SchemaVersion), Actual: fmt.Sprint(SchemaVersion)}
	}
	sum, err := FileSHA256(planFile)
	if err != nil {
		return rec, err
	}
	checks := []MismatchError{
		{Field: "plan-sha256", Recorded: rec.PlanSHA256, Actual: sum},
		{Field: "commit", Recorded: rec.Commit, Actual: run.Commit},
		{Field: "directory", Recorded: rec.Directory, Actual: run.Directory},
		{Field: "environment", Recorded: rec.Environment, Actual: run.Environment},
		{Field: "engine", Recorded: engineString(rec.Engine, rec.EngineVersion), Actual: engineString(run.Engine, run.EngineVersion)},
	}
	for _, c := range checks {
		if c.Recorded != c.Actual {
			return rec, &c
		}
	}
	return rec, nil
}

// engineString is "Terraform 1.11.4", "OpenTofu 1.12.6"; an empty engine is
// Terraform's.
func engineString(name, version string) string {
	return engine.DisplayName(name) + " " + version
}

func abbrev(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	if s == "" {
		return "(none)"
	}
	return s
}
