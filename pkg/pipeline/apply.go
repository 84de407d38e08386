package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/policy"
	"github.com/lockstep-ci/lockstep/pkg/sealed"
)

// ApplyOptions are what one stack's apply needs from the run.
type ApplyOptions struct {
	PlanFile      string // relative to the stack
	BackendConfig []string
	LockTimeout   time.Duration
	// Commit and Environment must be the ones the plan was made for.
	Commit      string
	Environment string
	// SealKey opens a sealed plan; with a key set, only a sealed plan is
	// applied.
	SealKey string
	// Policy is the environment's policy (destroy guard).
	Policy policy.Policy
	// AllowDestroys is asked when the policy refuses some of the plan's
	// deletes and replaces (the pull request's label, say): nil refuses.
	// It returns nil to allow them, or the refusal.
	AllowDestroys func(ctx context.Context, refused *policy.DestroyRefusedError, record binding.Record) error
	// Approve is asked last, before a plan with changes is applied: nil
	// when approval was settled before the pipeline ran (the gate).
	Approve func(summary *plan.Summary, record binding.Record) error
	// RunAttempt (GITHUB_RUN_ATTEMPT; 0 locally) and Now go into the
	// attempt a failed apply records.
	RunAttempt int
	Now        time.Time
	// Redact replaces the run's secrets in the engine's error texts before
	// they are written into the attempt (which leaves the job unsealed);
	// nil leaves them as they are.
	Redact func(string) string
}

// Applied is what apply did.
type Applied struct {
	Record  binding.Record
	Summary *plan.Summary
	// Report says per resource what was applied, failed or not reached;
	// empty when the plan had no changes.
	Report *engine.ApplyReport
	// ApplyErr is the engine's own error when the apply failed part way;
	// Apply then also returns a *Failure "apply-failed".
	ApplyErr error
}

// Apply applies exactly the stack's saved plan. In order, before the
// engine changes anything: a sealed plan is opened; the binding record
// must match the plan file and this run (commit, directory, environment,
// engine and version, and the var-files for an engine that reads them
// again); the saved plan's changes must be the fingerprinted
// ones; the policy (or AllowDestroys) must allow its deletes and replaces;
// Approve must say yes. Every refusal is a *Refusal and leaves the state
// untouched. Infrastructure is never rolled back.
func Apply(ctx context.Context, r Reporter, s Stack, o ApplyOptions) (*Applied, error) {
	planPath := filepath.Join(s.Root, filepath.FromSlash(o.PlanFile))

	// 0. A sealed plan is the one to apply: decrypted over whatever
	// plaintext lies beside it, before the binding check reads it.
	if err := unseal(planPath, o.SealKey); err != nil {
		return nil, err
	}

	// 1. The binding: exactly the plan that was made for this run.
	record, err := binding.Check(planPath, binding.Run{Commit: o.Commit, Directory: s.Dir, Environment: o.Environment, Engine: s.Identity.Name, EngineVersion: s.Identity.Version, Root: s.Root})
	if err != nil {
		var mm *binding.MismatchError
		var missing *binding.MissingError
		switch {
		case errors.As(err, &mm):
			return nil, Refuse("binding-"+mm.Field, err)
		case errors.As(err, &missing):
			return nil, Refuse("binding-missing", err)
		}
		return nil, Refuse("binding-unreadable", err)
	}

	// 2. Init against the committed lock file (the plan artifact carries no
	// .terraform directory), then read the saved plan: never re-plan.
	cmd := s.Identity.Command()
	end := r.Group(cmd + " init in " + s.Dir)
	err = s.Engine.Init(ctx, engine.InitOptions{BackendConfig: o.BackendConfig})
	end()
	if err != nil {
		return nil, Fail("init-failed", err)
	}
	// An engine that reads the var-files again gets the plan's, which
	// the binding check found unchanged; the others never read them.
	var varFiles []string
	if engine.TraitsOf(s.Identity.Name).VarFilesAtApply {
		varFiles = record.VarFilePaths()
	}
	saved, err := s.Engine.ReadPlan(ctx, engine.ReadOptions{PlanFile: o.PlanFile, VarFiles: varFiles})
	if err != nil {
		return nil, Refuse("plan-unreadable", err)
	}
	summary := saved.Summary
	r.Mask(summary.Secrets...)
	if fp := saved.Fingerprint; record.Fingerprint != "" && fp != record.Fingerprint {
		return nil, Refuse("binding-fingerprint", fmt.Errorf("the saved plan's changes (fingerprint %s) are not the ones recorded at plan time (%s): re-run the plan and review it again", Short16(fp), Short16(record.Fingerprint)))
	}

	// 3. The destroy guard.
	var dangerous []string
	for _, c := range summary.Dangerous() {
		dangerous = append(dangerous, c.Address)
	}
	if err := policy.DestroyGuard(o.Policy, dangerous); err != nil {
		var refused *policy.DestroyRefusedError
		if !errors.As(err, &refused) || o.AllowDestroys == nil {
			return nil, Refuse("destroy-not-allowed", err)
		}
		if err := o.AllowDestroys(ctx, refused, record); err != nil {
			return nil, err
		}
	}
	applied := &Applied{Record: record, Summary: summary, Report: &engine.ApplyReport{}}
	if !record.HasChanges {
		r.Printf("The plan has no changes: nothing to apply.")
		return applied, nil
	}

	// 4. Approval, when it is asked here.
	if o.Approve != nil {
		if err := o.Approve(summary, record); err != nil {
			return nil, err
		}
	}

	// 5. For engines that do not check it themselves: the state must be
	// the one the plan was made against.
	if record.StateFingerprint != "" {
		state, err := s.Engine.StateFingerprint(ctx)
		if err != nil {
			return nil, Fail("apply-failed", fmt.Errorf("reading the state's fingerprint: %w", err))
		}
		if state != record.StateFingerprint {
			return nil, Refuse("plan-stale", fmt.Errorf("the state of %s changed after the plan was made (fingerprint %s, planned against %s): %w",
				s.Dir, Short16(state), Short16(record.StateFingerprint), engine.ErrStalePlan))
		}
	}

	// 6. Apply the saved plan.
	end = r.Group(cmd + " apply in " + s.Dir)
	report, applyErr := s.Engine.Apply(ctx, engine.ApplyOptions{PlanFile: o.PlanFile, LockTimeout: o.LockTimeout, VarFiles: varFiles})
	end()
	if report != nil {
		applied.Report = report
	}
	if errors.Is(applyErr, engine.ErrStalePlan) {
		return nil, Refuse("plan-stale", applyErr)
	}
	if err := lockedFailure(s, o.LockTimeout, applyErr); err != nil {
		return nil, err // nothing was applied: the lock stopped the engine first
	}
	if applyErr != nil {
		applied.ApplyErr = applyErr
		if err := recordAttempt(planPath, record, applied.Report, applyErr, o); err != nil {
			r.Printf("Could not record this failed attempt for the retry: %v", err)
		}
		if o.Policy.EngineRollback {
			return applied, Fail("apply-failed", fmt.Errorf("%w; engine-rollback is on for this environment, so the engine rolled its own changes back: the apply report says what failed and what was undone", applyErr))
		}
		return applied, Fail("apply-failed", fmt.Errorf("%w; infrastructure is not rolled back: the apply report lists what was applied, what failed and what was not reached", applyErr))
	}
	return applied, nil
}

// recordAttempt leaves the failed apply's report beside the plan file, after
// the attempts before it: the retry's plan folds them into its record (see
// PlanOptions). The saved plan itself is never applied again (the engine's
// state moved on; a retry plans anew).
func recordAttempt(planPath string, record binding.Record, report *engine.ApplyReport, applyErr error, o ApplyOptions) error {
	redact := o.Redact
	if redact == nil {
		redact = func(s string) string { return s }
	}
	conv := func(rs []engine.ResourceResult) []binding.AttemptResource {
		out := make([]binding.AttemptResource, 0, len(rs))
		for _, x := range rs {
			out = append(out, binding.AttemptResource{Address: x.Address, Action: x.Action, Error: firstLine(redact(x.Error), 300)})
		}
		return out
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	attempt := binding.Attempt{
		RunAttempt:  o.RunAttempt,
		At:          now.UTC(),
		Commit:      record.Commit,
		PlanSHA256:  record.PlanSHA256,
		Fingerprint: record.Fingerprint,
		Applied:     conv(report.Applied),
		Failed:      conv(report.Failed),
		NotReached:  conv(report.NotReached),
		Error:       firstLine(redact(applyErr.Error()), 300),
	}
	return binding.WriteAttempts(binding.AttemptsPath(planPath), append(append([]binding.Attempt(nil), record.History...), attempt))
}

// firstLine is s up to its first line break, at most n bytes (cut on a
// rune boundary).
func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return strings.TrimSpace(s)
}

// unseal decrypts <plan-file>.age into <plan-file> when it exists. The
// sealed plan always wins over a plaintext one: a plaintext beside it (or,
// with a key set, instead of it) is what someone who can write an artifact
// would plant, since only the key's holder can write a sealed plan that
// opens.
func unseal(planPath, key string) error {
	sealedPath := sealed.Path(planPath)
	_, err := os.Stat(sealedPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if key == "" {
			return nil
		}
		return Refuse("plan-decrypt-failed", fmt.Errorf("%s is set but there is no sealed plan %s to apply (a plaintext plan is never trusted then): "+
			"the plan was made without the key, or its artifact was replaced; pass LOCKSTEP_PLAN_KEY to both the plan and the apply step and run the pipeline again", sealed.KeyEnv, filepath.Base(sealedPath)))
	case err != nil:
		return Refuse("plan-decrypt-failed", fmt.Errorf("reading the sealed plan: %w", err))
	}
	if key == "" {
		return Refuse("plan-key-missing", fmt.Errorf("the saved plan is sealed (%s) but %s is not set: pass the same secret to the apply step as to plan "+
			"(secrets: LOCKSTEP_PLAN_KEY in the calling workflow; env LOCKSTEP_PLAN_KEY locally)", filepath.Base(sealedPath), sealed.KeyEnv))
	}
	recordPath := binding.Path(planPath)
	if _, err := os.Stat(recordPath); errors.Is(err, os.ErrNotExist) {
		return nil // the binding check refuses the missing record
	}
	if err := sealed.Open(sealedPath, recordPath, planPath, key); err != nil {
		return Refuse("plan-decrypt-failed", fmt.Errorf("%w: check that %s is the same secret in plan and apply (an environment secret of that name overrides the repository's in apply) "+
			"and run the pipeline again to plan anew; a sealed plan that does not decrypt with the right key was altered", err, sealed.KeyEnv))
	}
	return nil
}

// Short16 is the first 16 characters of a SHA-256 or fingerprint, as
// messages show them.
func Short16(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}
