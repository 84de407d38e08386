package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/progress"
	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// Deployer deploys app versions and records them: the deploy and rollback
// commands' engine. It never calls Terraform.
type Deployer struct {
	Ledger trace.Ledger
	Target Target
	// Check runs after each step; nil means no checks.
	Check Check
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done (canary bake); nil means a real
	// timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Gate, when set, watches each canary step of a deployment for its bake
	// time (the metrics gate). A rollback never runs it: the metrics still
	// show the failed version for a while, and only the smoke checks judge
	// the version rolled back to.
	Gate Gate
	// Progress, when set, gets the rollout's progress lines.
	Progress progress.Func
}

// Plan is one app deployment to make.
type Plan struct {
	Environment  string
	AppVersion   string
	InfraVersion string
	// PlanSHA256 is the applied plan's checksum, for the record ("" when
	// there was nothing to apply).
	PlanSHA256 string
	Actor      string
	RunURL     string
	// Outputs are the non-sensitive Terraform outputs.
	Outputs map[string]string
	// Commit is the commit being deployed, for the record.
	Commit string
	// Strategy is Direct{} or a Canary; nil means Direct{}.
	Strategy Strategy
	// AutoRollback redeploys the last good app version when the deployment
	// fails (the rollback input is auto).
	AutoRollback bool
}

// Result is what Deploy did.
type Result struct {
	// Entry is the deployment's ledger entry with its final status.
	Entry   trace.Entry
	Outcome Outcome
	// Rollback is the automatic rollback; nil when none was attempted.
	Rollback *RollbackResult
	// RollbackErr is why the rollback did not happen or failed.
	RollbackErr error
}

// OK reports whether the deployment succeeded.
func (r Result) OK() bool { return r.Outcome.OK }

// RollbackResult is an app rollback: the redeployment of a good version.
type RollbackResult struct {
	// From is the app version rolled back from ("" when unknown).
	From string
	// To is the ledger entry that proved the version good (zero when
	// forced to a version without one).
	To trace.Entry
	// Entry is the rollback's own ledger entry, task rollback:app.
	Entry   trace.Entry
	Outcome Outcome
}

// OK reports whether the rolled-back version is healthy.
func (r RollbackResult) OK() bool { return r.Outcome.OK }

// FailedError is a deployment that failed, with what the rollback did.
type FailedError struct {
	Environment string
	AppVersion  string
	// Cause is why the deployment failed.
	Cause error
	// Rollback is the rollback's result, nil when none ran; RollbackErr why
	// it did not run or failed.
	Rollback    *RollbackResult
	RollbackErr error
}

func (e *FailedError) Error() string {
	msg := fmt.Sprintf("deploying app %s%s: %v", e.AppVersion, toEnv(e.Environment), e.Cause)
	switch {
	case e.Rollback != nil && e.Rollback.OK():
		msg += fmt.Sprintf("; rolled back to app %s", e.Rollback.Entry.AppVersion)
	case e.RollbackErr != nil:
		msg += "; " + e.RollbackErr.Error()
	}
	return msg
}

// Unwrap returns the cause and the rollback's error.
func (e *FailedError) Unwrap() []error {
	errs := []error{e.Cause}
	if e.RollbackErr != nil {
		errs = append(errs, e.RollbackErr)
	}
	return errs
}

// ledgerTimeout bounds the ledger writes that record an outcome, which run
// even when the deployment's context was canceled.
const ledgerTimeout = 30 * time.Second

// Deploy records the deployment (in_progress), rolls it out with the plan's
// strategy, and records success or failure. When it fails and AutoRollback
// is set, it rolls back to the last good app version on the same infra
// version, which gets its own ledger entry. A canceled deployment is
// recorded as error and not rolled back. The error is a *FailedError when the
// rollout failed, and any other error when it could not be recorded.
func (d *Deployer) Deploy(ctx context.Context, p Plan) (Result, error) {
	if err := d.validate(p.AppVersion, p.InfraVersion); err != nil {
		return Result{}, fmt.Errorf("deploying app %s%s: %w", p.AppVersion, toEnv(p.Environment), err)
	}
	strategy := p.Strategy
	if strategy == nil {
		strategy = Direct{}
	}
	entry, err := d.Ledger.Record(ctx, trace.Entry{
		Environment:       p.Environment,
		AppVersion:        p.AppVersion,
		InfraVersion:      p.InfraVersion,
		DeploymentVersion: trace.DeploymentVersion(p.AppVersion, p.InfraVersion),
		PlanSHA256:        p.PlanSHA256,
		Commit:            p.Commit,
		Status:            trace.StatusInProgress,
		Description:       describe(fmt.Sprintf("deploying %s (%s)", p.AppVersion, strategyText(strategy))),
		Task:              trace.TaskDeploy,
		Actor:             p.Actor,
		RunURL:            p.RunURL,
		InfraOutputs:      names(p.Outputs),
	})
	if err != nil {
		return Result{}, fmt.Errorf("recording the deployment of app %s%s: %w", p.AppVersion, toEnv(p.Environment), err)
	}
	req := Request{
		AppVersion:        entry.AppVersion,
		InfraVersion:      entry.InfraVersion,
		DeploymentVersion: entry.DeploymentVersion,
		Environment:       entry.Environment,
		Outputs:           p.Outputs,
		LockstepID:        entry.ID,
	}
	rollout := d.runner()
	rollout.Gate = d.Gate
	res := Result{Outcome: rollout.Run(ctx, strategy, d.Target, req, d.Check)}

	status, desc := trace.StatusSuccess, "healthy at 100%"
	switch {
	case res.Outcome.Canceled():
		status, desc = trace.StatusError, "canceled: "+errText(res.Outcome.Err)
	case !res.Outcome.OK:
		status, desc = trace.StatusFailure, errText(res.Outcome.Err)
	}
	res.Entry, err = d.setStatus(ctx, entry, status, desc)
	if res.Outcome.OK {
		return res, err
	}
	statusErr := err
	failed := &FailedError{Environment: p.Environment, AppVersion: p.AppVersion, Cause: res.Outcome.Err}
	if p.AutoRollback && !res.Outcome.Canceled() {
		rb, err := d.rollback(ctx, rollbackSpec{
			environment: p.Environment, infraVersion: p.InfraVersion, from: p.AppVersion,
			planSHA256: p.PlanSHA256, actor: p.Actor, runURL: p.RunURL, outputs: p.Outputs,
		})
		if rb.Entry.ID != "" {
			res.Rollback, failed.Rollback = &rb, &rb
		}
		res.RollbackErr, failed.RollbackErr = err, err
	}
	if statusErr != nil {
		return res, errors.Join(failed, statusErr)
	}
	return res, failed
}

// RollbackRequest asks for an app rollback after a failure, for the verify
// command or a failed deploy.
type RollbackRequest struct {
	Environment      string
	InfraVersion     string
	FailedAppVersion string
	// FailedID is the failed deployment's ledger ID; when set, it is marked
	// failure with Reason first.
	FailedID string
	Reason   string
	// PlanSHA256, Actor and RunURL go into the rollback's ledger entry.
	PlanSHA256 string
	Actor      string
	RunURL     string
	Outputs    map[string]string
}

// Rollback redeploys the newest app version other than the failed one that
// succeeded in the environment on the same infra version, at weight 100 and
// with the checks, as its own ledger entry (task rollback:app). With no such
// version it returns a *NoRollbackTargetError and deploys nothing.
func (d *Deployer) Rollback(ctx context.Context, r RollbackRequest) (RollbackResult, error) {
	if err := d.validate(orString(r.FailedAppVersion, "unknown"), r.InfraVersion); err != nil {
		return RollbackResult{}, fmt.Errorf("rolling back%s: %w", inEnv(r.Environment), err)
	}
	if r.FailedID != "" {
		desc := r.Reason
		if desc == "" {
			desc = "checks failed"
		}
		if err := d.Ledger.SetStatus(ctx, r.FailedID, trace.StatusFailure, describe(desc)); err != nil {
			return RollbackResult{}, fmt.Errorf("marking deployment %s failed: %w", r.FailedID, err)
		}
	}
	return d.rollback(ctx, rollbackSpec{
		environment: r.Environment, infraVersion: r.InfraVersion, from: r.FailedAppVersion,
		planSHA256: r.PlanSHA256, actor: r.Actor, runURL: r.RunURL, outputs: r.Outputs,
	})
}

// RollbackToRequest asks for a rollback to a chosen app version (the
// rollback command's --to).
type RollbackToRequest struct {
	Environment  string
	InfraVersion string
	AppVersion   string
	// Force deploys AppVersion even when it never succeeded on InfraVersion.
	Force bool
	// From is the app version being replaced; "" means the newest app
	// deployment in the ledger for the environment.
	From       string
	PlanSHA256 string
	Actor      string
	RunURL     string
	Outputs    map[string]string
}

// RollbackTo redeploys the chosen app version at weight 100 with the checks,
// as its own ledger entry. It refuses (*RollbackRefusedError) a version that
// never succeeded in the environment on the current infra version, unless
// Force.
func (d *Deployer) RollbackTo(ctx context.Context, r RollbackToRequest) (RollbackResult, error) {
	if err := d.validate(r.AppVersion, r.InfraVersion); err != nil {
		return RollbackResult{}, fmt.Errorf("rolling back to app %s%s: %w", r.AppVersion, inEnv(r.Environment), err)
	}
	entries, err := d.Ledger.List(ctx, r.Environment)
	if err != nil {
		return RollbackResult{}, fmt.Errorf("reading the deployment history%s: %w", inEnv(r.Environment), err)
	}
	if !r.Force {
		if err := CheckRollbackTo(entries, r.Environment, r.InfraVersion, r.AppVersion); err != nil {
			return RollbackResult{}, err
		}
	}
	good, _ := trace.LastGood(onlyApp(entries, r.AppVersion), r.Environment, r.InfraVersion, "")
	from := r.From
	if from == "" {
		from = newestApp(entries, r.Environment)
	}
	return d.redeploy(ctx, rollbackSpec{
		environment: r.Environment, infraVersion: r.InfraVersion, from: from,
		planSHA256: r.PlanSHA256, actor: r.Actor, runURL: r.RunURL, outputs: r.Outputs,
	}, r.AppVersion, good)
}

type rollbackSpec struct {
	environment, infraVersion, from string
	planSHA256, actor, runURL       string
	outputs                         map[string]string
}

func (d *Deployer) rollback(ctx context.Context, s rollbackSpec) (RollbackResult, error) {
	entries, err := d.Ledger.List(ctx, s.environment)
	if err != nil {
		return RollbackResult{}, fmt.Errorf("reading the deployment history to choose a rollback%s: %w", inEnv(s.environment), err)
	}
	good, err := ChooseRollback(entries, s.environment, s.infraVersion, s.from)
	if err != nil {
		return RollbackResult{}, err
	}
	return d.redeploy(ctx, s, good.AppVersion, good)
}

// redeploy deploys app at weight 100 as a rollback:app entry.
func (d *Deployer) redeploy(ctx context.Context, s rollbackSpec, app string, good trace.Entry) (RollbackResult, error) {
	res := RollbackResult{From: s.from, To: good}
	desc := "rolling back to " + app
	if s.from != "" {
		desc = fmt.Sprintf("rolling back from %s to %s", s.from, app)
	}
	entry, err := d.Ledger.Record(ctx, trace.Entry{
		Environment:       s.environment,
		AppVersion:        app,
		InfraVersion:      s.infraVersion,
		DeploymentVersion: trace.DeploymentVersion(app, s.infraVersion),
		PlanSHA256:        s.planSHA256,
		Status:            trace.StatusInProgress,
		Description:       describe(desc),
		Task:              trace.TaskRollback,
		RolledBackFrom:    s.from,
		Actor:             s.actor,
		RunURL:            s.runURL,
		InfraOutputs:      names(s.outputs),
	})
	if err != nil {
		return res, fmt.Errorf("recording the rollback to app %s%s: %w", app, inEnv(s.environment), err)
	}
	req := Request{
		AppVersion:        app,
		InfraVersion:      s.infraVersion,
		DeploymentVersion: entry.DeploymentVersion,
		Environment:       s.environment,
		Outputs:           s.outputs,
		LockstepID:        entry.ID,
	}
	res.Outcome = d.runner().Run(ctx, Direct{}, d.Target, req, d.Check)
	status, statusDesc := trace.StatusSuccess, "rolled back; healthy"
	if s.from != "" {
		statusDesc = "rolled back from " + s.from + "; healthy"
	}
	switch {
	case res.Outcome.Canceled():
		status, statusDesc = trace.StatusError, "canceled: "+errText(res.Outcome.Err)
	case !res.Outcome.OK:
		status, statusDesc = trace.StatusFailure, errText(res.Outcome.Err)
	}
	res.Entry, err = d.setStatus(ctx, entry, status, statusDesc)
	if err != nil {
		return res, err
	}
	if !res.Outcome.OK {
		return res, fmt.Errorf("rolling back to app %s%s: %w", app, inEnv(s.environment), res.Outcome.Err)
	}
	return res, nil
}

// setStatus records an outcome even when ctx was canceled: the ledger must
// not be left saying in_progress.
func (d *Deployer) setStatus(ctx context.Context, e trace.Entry, status, desc string) (trace.Entry, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	desc = describe(desc)
	if err := d.Ledger.SetStatus(ctx, e.ID, status, desc); err != nil {
		return e, fmt.Errorf("recording status %s of deployment %s (app %s%s): %w", status, e.ID, e.AppVersion, inEnv(e.Environment), err)
	}
	e.Status, e.Description = status, desc
	e.UpdatedAt = d.now()
	return e, nil
}

func (d *Deployer) validate(app, infra string) error {
	switch {
	case d.Ledger == nil:
		return errors.New("no deployment ledger configured")
	case d.Target == nil:
		return errors.New("no deploy target configured: set deploy-command or deploy-workflow")
	case app == "":
		return errors.New("no app version given")
	case infra == "":
		return errors.New("no infra version given")
	}
	return nil
}

func (d *Deployer) runner() Runner { return Runner{Now: d.Now, Sleep: d.Sleep, Progress: d.Progress} }

func (d *Deployer) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// onlyApp keeps the entries of one app version.
func onlyApp(entries []trace.Entry, app string) []trace.Entry {
	var out []trace.Entry
	for _, e := range entries {
		if e.AppVersion == app {
			out = append(out, e)
		}
	}
	return out
}

// newestApp is the app version of the newest app deployment in environment.
func newestApp(entries []trace.Entry, environment string) string {
	var newest trace.Entry
	for _, e := range entries {
		if e.IsApp() && e.Environment == environment && (newest.ID == "" || e.CreatedAt.After(newest.CreatedAt)) {
			newest = e
		}
	}
	return newest.AppVersion
}

func strategyText(s Strategy) string {
	if s.Name() == "canary" {
		return "canary " + joinInts(s.Weights())
	}
	return s.Name()
}

func toEnv(env string) string {
	if env == "" {
		return ""
	}
	return " to " + env
}

func inEnv(env string) string {
	if env == "" {
		return ""
	}
	return " in " + env
}

// maxDescription is GitHub's limit for a deployment status description.
const maxDescription = 140

// describe fits a status description on one line within GitHub's limit.
func describe(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxDescription {
		return s
	}
	r := []rune(s)
	return string(r[:maxDescription-1]) + "…"
}

// names are the names of the outputs the app is deployed against, sorted;
// nil when there are none.
func names(outputs map[string]string) []string {
	if len(outputs) == 0 {
		return nil
	}
	out := make([]string, 0, len(outputs))
	for n := range outputs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
