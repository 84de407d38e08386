package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/sealed"
)

// PlanOptions are what one stack's plan needs from the run.
type PlanOptions struct {
	PlanFile      string // relative to the stack
	VarFiles      []string
	BackendConfig []string
	LockTimeout   time.Duration
	// Commit and Environment bind the plan to this run.
	Commit      string
	Environment string
	// SealKey, when set, seals the saved plan (see pkg/sealed): only the
	// sealed plan and the record leave the job.
	SealKey         string
	LockstepVersion string
	Now             time.Time
}

// An apply of this commit that failed part way leaves its attempts beside
// the plan file (binding.AttemptsPath; in Actions the apply job uploads
// them and the next plan job downloads them there). Plan folds those of
// the same commit into the new record's History, so the retry's reviewers
// and its apply report show what the earlier attempts did.

// Planned is one stack's finished plan.
type Planned struct {
	Plan     *engine.Plan
	Record   binding.Record
	PlanPath string // the saved plan on disk
}

// Plan runs init and plan in the stack, masks the plan's secrets before
// its text reaches the log, and writes the binding record (and, with a
// key, the sealed plan) beside the saved plan.
func Plan(ctx context.Context, r Reporter, s Stack, o PlanOptions) (*Planned, error) {
	// A plan file, sealed plan or record left by an earlier run must never
	// pair with this run's: remove them before planning.
	planPath := filepath.Join(s.Root, filepath.FromSlash(o.PlanFile))
	for _, stale := range []string{planPath, binding.Path(planPath), sealed.Path(planPath)} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing the old %s: %w", stale, err)
		}
	}

	cmd := s.Identity.Command()
	end := r.Group(cmd + " init in " + s.Dir)
	err := s.Engine.Init(ctx, engine.InitOptions{BackendConfig: o.BackendConfig})
	end()
	if err != nil {
		return nil, Fail("init-failed", err)
	}

	// The var-files as the plan reads them: an engine that reads them
	// again at apply gets them only unchanged.
	varFiles, err := binding.HashVarFiles(s.Root, o.VarFiles)
	if err != nil {
		return nil, Fail("plan-failed", err)
	}
	r.Printf("Running %s plan in %s…", cmd, s.Dir)
	p, err := s.Engine.Plan(ctx, engine.PlanOptions{Out: o.PlanFile, VarFiles: o.VarFiles, LockTimeout: o.LockTimeout})
	if err != nil {
		if p != nil {
			// The engine's own diagnostics say why (they hide sensitive
			// values themselves).
			_, _ = io.WriteString(r.Log(), p.Text)
		}
		if err := lockedFailure(s, o.LockTimeout, err); err != nil {
			return nil, err
		}
		return nil, Fail("plan-failed", err)
	}
	// Secrets are masked before the plan text (or anything else from this
	// plan) reaches the log.
	r.Mask(p.Summary.Secrets...)
	end = r.Group(cmd + " plan in " + s.Dir)
	_, _ = io.WriteString(r.Log(), p.Text)
	end()

	sha, err := binding.FileSHA256(planPath)
	if err != nil {
		return nil, err
	}
	state, err := s.Engine.StateFingerprint(ctx)
	if err != nil {
		return nil, Fail("plan-failed", fmt.Errorf("reading the state's fingerprint: %w", err))
	}
	history, err := priorAttempts(r, binding.AttemptsPath(planPath), o.Commit)
	if err != nil {
		return nil, err
	}
	sum := p.Summary
	record := binding.Record{
		PlanSHA256:       sha,
		PlanFile:         o.PlanFile,
		Commit:           o.Commit,
		Directory:        s.Dir,
		Environment:      o.Environment,
		Engine:           s.Identity.Name,
		EngineVersion:    s.Identity.Version,
		LockstepVersion:  o.LockstepVersion,
		Counts:           binding.Counts{Add: sum.Add, Change: sum.Change, Destroy: sum.Destroy, Replace: sum.Replace},
		HasChanges:       p.HasChanges,
		Fingerprint:      p.Fingerprint,
		StateFingerprint: state,
		VarFiles:         varFiles,
		CreatedAt:        o.Now.UTC(),
		History:          history,
	}
	if err := binding.Write(binding.Path(planPath), record); err != nil {
		return nil, err
	}
	// The attempts now live in the record (and a failed apply of this plan
	// writes them anew): the file must not be folded in twice.
	if err := os.Remove(binding.AttemptsPath(planPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing the folded apply attempts: %w", err)
	}
	// With a key, the sealed plan is what leaves this job (the workflow
	// uploads only it and the record); the plaintext stays here.
	if o.SealKey != "" {
		if err := sealed.Seal(planPath, binding.Path(planPath), o.SealKey); err != nil {
			return nil, Fail("plan-failed", err)
		}
	}
	return &Planned{Plan: p, Record: record, PlanPath: planPath}, nil
}

// priorAttempts reads the failed attempts left beside the plan file and
// keeps those of commit: attempts of another commit were a different
// change, and a retry of this one must not claim them.
func priorAttempts(r Reporter, path, commit string) ([]binding.Attempt, error) {
	all, err := binding.ReadAttempts(path)
	if err != nil {
		// Unreadable history is reported, never trusted, and never stops a
		// plan: the plan is what gets reviewed, the history only explains it.
		r.Printf("Ignoring the earlier apply attempts (unreadable): %v", err)
		return nil, nil
	}
	var same []binding.Attempt
	for _, a := range all {
		if a.Commit == commit {
			same = append(same, a)
		}
	}
	if n := len(all) - len(same); n > 0 {
		r.Printf("Ignoring %d earlier apply attempt(s) of another commit.", n)
	}
	return binding.Normalize(same), nil
}
