package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/pkg/deploy"
)

const (
	runsPerPage = 100
	// maxRunPages bounds FindRun: the runs it reads are the workflow's
	// dispatched runs since a moment ago.
	maxRunPages = 5
	// dispatchLooks is how many times Dispatch looks for the run of an
	// ambiguous dispatch, with growing waits, before dispatching again:
	// GitHub takes a few seconds to show a dispatched run.
	dispatchLooks = 4
	// dispatchSlack widens the time filter of those looks for clock skew
	// between the runner and GitHub.
	dispatchSlack = 2 * time.Minute
)

// Workflows starts and observes the repository's GitHub Actions workflow
// runs: the [deploy.Dispatcher] of the deploy-workflow target.
type Workflows struct{ c *Client }

var _ deploy.Dispatcher = (*Workflows)(nil)

// Workflows returns the repository's workflow dispatcher.
func (c *Client) Workflows() *Workflows { return &Workflows{c: c} }

// Dispatch creates a workflow_dispatch event for workflowFile (a file name in
// .github/workflows such as deploy.yml, or a workflow ID) on ref.
//
// A dispatch is a POST that starts a run. After an ambiguous failure (a 5xx
// or a dropped connection, after which GitHub may have started it) Dispatch
// looks for the run by inputs["lockstep-id"] for a few seconds and
// dispatches again only when none appears; without a lockstep-id it returns
// the error instead of risking a second run. A run that takes longer than
// that to appear may still be started twice.
func (w *Workflows) Dispatch(ctx context.Context, workflowFile, ref string, inputs map[string]string) error {
	c := w.c
	what := fmt.Sprintf("dispatching workflow %s on %s", workflowFile, ref)
	switch {
	case workflowFile == "":
		return fmt.Errorf("%s: no workflow file given", what)
	case ref == "":
		return fmt.Errorf("%s: no ref given (the branch or tag to run the workflow on)", what)
	}
	event := gogithub.CreateWorkflowDispatchEventRequest{Ref: ref}
	if len(inputs) > 0 {
		event.Inputs = make(map[string]any, len(inputs))
		for k, v := range inputs {
			event.Inputs[k] = v
		}
	}
	id := inputs[deploy.InputLockstepID]
	since := c.now().Add(-dispatchSlack)
	for round := 0; ; round++ {
		err := c.do(ctx, what, notIdempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			return gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, c.owner, c.repo, url.PathEscape(workflowFile), event)
		})
		if err == nil {
			return nil
		}
		if IsNotFound(err) {
			return w.notFound(workflowFile, err)
		}
		var amb *ambiguousError
		if !errors.As(err, &amb) || id == "" || round >= c.maxRetries {
			return err
		}
		c.logf("%v; looking for a run with lockstep-id %s before dispatching again", err, id)
		for look := range dispatchLooks {
			if err := c.sleep(ctx, c.backoff(look)); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			run, err := w.FindRun(ctx, workflowFile, id, since)
			if err != nil {
				return fmt.Errorf("%s: looking for its run after an ambiguous failure: %w", what, err)
			}
			if run != nil {
				return nil // our dispatch landed despite the error
			}
		}
	}
}

// FindRun returns workflowFile's newest run started by workflow_dispatch at
// or after since whose name or display title contains lockstepID (the
// workflow's run-name must include ${{ inputs.lockstep-id }}), or nil when
// there is none yet.
func (w *Workflows) FindRun(ctx context.Context, workflowFile, lockstepID string, since time.Time) (*deploy.WorkflowRun, error) {
	c := w.c
	if lockstepID == "" {
		return nil, fmt.Errorf("finding a run of workflow %s: no lockstep-id to look for", workflowFile)
	}
	opts := &gogithub.ListWorkflowRunsOptions{
		Event:       "workflow_dispatch",
		Created:     ">=" + since.UTC().Format(time.RFC3339),
		ListOptions: gogithub.ListOptions{PerPage: runsPerPage},
	}
	for page := 1; page <= maxRunPages; page++ {
		var runs *gogithub.WorkflowRuns
		var resp *gogithub.Response
		what := fmt.Sprintf("listing runs of workflow %s (page %d)", workflowFile, page)
		err := c.do(ctx, what, idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var err error
			runs, resp, err = gh.Actions.ListWorkflowRunsByFileName(ctx, c.owner, c.repo, url.PathEscape(workflowFile), opts)
			return resp, err
		})
		if IsNotFound(err) {
			return nil, w.notFound(workflowFile, err)
		}
		if err != nil {
			return nil, err
		}
		for _, r := range runs.WorkflowRuns {
			if strings.Contains(r.GetName(), lockstepID) || strings.Contains(r.GetDisplayTitle(), lockstepID) {
				return toWorkflowRun(r), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return nil, nil
}

// GetRun returns the run with that ID, or nil when GitHub has none (it was
// deleted).
func (w *Workflows) GetRun(ctx context.Context, id int64) (*deploy.WorkflowRun, error) {
	c := w.c
	var run *gogithub.WorkflowRun
	err := c.do(ctx, fmt.Sprintf("getting workflow run %d", id), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		var resp *gogithub.Response
		var err error
		run, resp, err = gh.Actions.GetWorkflowRunByID(ctx, c.owner, c.repo, id)
		return resp, err
	})
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return toWorkflowRun(run), nil
}

// notFound explains a 404 for a workflow file.
func (w *Workflows) notFound(workflowFile string, err error) error {
	return fmt.Errorf("workflow %s not found in %s/%s: it must be a file in .github/workflows on the default branch "+
		"(or a workflow ID), and the token must be allowed to read Actions: %w", workflowFile, w.c.owner, w.c.repo, err)
}

func toWorkflowRun(r *gogithub.WorkflowRun) *deploy.WorkflowRun {
	return &deploy.WorkflowRun{
		ID:         r.GetID(),
		Status:     r.GetStatus(),
		Conclusion: r.GetConclusion(),
		URL:        r.GetHTMLURL(),
	}
}
