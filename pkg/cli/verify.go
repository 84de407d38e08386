package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/deploy"
	"github.com/lockstep-ci/lockstep/pkg/metrics"
	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/lockstep-ci/lockstep/pkg/verify"
)

// runVerify proves the deployed app healthy: smoke checks on every
// smoke-urls entry, then the watch window when watch is set. When they fail,
// the deployment of this app and infra version is marked failed and, with
// rollback auto, the last app version that succeeded on the same infra
// version is deployed again. Terraform never runs. A failed verify exits 1
// even when the rollback succeeded: the pipeline must stop.
func runVerify(ctx context.Context, a *app) error {
	if err := oneStack(a, "verify"); err != nil {
		return err
	}
	urls := a.cfg.SmokeURLs
	gate, err := metricsGate(a)
	if err != nil {
		return err
	}
	if len(urls) == 0 && gate == nil {
		a.r.Printf("verify: no smoke-urls given, so there is nothing to check.")
		if err := a.r.Summary("### Verify\n\nNo `smoke-urls` given: nothing was checked, so nothing is proven healthy.\n\n"); err != nil {
			return err
		}
		return a.r.SetOutput("result", "success")
	}
	v, err := deployVersions(ctx, a)
	if err != nil {
		return err
	}
	for _, o := range [][2]string{{"app-version", v.app}, {"infra-version", v.infra}, {"deployment-version", v.deployment()}} {
		if err := a.r.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "## Verify %s%s\n\n", "`"+v.deployment()+"`", toEnvironment(a.cfg.Environment))
	if gate != nil {
		// An unreachable Prometheus or a rejected query says nothing about
		// the app: fail without marking it failed or rolling it back.
		if err := checkMetrics(ctx, a, gate); err != nil {
			var r *refusal
			if errors.As(err, &r) {
				b.WriteString("> [!CAUTION]\n> **The metrics gate could not run; the app was neither judged nor rolled back.** " + comment.EscapeText(r.Err.Error()) + "\n")
				_ = a.r.Summary(b.String())
				return fail(r.Reason, r.Err)
			}
			return err
		}
	}
	checker := smokeChecker(a)
	ok, reason, interrupted := true, "", false
	if len(urls) > 0 {
		a.r.Printf("Smoke checks on %d URL(s), retrying for up to %s…", len(urls), a.cfg.SmokeTimeout)
		rep := checker.Smoke(ctx, urls, a.cfg.SmokeTimeout)
		a.r.Printf("%s", rep.Summary())
		b.WriteString(rep.Markdown())
		ok, reason, interrupted = rep.OK(), rep.Summary(), rep.Err != nil
	}
	unavailable := false
	if ok {
		var w watchOutcome
		w, unavailable = watch(ctx, a, checker, gate, urls)
		b.WriteString(w.markdown)
		ok, reason, interrupted = w.ok, w.reason, w.interrupted
	}
	if ok {
		b.WriteString("\n")
		if err := a.r.Summary(b.String()); err != nil {
			return err
		}
		return a.r.SetOutput("result", "success")
	}
	checkErr := fmt.Errorf("verifying app %s on infra %s%s: %s", v.app, v.infra, toEnvironment(a.cfg.Environment), reason)
	if interrupted {
		// Canceled, not unhealthy: the app's health is unknown, so neither
		// mark it failed nor roll it back (deploy does the same).
		_ = a.r.Summary(b.String())
		return fail("verify-interrupted", checkErr)
	}
	if unavailable {
		// Prometheus stopped answering: the same, health unknown.
		b.WriteString("\n> [!CAUTION]\n> The metrics gate could not evaluate its queries: the app was neither marked failed nor rolled back.\n")
		_ = a.r.Summary(b.String())
		return fail("metrics-unavailable", checkErr)
	}
	err = verifyFailed(ctx, a, &b, v, reason, checkErr)
	if sumErr := a.r.Summary(b.String()); sumErr != nil {
		return errors.Join(err, sumErr)
	}
	return err
}

// watchOutcome is the watch window's verdict.
type watchOutcome struct {
	ok, interrupted bool
	reason          string
	markdown        string
}

// watch keeps probing the smoke URLs (when watch is set) and evaluating the
// metrics gate (through the watch window, or once when watch is 0) at the
// same time; the first to fail stops the other. unavailable is true when
// the gate failed because Prometheus could not evaluate a query.
func watch(ctx context.Context, a *app, checker *verify.Checker, gate *metrics.Gate, urls []string) (out watchOutcome, unavailable bool) {
	out.ok = true
	probe := len(urls) > 0 && a.cfg.Watch > 0
	if !probe && gate == nil {
		return out, false
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var urlRep verify.Report
	var metRep metrics.Report
	if probe {
		a.r.Printf("Watching %d URL(s) for %s…", len(urls), a.cfg.Watch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			urlRep = checker.Watch(wctx, urls, a.cfg.Watch, 0, verify.DefaultMaxErrorRate)
			if !urlRep.OK() {
				cancel()
			}
		}()
	}
	if gate != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Logged after the wait: warnings and lines from two goroutines
			// would interleave.
			metRep = gate.Watch(wctx, a.cfg.Watch, "watch")
			if !metRep.OK() {
				cancel()
			}
		}()
	}
	wg.Wait()
	var b strings.Builder
	var reasons []string
	// A check cut short because the other failed is not interrupted; one
	// cut short because the run was canceled is.
	out.interrupted = ctx.Err() != nil
	if probe {
		a.r.Printf("%s", urlRep.Summary())
		b.WriteString("\n" + urlRep.Markdown())
		if !urlRep.OK() && (urlRep.Err == nil || out.interrupted) {
			out.ok = false
			reasons = append(reasons, urlRep.Summary())
		}
	}
	if gate != nil {
		logMetrics(a, metRep)
		b.WriteString("\n" + metRep.Markdown())
		if !metRep.OK() && (metRep.Err == nil || out.interrupted) {
			out.ok = false
			reasons = append(reasons, metRep.Summary())
			unavailable = metRep.Unavailable()
		}
	}
	out.reason, out.markdown = strings.Join(reasons, "; "), b.String()
	return out, unavailable && !out.interrupted
}

// verifyFailed records the failure and rolls the app back when it may,
// telling the summary what it did.
func verifyFailed(ctx context.Context, a *app, b *strings.Builder, v deployVersion, reason string, checkErr error) error {
	env := a.cfg.Environment
	if env == "" {
		b.WriteString("\n> [!WARNING]\n> No `environment` given: no deployment is marked failed and the app is not rolled back.\n")
		return fail("verify-failed", checkErr)
	}
	pol, err := a.policy()
	if err != nil {
		return errors.Join(fail("verify-failed", checkErr), err)
	}
	ledger, where, err := deployLedger(ctx, a, pol)
	if err != nil {
		return errors.Join(fail("verify-failed", checkErr), err)
	}
	entries, err := ledger.List(ctx, env)
	if err != nil {
		return errors.Join(fail("verify-failed", checkErr), fail("ledger-failed", err))
	}
	failed, found := latestDeployment(entries, env, v)
	if !found {
		a.r.Warnf("No deployment of %s to %s is recorded in %s: none is marked failed.", v.deployment(), env, where)
	}
	failedID := ""
	if found && failed.Status != trace.StatusFailure {
		failedID = failed.ID
	}
	desc := "verify failed: " + reason

	target, err := deployTarget(a)
	if err != nil {
		return errors.Join(fail("verify-failed", checkErr), err)
	}
	if a.cfg.Rollback == config.Never || target == nil {
		why := "`rollback` is `never`"
		if target == nil {
			why = "neither `deploy-command` nor `deploy-workflow` is given, so lockstep cannot redeploy"
		}
		fmt.Fprintf(b, "\n#### ↩️ No rollback\n\n%s. Infrastructure is never rolled back.\n", why)
		if failedID != "" {
			if err := ledger.SetStatus(ctx, failedID, trace.StatusFailure, desc); err != nil {
				return errors.Join(fail("verify-failed", checkErr), fail("ledger-failed", fmt.Errorf("marking deployment %s failed: %w", failedID, err)))
			}
			a.r.Printf("Marked deployment %s (%s) failed.", failedID, v.deployment())
		}
		return fail("verify-failed", checkErr)
	}

	a.r.Printf("Rolling the app back to the last version that succeeded on infra %s in %s (never the infrastructure)…", v.infra, env)
	d := &deploy.Deployer{
		Ledger:   ledger,
		Target:   target,
		Check:    smokeChecker(a).SmokeCheck(a.cfg.SmokeURLs, a.cfg.SmokeTimeout, nil),
		Now:      a.env.Now,
		Progress: func(line string) { a.r.Printf("%s", line) },
	}
	rb, err := d.Rollback(ctx, deploy.RollbackRequest{
		Environment:      env,
		InfraVersion:     v.infra,
		FailedAppVersion: v.app,
		FailedID:         failedID,
		Reason:           desc,
		Actor:            deployActor(a),
		RunURL:           a.gh.RunURL(),
		Outputs:          outputStrings(infraOutputs(ctx, a, "", false)),
	})
	b.WriteString("\n")
	var none *deploy.NoRollbackTargetError
	switch {
	case errors.As(err, &none):
		fmt.Fprintf(b, "#### ↩️ No rollback\n\n%s.\n", err)
		return fail("verify-failed", fmt.Errorf("%w; %w", checkErr, err))
	case rb.Entry.ID == "" && err != nil:
		fmt.Fprintf(b, "#### ❌ Rollback failed\n\n%s\n", err)
		return fail("rollback-failed", fmt.Errorf("%w; rolling back: %w", checkErr, err))
	}
	b.WriteString(rb.Markdown())
	if err != nil {
		return fail("rollback-failed", fmt.Errorf("%w; %w", checkErr, err))
	}
	a.r.Printf("Rolled back to %s.", rb.Entry.DeploymentVersion)
	return fail("verify-failed", fmt.Errorf("%w; rolled back to app %s (%s)", checkErr, rb.Entry.AppVersion, rb.Entry.DeploymentVersion))
}

// latestDeployment is the newest app deployment of exactly this pair in the
// environment: the one verify judged. Ledgers list newest first.
func latestDeployment(entries []trace.Entry, env string, v deployVersion) (trace.Entry, bool) {
	for _, e := range entries {
		if e.IsApp() && e.Environment == env && e.AppVersion == v.app && e.InfraVersion == v.infra {
			return e, true
		}
	}
	return trace.Entry{}, false
}

func toEnvironment(env string) string {
	if env == "" {
		return ""
	}
	return " in " + env
}
