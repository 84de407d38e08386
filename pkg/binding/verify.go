package binding

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lockstep-ci/lockstep/pkg/engine"
)

// Run is what apply knows about itself, to compare with the record.
type Run struct {
	Commit        string // GITHUB_SHA in action mode, git HEAD in CLI mode
	Directory     string
	Environment   string
	Engine        string // as the `engine` input spells it
	EngineVersion string
	// Root is the working directory, where the record's var-files are.
	Root string
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
	Field    string // "plan-sha256", "commit", "directory", "environment", "engine", "schema", "var-files"
	Recorded string
	Actual   string
	// File is, for "var-files", the file as recorded; Actual is then its
	// SHA-256 now, "" when it is missing, "outside" when the path leaves
	// the repository.
	File string
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
	case "var-files":
		switch {
		case e.Actual == "outside":
			return fmt.Sprintf("the binding record names var-file %q, which is not a path inside the repository: only a plan made by lockstep plan can be applied; re-run the plan", e.File)
		case e.Actual == "":
			return fmt.Sprintf("var-file %s, which the plan read, is missing: the apply reads it again (the saved plan does not hold it); re-run the plan with the var-files it should read", e.File)
		}
		return fmt.Sprintf("var-file %s changed since the plan (its SHA-256 is %s, the plan read %s): the apply would read another config than the reviewed one; re-run the plan and review it again", e.File, abbrev(e.Actual, 12), abbrev(e.Recorded, 12))
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
	if engine.TraitsOf(rec.Engine).VarFilesAtApply {
		if err := checkVarFiles(run.Root, run.Directory, rec.VarFiles); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// checkVarFiles compares the record's var-files with the files in root
// (the working directory dir of the repository) now, for an engine that
// reads them again at apply. A var-file may be outside the working
// directory (../shared/prod.yaml), never outside the repository.
func checkVarFiles(root, dir string, files []VarFile) error {
	for _, vf := range files {
		rel := filepath.FromSlash(vf.Path)
		if filepath.IsAbs(rel) || !filepath.IsLocal(filepath.Join(filepath.FromSlash(dir), rel)) {
			return &MismatchError{Field: "var-files", File: vf.Path, Recorded: vf.SHA256, Actual: "outside"}
		}
		sum, err := FileSHA256(filepath.Join(root, rel))
		if errors.Is(err, os.ErrNotExist) {
			return &MismatchError{Field: "var-files", File: vf.Path, Recorded: vf.SHA256}
		}
		if err != nil {
			return err
		}
		if sum != vf.SHA256 {
			return &MismatchError{Field: "var-files", File: vf.Path, Recorded: vf.SHA256, Actual: sum}
		}
	}
	return nil
}

// HashVarFiles is the record's VarFiles for the var-files paths (relative
// to root) a plan reads.
func HashVarFiles(root string, paths []string) ([]VarFile, error) {
	var files []VarFile
	for _, p := range paths {
		sum, err := FileSHA256(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		files = append(files, VarFile{Path: p, SHA256: sum})
	}
	return files, nil
}

// VarFilePaths are the record's var-files as the engine takes them.
func (r Record) VarFilePaths() []string {
	var paths []string
	for _, vf := range r.VarFiles {
		paths = append(paths, vf.Path)
	}
	return paths
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
