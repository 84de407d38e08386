package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/progress"
)

// Defaults of WorkflowTarget.
const (
	// DefaultDeployTimeout is how long a dispatched run may take (the
	// deploy-timeout input's default).
	DefaultDeployTimeout = 30 * time.Minute
	// DefaultPollInterval is the time between looks at the run.
	DefaultPollInterval = 10 * time.Second
	// DefaultFindTimeout is how long the dispatched run may take to appear.
	DefaultFindTimeout = 2 * time.Minute
	// findSlack widens FindRun's time filter for clock skew between the
	// runner and GitHub.
	findSlack = 2 * time.Minute
)

// Inputs of the dispatched workflow. The workflow must declare all of them
// under on.workflow_dispatch.inputs (GitHub rejects undeclared inputs) and
// should put lockstep-id in its run-name, e.g.
// `run-name: deploy ${{ inputs.app-version }} [${{ inputs.lockstep-id }}]`,
// so that lockstep finds the run it started.
const (
	InputAppVersion        = "app-version"
	InputInfraVersion      = "infra-version"
	InputDeploymentVersion = "deployment-version"
	InputCanaryWeight      = "canary-weight"
	InputLockstepID        = "lockstep-id"
)

// WorkflowRun is a GitHub Actions workflow run. (Not named Run: that is the
// function that rolls out a strategy.)
type WorkflowRun struct {
	ID int64
	// Status is queued, in_progress, completed, ...; Conclusion is set once
	// completed: success, failure, cancelled, timed_out, ...
	Status     string
	Conclusion string
	// URL is the run's page (html_url).
	URL string
}

// Completed reports whether the run has finished.
func (r *WorkflowRun) Completed() bool { return r.Status == "completed" }

// Dispatcher starts and observes workflow runs. pkg/github implements it
// over the REST API.
type Dispatcher interface {
	// Dispatch creates a workflow_dispatch event for the workflow file on ref.
	Dispatch(ctx context.Context, workflowFile, ref string, inputs map[string]string) error
	// FindRun returns the workflow file's run whose name (display title)
	// contains lockstepID, created at or after since; nil, nil when no such
	// run is visible yet.
	FindRun(ctx context.Context, workflowFile, lockstepID string, since time.Time) (*WorkflowRun, error)
	// GetRun returns a run by ID.
	GetRun(ctx context.Context, id int64) (*WorkflowRun, error)
}

// WorkflowTarget deploys by dispatching a workflow (the deploy-workflow
// input) and waiting for the run it started; the deployment succeeds only
// when the run concludes success.
type WorkflowTarget struct {
	Dispatcher Dispatcher
	// Workflow is the workflow file name (deploy.yml) or ID; Ref is the
	// branch or tag to run it on.
	Workflow, Ref string
	// Timeout bounds the wait for the run (deploy-timeout); zero means
	// DefaultDeployTimeout. The run is not canceled when it passes.
	Timeout time.Duration
	// PollInterval is the time between looks at the run; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// FindTimeout bounds the wait for the run to appear; zero means
	// DefaultFindTimeout.
	FindTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRun, when set, is called once the run is found, so that its URL can
	// be shown while lockstep waits.
	OnRun func(WorkflowRun)
	// NewID makes the random part of each dispatch's lockstep-id; nil means
	// crypto/rand.
	NewID func() string
	// Progress, when set, gets a line at least every progress.Every while
	// lockstep waits for the run: its state and the time left.
	Progress progress.Func
}

var _ Target = (*WorkflowTarget)(nil)

// RunError is a dispatched run that did not succeed.
type RunError struct {
	Workflow string
	Run      WorkflowRun
	// Reason is "concluded failure", "did not complete within 30m0s", ...
	Reason string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("deploy workflow %s run %d %s: %s", e.Workflow, e.Run.ID, e.Reason, e.Run.URL)
}

// Deploy dispatches the workflow with the request's inputs and waits for
// its run.
func (t *WorkflowTarget) Deploy(ctx context.Context, req Request) error {
	if t.Dispatcher == nil || t.Workflow == "" {
		return errors.New("dispatching the deploy workflow: no workflow given")
	}
	id := t.dispatchID(req)
	inputs := map[string]string{
		InputAppVersion:        req.AppVersion,
		InputInfraVersion:      req.InfraVersion,
		InputDeploymentVersion: req.DeploymentVersion,
		InputCanaryWeight:      strconv.Itoa(req.Weight),
		InputLockstepID:        id,
	}
	start := t.now()
	if err := t.Dispatcher.Dispatch(ctx, t.Workflow, t.Ref, inputs); err != nil {
		return fmt.Errorf("dispatching deploy workflow %s on %s: %w", t.Workflow, t.Ref, err)
	}
	timeout := orDefault(t.Timeout, DefaultDeployTimeout)
	findTimeout := min(orDefault(t.FindTimeout, DefaultFindTimeout), timeout)
	poll := orDefault(t.PollInterval, DefaultPollInterval)

	var run *WorkflowRun
	for {
		var err error
		if run == nil {
			run, err = t.Dispatcher.FindRun(ctx, t.Workflow, id, start.Add(-findSlack))
			if err != nil {
				return fmt.Errorf("finding the run of deploy workflow %s with lockstep-id %s: %w", t.Workflow, id, err)
			}
			if run != nil && t.OnRun != nil {
				t.OnRun(*run)
			}
		} else {
			prev := *run
			run, err = t.Dispatcher.GetRun(ctx, prev.ID)
			if err != nil {
				return fmt.Errorf("checking deploy workflow %s run %d (%s): %w", t.Workflow, prev.ID, prev.URL, err)
			}
			if run == nil {
				return fmt.Errorf("checking deploy workflow %s run %d (%s): it no longer exists", t.Workflow, prev.ID, prev.URL)
			}
		}
		if run != nil && run.Completed() {
			if run.Conclusion == "success" {
				return nil
			}
			return &RunError{Workflow: t.Workflow, Run: *run, Reason: "concluded " + orString(run.Conclusion, "without a conclusion")}
		}
		elapsed := t.now().Sub(start)
		if run == nil && elapsed >= findTimeout {
			return fmt.Errorf("waiting for deploy workflow %s: no run with lockstep-id %s appeared within %s; "+
				"its run-name must contain ${{ inputs.lockstep-id }} and it must exist on the default branch", t.Workflow, id, findTimeout)
		}
		if elapsed >= timeout {
			return &RunError{Workflow: t.Workflow, Run: *run,
				Reason: fmt.Sprintf("did not complete within %s (still %s; it was not canceled)", timeout, run.Status)}
		}
		wait := poll
		if run == nil {
			wait = min(wait, findTimeout-elapsed)
		}
		var what string
		limit := timeout - elapsed
		if run == nil {
			what = fmt.Sprintf("waiting for the run of deploy workflow %s (lockstep-id %s) to appear", t.Workflow, id)
			limit = findTimeout - elapsed
		} else {
			what = fmt.Sprintf("waiting for deploy workflow %s run %d (%s)", t.Workflow, run.ID, orString(run.Status, "no status yet"))
		}
		slice := min(wait, timeout-elapsed)
		tell := func(left time.Duration) {
			if t.Progress != nil {
				t.Progress(progress.Line(what, limit-(slice-left)))
			}
		}
		if err := progress.Wait(ctx, slice, t.sleep, tell); err != nil {
			if run != nil {
				return fmt.Errorf("waiting for deploy workflow %s run %d (%s): %w", t.Workflow, run.ID, run.URL, err)
			}
			return fmt.Errorf("waiting for deploy workflow %s: %w", t.Workflow, err)
		}
	}
}

// dispatchID is the lockstep-id of one dispatch: the deployment's ID, the
// weight and a random part, so that each canary step's run is told apart.
func (t *WorkflowTarget) dispatchID(req Request) string {
	base := req.LockstepID
	if base == "" {
		base = "lockstep"
	}
	var suffix string
	if t.NewID != nil {
		suffix = t.NewID()
	} else {
		b := make([]byte, 4)
		_, _ = rand.Read(b) // never fails on supported platforms
		suffix = hex.EncodeToString(b)
	}
	return fmt.Sprintf("%s-%d-%s", base, req.Weight, suffix)
}

func (t *WorkflowTarget) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *WorkflowTarget) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	return realSleep(ctx, d)
}

func realSleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func orString(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
