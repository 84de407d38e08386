package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/deploy"
	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// runRollback redeploys an earlier app version on the current infra version,
// on demand: the one given (--to locally, the app-version input in a
// workflow), which must have succeeded on this infra version unless --force;
// else the last version that succeeded on it before the one running now,
// which is marked failed. It is the app only: Terraform never runs, and
// infrastructure is rolled back by reverting the change and running the
// pipeline (deploy.RefuseInfraRollback says so in the summary).
func runRollback(ctx context.Context, a *app) error {
	if err := oneStack(a, "rollback"); err != nil {
		return err
	}
	if err := needEnvironment(a, "rollback"); err != nil {
		return err
	}
	to, err := rollbackTarget(a)
	if err != nil {
		return err
	}
	pol, err := a.policy()
	if err != nil {
		return err
	}
	target, err := deployTarget(a)
	if err != nil {
		return err
	}
	if target == nil {
		return &badInput{errors.New(`rollback redeploys the app the way deploy does: set deploy-command or deploy-workflow`)}
	}
	infra, err := deployInfraVersion(ctx, a)
	if err != nil {
		return err
	}
	ledger, where, err := deployLedger(ctx, a, pol)
	if err != nil {
		return err
	}
	env := a.cfg.Environment
	d := &deploy.Deployer{Ledger: ledger, Target: target, Now: a.env.Now}
	if len(a.cfg.SmokeURLs) > 0 {
		d.Check = smokeChecker(a).SmokeCheck(a.cfg.SmokeURLs, a.cfg.SmokeTimeout, nil)
	}
	outputs := outputStrings(infraOutputs(ctx, a, "", false))

	var rb deploy.RollbackResult
	if to != "" {
		force := a.local != nil && a.local.force
		a.r.Printf("Rolling the app in %s back to %s on infra %s (recorded in %s)…", env, to, infra, where)
		rb, err = d.RollbackTo(ctx, deploy.RollbackToRequest{
			Environment: env, InfraVersion: infra, AppVersion: to, Force: force,
			Actor: deployActor(a), RunURL: a.gh.RunURL(), Outputs: outputs,
		})
	} else {
		entries, listErr := ledger.List(ctx, env)
		if listErr != nil {
			return fail("ledger-failed", listErr)
		}
		req := deploy.RollbackRequest{
			Environment: env, InfraVersion: infra,
			Actor: deployActor(a), RunURL: a.gh.RunURL(), Outputs: outputs,
		}
		if cur, ok := currentDeployment(entries, env); ok {
			req.FailedAppVersion = cur.AppVersion
			// What runs now is being rolled back from: it must not be chosen
			// as the last good version again.
			if cur.InfraVersion == infra && cur.Succeeded() {
				req.FailedID = cur.ID
				req.Reason = "rolled back on demand"
				if actor := deployActor(a); actor != "" {
					req.Reason += " by " + actor
				}
			}
		}
		a.r.Printf("Rolling the app in %s back from %s to the last version that succeeded on infra %s (recorded in %s)…",
			env, orNone(req.FailedAppVersion), infra, where)
		rb, err = d.Rollback(ctx, req)
	}

	var b strings.Builder
	if rb.Entry.ID != "" {
		b.WriteString(rb.Markdown())
		_ = a.r.SetOutput("deployment-id", rb.Entry.ID)
	}
	var refusedErr *deploy.RollbackRefusedError
	var none *deploy.NoRollbackTargetError
	switch {
	case errors.As(err, &refusedErr):
		fmt.Fprintf(&b, "### ↩️ Rollback refused\n\n%s\n", err)
		err = refuseWithResult(a, "rollback-refused", err)
	case errors.As(err, &none):
		fmt.Fprintf(&b, "### ↩️ Nothing to roll back to\n\n%s.\n", err)
		err = fail("no-rollback-target", err)
	case err != nil && rb.Entry.ID != "":
		err = fail("rollback-failed", err)
	case err != nil:
		err = fail("ledger-failed", err)
	}
	fmt.Fprintf(&b, "\n> [!NOTE]\n> Only the app was rolled back; infrastructure never is. %s\n\n", infraRollbackGuidance())
	if sumErr := a.r.Summary(b.String()); sumErr != nil && err == nil {
		err = sumErr
	}
	if err != nil {
		return err
	}
	v := deployVersion{app: rb.Entry.AppVersion, infra: infra}
	if err := v.export(a); err != nil {
		return err
	}
	a.r.Printf("Rolled back: %s runs in %s.", v.deployment(), env)
	return a.r.SetOutput("result", "success")
}

// rollbackTarget is the app version asked for: --to locally (or
// --app-version, its synonym in both front doors), the app-version input in a
// workflow; "" means the last good one.
func rollbackTarget(a *app) (string, error) {
	to := a.cfg.AppVersion
	if a.local == nil || a.local.to == "" {
		return to, nil
	}
	if to != "" && to != a.local.to {
		return "", &badInput{&config.InputError{Input: "to", Value: a.local.to, Flag: true,
			Problem: fmt.Sprintf("contradicts --app-version %q: name the version to roll back to once", to)}}
	}
	return a.local.to, nil
}

// currentDeployment is the newest app deployment in the environment: what
// runs now (or last tried to). Ledgers list newest first.
func currentDeployment(entries []trace.Entry, env string) (trace.Entry, bool) {
	for _, e := range entries {
		if e.IsApp() && e.Environment == env {
			return e, true
		}
	}
	return trace.Entry{}, false
}

// infraRollbackGuidance is the controlled process for undoing an
// infrastructure change, from deploy.RefuseInfraRollback, as a sentence.
func infraRollbackGuidance() string {
	msg := deploy.RefuseInfraRollback().Error()
	if msg == "" {
		return ""
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}
