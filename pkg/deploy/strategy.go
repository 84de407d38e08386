package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/progress"
)

// Check tells whether the app is healthy after a step: ok, and details for
// the report (which URLs failed and how). verify.Checker.SmokeCheck makes
// one.
type Check func(ctx context.Context) (ok bool, details string)

// Gate watches a canary step for its bake time, in place of a silent wait:
// ok, and details when it failed. what names the step ("canary step 1 of 3
// (10%)") for progress lines. The metrics gate (pkg/metrics) makes one; a
// zero bake asks for one evaluation.
type Gate func(ctx context.Context, bake time.Duration, what string) (ok bool, details string)

// Strategy is how an app version is rolled out: the traffic weights to
// deploy at, in order, and how long to let each step bake before its checks.
type Strategy interface {
	// Name is "direct" or "canary".
	Name() string
	// Weights are the traffic weights, in percent, ending at 100.
	Weights() []int
	// BakeTime is the wait after each step's deploy, before its checks.
	BakeTime() time.Duration
}

// Direct deploys once, at weight 100, then runs the checks.
type Direct struct{}

// Name is "direct".
func (Direct) Name() string { return "direct" }

// Weights is [100].
func (Direct) Weights() []int { return []int{100} }

// BakeTime is zero: the checks run at once.
func (Direct) BakeTime() time.Duration { return 0 }

// Canary deploys at each weight in Steps, waits Bake, runs the checks, and
// stops at the first step that fails.
type Canary struct {
	// Steps are increasing weights from 1 to 100, ending at 100 (the
	// canary-steps input).
	Steps []int
	// Bake is the wait after each step (canary-bake).
	Bake time.Duration
}

// Name is "canary".
func (Canary) Name() string { return "canary" }

// Weights are the steps.
func (c Canary) Weights() []int { return c.Steps }

// BakeTime is Bake.
func (c Canary) BakeTime() time.Duration { return c.Bake }

// validateWeights checks a strategy's weights as the canary-steps input is
// checked, for strategies built without it.
func validateWeights(s Strategy) error {
	w := s.Weights()
	if len(w) == 0 {
		return fmt.Errorf("%s strategy has no steps", s.Name())
	}
	for i, n := range w {
		if n < 1 || n > 100 || (i > 0 && n <= w[i-1]) {
			return fmt.Errorf("%s strategy steps %s are not increasing weights from 1 to 100", s.Name(), joinInts(w))
		}
	}
	if w[len(w)-1] != 100 {
		return fmt.Errorf("%s strategy steps %s do not end at 100, so the new version would never take all traffic", s.Name(), joinInts(w))
	}
	return nil
}

// StepResult is one step of a rollout.
type StepResult struct {
	// Step counts from 1.
	Step   int
	Weight int
	OK     bool
	// Err is why the deploy (or the bake) failed; nil when it succeeded.
	Err error
	// Details are the checks' details ("" when the deploy failed first).
	Details string
	// GateFailed is true when the Gate, not the Check, failed the step.
	GateFailed bool
	Duration   time.Duration
}

// Outcome is the result of a rollout.
type Outcome struct {
	Strategy string
	// Weights are all planned weights; Steps the steps that ran, the last
	// being the failing one when OK is false.
	Weights []int
	// Bake is the wait after each step before its checks.
	Bake  time.Duration
	Steps []StepResult
	OK    bool
	// Err says why the rollout failed: which step, and what went wrong. It
	// wraps ctx's error when the rollout was canceled.
	Err error
}

// FailedStep returns the step that failed.
func (o Outcome) FailedStep() (StepResult, bool) {
	if n := len(o.Steps); n > 0 && !o.Steps[n-1].OK {
		return o.Steps[n-1], true
	}
	return StepResult{}, false
}

// Canceled reports whether the rollout stopped because its context was
// canceled or timed out, rather than because the app failed.
func (o Outcome) Canceled() bool {
	return errors.Is(o.Err, context.Canceled) || errors.Is(o.Err, context.DeadlineExceeded)
}

// Runner runs strategies with an injected clock. The zero value uses the
// real clock.
type Runner struct {
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Gate, when set, watches each canary step for its bake time (and fails
	// it early) instead of a plain wait; direct deploys do not use it.
	Gate Gate
	// Progress, when set, gets a line as each step starts and ends, and at
	// least every progress.Every while a step bakes.
	Progress progress.Func
}

// Run rolls req out with the real clock; see Runner.Run.
func Run(ctx context.Context, s Strategy, t Target, req Request, check Check) Outcome {
	return Runner{}.Run(ctx, s, t, req, check)
}

// Run deploys req through t at each of the strategy's weights: deploy, wait
// the bake time, run check (a nil check always passes). It stops at the first
// step whose deploy or checks fail. req.Weight is set per step.
func (r Runner) Run(ctx context.Context, s Strategy, t Target, req Request, check Check) Outcome {
	if s == nil {
		s = Direct{}
	}
	out := Outcome{Strategy: s.Name(), Weights: s.Weights(), Bake: s.BakeTime()}
	if err := validateWeights(s); err != nil {
		out.Err = err
		return out
	}
	canary := s.Name() == "canary"
	for i, w := range out.Weights {
		step := StepResult{Step: i + 1, Weight: w}
		what := fmt.Sprintf("deploying at %d%%", w)
		if canary {
			what = fmt.Sprintf("canary step %d of %d (%d%%)", i+1, len(out.Weights), w)
		}
		if canary {
			r.tell(fmt.Sprintf("▶ %s: deploying", what))
		} else {
			r.tell("▶ " + what)
		}
		start := r.now()
		req.Weight, req.Step, req.Steps = w, i+1, len(out.Weights)
		step.Err = t.Deploy(ctx, req)
		step.OK = step.Err == nil
		switch {
		case step.Err != nil:
		case canary && r.Gate != nil:
			step.OK, step.Details = r.Gate(ctx, s.BakeTime(), what)
			step.GateFailed = !step.OK
			if err := ctx.Err(); err != nil && !step.OK {
				step.Err = fmt.Errorf("baking for %s: %w", s.BakeTime(), err)
			}
		case s.BakeTime() > 0:
			if err := progress.Wait(ctx, s.BakeTime(), r.sleep, progress.Tell(r.Progress, "baking "+what)); err != nil {
				step.Err = fmt.Errorf("baking for %s: %w", s.BakeTime(), err)
				step.OK = false
			}
		}
		if step.OK && check != nil {
			step.OK, step.Details = check(ctx)
		}
		step.Duration = r.now().Sub(start)
		out.Steps = append(out.Steps, step)
		if !step.OK {
			out.Err = out.stepError(step)
			r.tell(fmt.Sprintf("✖ %s failed after %s: %s", what, comment.Duration(step.Duration), errText(out.Err)))
			return out
		}
		r.tell(fmt.Sprintf("✔ %s healthy after %s", what, comment.Duration(step.Duration)))
	}
	out.OK = true
	return out
}

// stepError says which step failed and how.
func (o Outcome) stepError(step StepResult) error {
	where := fmt.Sprintf("deploying at %d%%", step.Weight)
	if o.Strategy == "canary" {
		where = fmt.Sprintf("canary step %d of %d (%d%%)", step.Step, len(o.Weights), step.Weight)
	}
	if step.Err != nil {
		return fmt.Errorf("%s: %w", where, step.Err)
	}
	what := "checks"
	if step.GateFailed {
		what = "metrics gate"
	}
	if step.Details == "" {
		return fmt.Errorf("%s: %s failed", where, what)
	}
	return fmt.Errorf("%s: %s failed: %s", where, what, step.Details)
}

func (r Runner) tell(line string) {
	if r.Progress != nil {
		r.Progress(line)
	}
}

func (r Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	return realSleep(ctx, d)
}

// Markdown renders the rollout for the job summary: a headline and a table
// of the steps, including those that did not run.
func (o Outcome) Markdown() string {
	var b strings.Builder
	name := "Direct deploy"
	if o.Strategy == "canary" {
		name = strings.TrimSpace("Canary " + joinInts(o.Weights))
		if o.Bake > 0 {
			name += fmt.Sprintf(" (%s bake per step)", comment.Duration(o.Bake))
		}
	}
	switch {
	case o.OK:
		fmt.Fprintf(&b, "**%s: ✅ healthy at 100%%.**\n\n", name)
	case len(o.Steps) == 0:
		fmt.Fprintf(&b, "**%s: ❌ %s.**\n\n", name, escapeCell(errText(o.Err)))
		return b.String()
	default:
		f, _ := o.FailedStep()
		fmt.Fprintf(&b, "**%s: ❌ stopped at step %d of %d (%d%%).**\n\n", name, f.Step, len(o.Weights), f.Weight)
	}
	b.WriteString("| Step | Weight | Result | Took | Details |\n| ---: | ---: | --- | ---: | --- |\n")
	for i, w := range o.Weights {
		if i >= len(o.Steps) {
			fmt.Fprintf(&b, "| %d | %d%% | ⏭️ not run | | |\n", i+1, w)
			continue
		}
		s := o.Steps[i]
		result, details := "✅ healthy", s.Details
		switch {
		case s.Err != nil:
			result, details = "❌ deploy failed", errText(s.Err)
		case s.GateFailed:
			result = "❌ metrics gate failed"
		case !s.OK:
			result = "❌ checks failed"
		}
		fmt.Fprintf(&b, "| %d | %d%% | %s | %s | %s |\n", s.Step, s.Weight, result, comment.Duration(s.Duration), escapeCell(details))
	}
	return b.String()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// escapeCell makes text safe inside one Markdown table cell, with the same
// rules as every other table lockstep renders (no HTML, no mentions, no
// pipes ending the cell).
func escapeCell(s string) string { return comment.EscapeText(s) }
