package fakegithub_test

import (
	"context"
	"net/http"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestWorkflowDispatchAndRun(t *testing.T) {
	s := fakegithub.New(t)
	s.SetWorkflow("o", "r", "deploy.yml", fakegithub.Workflow{
		Name: "Deploy", RunName: "deploy ${{ inputs.version }} to ${{ github.event.inputs.env }}",
		Conclusion: "failure", Polls: 3, HiddenFor: 1,
		Inputs: map[string]fakegithub.WorkflowInput{"version": {Required: true}, "env": {}},
	})
	c := newClient(t, s, "")
	ctx := context.Background()

	resp, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "o", "r", "deploy.yml", gogithub.CreateWorkflowDispatchEventRequest{
		Ref: "main", Inputs: map[string]any{"version": "1.2.3", "env": "prod"},
	})
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("dispatch: %v", err)
	}
	ds := s.Dispatches("o", "r")
	if len(ds) != 1 || ds[0].Ref != "main" || ds[0].Inputs["version"] != "1.2.3" || ds[0].RunID == 0 {
		t.Fatalf("dispatches: %+v", ds)
	}

	list := func() *gogithub.WorkflowRuns {
		t.Helper()
		runs, _, err := c.Actions.ListWorkflowRunsByFileName(ctx, "o", "r", "deploy.yml", &gogithub.ListWorkflowRunsOptions{Event: "workflow_dispatch", Branch: "main"})
		if err != nil {
			t.Fatal(err)
		}
		return runs
	}
	if runs := list(); runs.GetTotalCount() != 0 {
		t.Fatalf("run visible before HiddenFor elapsed: %+v", runs)
	}
	runs := list() // first observation
	if runs.GetTotalCount() != 1 {
		t.Fatalf("runs: %+v", runs)
	}
	run := runs.WorkflowRuns[0]
	if run.GetName() != "deploy 1.2.3 to prod" || run.GetDisplayTitle() != "deploy 1.2.3 to prod" || run.GetStatus() != "queued" || run.Conclusion != nil {
		t.Errorf("run: %+v", run)
	}
	var statuses []string
	for range 2 {
		got, _, err := c.Actions.GetWorkflowRunByID(ctx, "o", "r", run.GetID())
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, got.GetStatus()+"/"+got.GetConclusion())
	}
	if statuses[0] != "in_progress/" || statuses[1] != "completed/failure" {
		t.Errorf("statuses %v", statuses)
	}

	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "o", "r", "nope.yml", gogithub.CreateWorkflowDispatchEventRequest{Ref: "main"}); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown workflow: %v", err)
	}
	if _, _, err := c.Actions.GetWorkflowRunByID(ctx, "o", "r", 999999); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown run: %v", err)
	}
	many := map[string]any{}
	for i := range 26 {
		many[string(rune('a'+i))] = "x"
	}
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "o", "r", "deploy.yml", gogithub.CreateWorkflowDispatchEventRequest{Ref: "main", Inputs: many}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("26 inputs: %v", err)
	}
}

func TestWorkflowConclusionFromInputs(t *testing.T) {
	s := fakegithub.New(t)
	s.SetWorkflow("o", "r", "deploy.yml", fakegithub.Workflow{Polls: 1,
		Inputs: map[string]fakegithub.WorkflowInput{"version": {Required: true}},
		ConclusionFor: func(in map[string]any) string {
			if in["version"] == "bad" {
				return "failure"
			}
			return ""
		}})
	c := newClient(t, s, "")
	ctx := context.Background()
	for _, v := range []string{"bad", "good"} {
		if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "o", "r", "deploy.yml", gogithub.CreateWorkflowDispatchEventRequest{
			Ref: "main", Inputs: map[string]any{"version": v},
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, d := range s.Dispatches("o", "r") {
		run, _, err := c.Actions.GetWorkflowRunByID(ctx, "o", "r", d.RunID)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, run.GetConclusion())
	}
	if len(got) != 2 || got[0] != "failure" || got[1] != "success" {
		t.Errorf("conclusions %v", got)
	}
}
