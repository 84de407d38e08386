package cli

import (
	"context"
	"errors"
)

// runGate checks, without touching any engine, what apply checks before
// its first engine command: the promotion (promote-from) and the approval
// gate for every stack. The reusable workflow runs it first in the apply
// job, so that the caller's setup hook (which runs the repository's own
// code with the environment's secrets) runs only for a run that may apply;
// apply checks the gate again itself.
func runGate(ctx context.Context, a *app) error {
	if a.local != nil {
		return &badInput{errors.New("gate checks a GitHub Actions run's approval: at a terminal, apply asks you instead")}
	}
	dirs, _, err := a.targetStacks(ctx)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return noStacks(a, "gate")
	}
	if _, err := a.promotion(ctx); err != nil {
		a.reportRefusal(dirs, err)
		return err
	}
	if err := a.gateApply(ctx, dirs); err != nil {
		return err
	}
	return a.r.SetOutput("result", "success")
}
