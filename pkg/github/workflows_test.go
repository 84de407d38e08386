package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/deploy"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const (
	workflowFile = "deploy.yml"
	dispatchPath = "/repos/" + owner + "/" + repo + "/actions/workflows/" + workflowFile + "/dispatches"
	runsPath     = "/repos/" + owner + "/" + repo + "/actions/workflows/" + workflowFile + "/runs"
	runName      = "deploy ${{ inputs.app-version }} [${{ inputs.lockstep-id }}]"
)

// deployApp is wf declaring the inputs of the repository's
// workflows/deploy-app.yml, so that the fake refuses what GitHub would refuse
// for that file.
func deployApp(t *testing.T, wf fakegithub.Workflow) fakegithub.Workflow {
	t.Helper()
	file, err := fakegithub.ReadWorkflow("../../workflows/deploy-app.yml")
	if err != nil {
		t.Fatal(err)
	}
	wf.Inputs = file.Inputs
	return wf
}

// dispatchInputs are the inputs lockstep's deploy dispatch sends, named
// literally: renaming one in pkg/deploy must fail a test, not follow along.
func dispatchInputs(id string) map[string]string {
	return map[string]string{
		"app-version": "v2", "infra-version": "abc1234",
		"deployment-version": "app:v2-infra:abc1234", "canary-weight": "100",
		"lockstep-id": id,
	}
}

func TestDispatchRequest(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetWorkflow(owner, repo, workflowFile, deployApp(t, fakegithub.Workflow{RunName: runName}))
	if err := e.client.Workflows().Dispatch(context.Background(), workflowFile, "main", dispatchInputs("41-100-ab")); err != nil {
		t.Fatal(err)
	}
	reqs := e.srv.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != dispatchPath {
		t.Fatalf("requests %+v, want one POST %s", reqs, dispatchPath)
	}
	var got struct {
		Ref    string            `json:"ref"`
		Inputs map[string]string `json:"inputs"`
	}
	if err := json.Unmarshal(reqs[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Ref != "main" || len(got.Inputs) != 5 || got.Inputs["lockstep-id"] != "41-100-ab" || got.Inputs["app-version"] != "v2" {
		t.Errorf("body %s", reqs[0].Body)
	}
	if d := e.srv.Dispatches(owner, repo); len(d) != 1 || d[0].Ref != "main" {
		t.Errorf("dispatches %+v", d)
	}
}

func TestFindRunAmongOthersAndGetRun(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetWorkflow(owner, repo, workflowFile, deployApp(t, fakegithub.Workflow{
		RunName: runName, Polls: 3,
		ConclusionFor: func(in map[string]any) string {
			if in["lockstep-id"] == "7-100-bad" {
				return "failure"
			}
			return ""
		},
	}))
	wf := e.client.Workflows()
	ctx := context.Background()
	dispatch := func(id string) {
		t.Helper()
		if err := wf.Dispatch(ctx, workflowFile, "main", dispatchInputs(id)); err != nil {
			t.Fatal(err)
		}
	}
	dispatch("7-100-old") // before since: must not be considered
	_ = e.clk.Sleep(ctx, time.Hour)
	since := e.clk.Now()
	dispatch("7-100-bad")
	dispatch("8-100-ok")
	dispatch("9-100-ok")

	if run, err := wf.FindRun(ctx, workflowFile, "7-100-old", since); err != nil || run != nil {
		t.Errorf("found %+v, %v; a run created before since must not match", run, err)
	}
	run, err := wf.FindRun(ctx, workflowFile, "8-100-ok", since)
	if err != nil || run == nil {
		t.Fatalf("got %+v, %v", run, err)
	}
	runs := e.srv.Runs(owner, repo)
	if run.ID != runs[2].ID || !strings.HasPrefix(run.URL, "https://github.com/acme/infra/actions/runs/") {
		t.Errorf("found %+v, want run %d", run, runs[2].ID)
	}
	for _, r := range e.srv.Requests() {
		if r.Method == "GET" && r.Path == runsPath {
			if q := r.Query; q.Get("event") != "workflow_dispatch" || q.Get("created") != ">="+since.Format(time.RFC3339) || q.Get("per_page") != "100" {
				t.Errorf("runs query %s", q.Encode())
			}
		}
	}

	bad, err := wf.FindRun(ctx, workflowFile, "7-100-bad", since)
	if err != nil || bad == nil || bad.ID != runs[1].ID {
		t.Fatalf("got %+v, %v; want run %d", bad, err, runs[1].ID)
	}
	for !bad.Completed() {
		bad, err = wf.GetRun(ctx, bad.ID)
		if err != nil {
			t.Fatal(err)
		}
	}
	if bad.Conclusion != "failure" || bad.ID != runs[1].ID {
		t.Errorf("completed run %+v, want conclusion failure", bad)
	}
	if gone, err := wf.GetRun(ctx, 987654); err != nil || gone != nil {
		t.Errorf("unknown run: %+v, %v; want nil, nil", gone, err)
	}
}

func TestFindRunNotVisibleYet(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetWorkflow(owner, repo, workflowFile, deployApp(t, fakegithub.Workflow{RunName: runName, HiddenFor: 1}))
	wf := e.client.Workflows()
	ctx := context.Background()
	since := e.clk.Now()
	if err := wf.Dispatch(ctx, workflowFile, "main", dispatchInputs("1-100-x")); err != nil {
		t.Fatal(err)
	}
	if run, err := wf.FindRun(ctx, workflowFile, "1-100-x", since); err != nil || run != nil {
		t.Fatalf("got %+v, %v; want nil, nil while GitHub does not show the run", run, err)
	}
	if run, err := wf.FindRun(ctx, workflowFile, "1-100-x", since); err != nil || run == nil {
		t.Fatalf("got %+v, %v; want the run", run, err)
	}
}

// A dispatch that may have started a run is only repeated when no run with
// its lockstep-id shows up.
func TestDispatchSurvivesFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     fakegithub.Fault
		hidden    int
		wantPosts int
		wantLooks int // run listings before the dispatch is settled
	}{
		{"applied", fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail}, 0, 1, 1},
		{"applied, run shows late", fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail}, 2, 1, 3},
		{"applied, dropped", fakegithub.Fault{Kind: fakegithub.FaultApplyThenDisconnect}, 0, 1, 1},
		{"not applied, 500", fakegithub.Fault{Kind: fakegithub.FaultInternalError}, 0, 2, 4},
		{"not applied, dropped", fakegithub.Fault{Kind: fakegithub.FaultDisconnect}, 0, 2, 4},
		{"not applied twice", fakegithub.Fault{Kind: fakegithub.FaultBadGateway, Times: 2}, 0, 3, 8},
		{"rate limited", fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests, RetryAfter: 3 * time.Second}, 0, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			e.srv.SetWorkflow(owner, repo, workflowFile, deployApp(t, fakegithub.Workflow{RunName: runName, HiddenFor: tc.hidden}))
			// Someone else's run of the same workflow.
			if err := e.client.Workflows().Dispatch(context.Background(), workflowFile, "main", dispatchInputs("other")); err != nil {
				t.Fatal(err)
			}
			f := tc.fault
			f.Method, f.Path = "POST", dispatchPath
			e.srv.Fail(f)
			if err := e.client.Workflows().Dispatch(context.Background(), workflowFile, "main", dispatchInputs("5-100-x")); err != nil {
				t.Fatalf("dispatch: %v", err)
			}
			n := 0
			for _, d := range e.srv.Dispatches(owner, repo) {
				if d.Inputs["lockstep-id"] == "5-100-x" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d dispatches with our lockstep-id, want exactly 1", n)
			}
			if posts := e.srv.Count("POST", dispatchPath) - 1; posts != tc.wantPosts {
				t.Errorf("%d dispatch requests, want %d", posts, tc.wantPosts)
			}
			if looks := e.srv.Count("GET", runsPath); looks != tc.wantLooks {
				t.Errorf("%d run listings, want %d", looks, tc.wantLooks)
			}
		})
	}
}

func TestAmbiguousDispatchWithoutLockstepIDIsNotRepeated(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetWorkflow(owner, repo, workflowFile, fakegithub.Workflow{Inputs: map[string]fakegithub.WorkflowInput{"app-version": {}}})
	e.srv.Fail(fakegithub.Fault{Method: "POST", Path: dispatchPath, Kind: fakegithub.FaultApplyThenFail})
	err := e.client.Workflows().Dispatch(context.Background(), workflowFile, "main", map[string]string{"app-version": "v1"})
	if err == nil || !strings.Contains(err.Error(), "may or may not have been applied") {
		t.Fatalf("got %v, want the ambiguous failure", err)
	}
	if n := len(e.srv.Dispatches(owner, repo)); n != 1 {
		t.Errorf("%d dispatches, want 1", n)
	}
}

func TestUnknownWorkflowIsAClearError(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	wf := e.client.Workflows()
	ctx := context.Background()
	err := wf.Dispatch(ctx, "nope.yml", "main", dispatchInputs("1"))
	if !github.IsNotFound(err) || !strings.Contains(err.Error(), "workflow nope.yml not found in acme/infra") ||
		!strings.Contains(err.Error(), ".github/workflows on the default branch") {
		t.Errorf("dispatch: %v", err)
	}
	_, err = wf.FindRun(ctx, "nope.yml", "1", time.Now())
	if !github.IsNotFound(err) || !strings.Contains(err.Error(), "workflow nope.yml not found") {
		t.Errorf("find: %v", err)
	}
	if n := e.srv.Count("POST", "/repos/{o}/{r}/actions/workflows/{f}/dispatches"); n != 1 {
		t.Errorf("%d dispatch requests, want 1 (a 404 is not retried)", n)
	}
}

// The dispatcher drives deploy.WorkflowTarget end to end against the fake.
func TestWorkflowTargetOverTheAPI(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetWorkflow(owner, repo, workflowFile, deployApp(t, fakegithub.Workflow{
		RunName: runName, HiddenFor: 1, Polls: 3,
		ConclusionFor: func(in map[string]any) string {
			if in["app-version"] == "bad" {
				return "failure"
			}
			return ""
		},
	}))
	target := &deploy.WorkflowTarget{
		Dispatcher: e.client.Workflows(), Workflow: workflowFile, Ref: "main",
		Now: e.clk.Now, Sleep: e.clk.Sleep,
	}
	ctx := context.Background()
	req := deploy.Request{AppVersion: "v2", InfraVersion: "abc1234", DeploymentVersion: "app:v2-infra:abc1234", Weight: 100, LockstepID: "3"}
	if err := target.Deploy(ctx, req); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	req.AppVersion = "bad"
	err := target.Deploy(ctx, req)
	var runErr *deploy.RunError
	if !errors.As(err, &runErr) || runErr.Run.Conclusion != "failure" || runErr.Run.URL == "" {
		t.Fatalf("got %v, want a RunError concluding failure", err)
	}
	if n := len(e.srv.Dispatches(owner, repo)); n != 2 {
		t.Errorf("%d dispatches, want 2", n)
	}
}
