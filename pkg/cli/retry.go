package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/sealed"
)

// A retry is an apply after an earlier apply of the same commit failed
// part way. Its saved plan is never applied again (the state moved on, and
// what remains is not what was reviewed): the retry plans again, shows what
// the failed attempts left (binding.Attempt, folded into the new record by
// pipeline.Plan) and needs approval again.
type retryKind int

const (
	noRetry retryKind = iota
	// retryHere: at a terminal, the saved plan's last apply failed: plan
	// again and ask the person before applying what remains.
	retryHere
	// retryReview: in Actions, a re-run of the apply job ("Re-run failed
	// jobs") whose plan artifact is gone (the first attempt's cleanup
	// deleted it): plan again to show what remains, and apply it only
	// through a reviewed run ("Re-run all jobs").
	retryReview
)

// retryKind tells whether applying planPath now is a retry.
func (a *app) retryKind(planPath string) retryKind {
	if a.local != nil {
		attempts, err := binding.ReadAttempts(binding.AttemptsPath(planPath))
		if err != nil || len(attempts) == 0 {
			return noRetry
		}
		record, err := binding.Read(binding.Path(planPath))
		if err != nil {
			return noRetry // apply refuses the missing or broken record itself
		}
		if last := attempts[len(attempts)-1]; last.PlanSHA256 == record.PlanSHA256 {
			return retryHere
		}
		return noRetry
	}
	if a.runAttempt() < 2 {
		return noRetry
	}
	for _, p := range []string{planPath, binding.Path(planPath), sealed.Path(planPath)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			return noRetry // a plan of this attempt (Re-run all jobs): apply it as usual
		}
	}
	return retryReview
}

// runAttempt is GITHUB_RUN_ATTEMPT (0 when unknown, as locally).
func (a *app) runAttempt() int {
	n, err := strconv.Atoi(a.gh.RunAttempt)
	if err != nil || a.local != nil {
		return 0
	}
	return n
}

// retryForReview plans the stack again on a re-run of the apply job and
// stops: nothing in this job's run was reviewed, so what remains is shown
// and applied only by a run that plans it for review. When nothing
// remains (the failed attempt applied everything that mattered, or the
// plan never ran), the apply succeeds and the app follows.
func (a *app) retryForReview(ctx context.Context, dir string) error {
	a.r.Printf("%s: run attempt %d has no saved plan of its own (the earlier attempt's plans were used and deleted): planning this commit again to see what remains.", dir, a.runAttempt())
	p, err := planDir(ctx, a, dir)
	if err != nil {
		return err
	}
	history := comment.RenderHistory(historyOf(p.record.History))
	if !p.record.HasChanges {
		a.r.Printf("%s: nothing remains to apply.", dir)
		eng, _, err := a.stackEngine(ctx, dir)
		if err != nil {
			return err
		}
		outputs, err := eng.Outputs(ctx)
		if err != nil {
			return fail("apply-failed", fmt.Errorf("reading the outputs of %s: %w", dir, err))
		}
		return a.finishApply(ctx, dir, &engine.ApplyReport{Outputs: outputs}, p.summary)
	}
	err = refuse("retry-needs-review", fmt.Errorf("This re-run planned %s again: %s still to apply, and nobody reviewed that plan. "+
		"Use Re-run all jobs: the plan job plans this commit again for review (with what the failed attempt left), and this job applies it after approval",
		dir, countsPhrase(p.record.Counts)))
	// The refusal first, then what the failed attempts left and what
	// remains: the plan is shown, never applied.
	p.meta.Next = "This plan is not applied: it only shows what remains. **Re-run all jobs** plans this commit again for review, and the apply job applies that plan after approval."
	var r *refusal
	_ = errors.As(err, &r)
	body := comment.RenderRefusal(a.cfg.Engine, dir, a.cfg.Environment, r.Err.Error()) + history + comment.RenderSummary(p.summary, p.text, p.meta)
	if serr := a.r.Summary(body); serr != nil {
		a.r.Warnf("writing the job summary: %v", serr)
	}
	return &reported{err}
}

// countsPhrase is "1 to add, 0 to change, 0 to destroy".
func countsPhrase(c binding.Counts) string {
	return fmt.Sprintf("%d to add, %d to change, %d to destroy", c.Add, c.Change, c.Destroy)
}

// plainHistory is the failed attempts for the terminal, before the prompt.
func plainHistory(history []binding.Attempt) string {
	if len(history) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nEarlier applies of this commit failed part way; the plan below holds only what remains:\n")
	for _, h := range history {
		fmt.Fprintf(&b, "  attempt %d (%s): %d applied, %d failed, %d not reached\n", h.Number, h.At.Local().Format("2006-01-02 15:04"), len(h.Applied), len(h.Failed), len(h.NotReached))
		for _, f := range h.Failed {
			fmt.Fprintf(&b, "    failed: %s: %s\n", f.Address, f.Error)
		}
	}
	return b.String()
}
