package fakegithub_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// dispatchError is GitHub's answer to a refused dispatch: status and message.
func dispatchError(t *testing.T, err error) (int, string) {
	t.Helper()
	var er *gogithub.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("got %v, want an *ErrorResponse", err)
	}
	return er.Response.StatusCode, er.Message
}

func TestDispatchRefusesWhatGitHubRefuses(t *testing.T) {
	s := fakegithub.New(t)
	s.SetRef("o", "r", "release-1", "0123456789abcdef0123456789abcdef01234567")
	s.SetWorkflow("o", "r", "deploy.yml", fakegithub.Workflow{Inputs: map[string]fakegithub.WorkflowInput{
		"version": {Required: true},
		"weight":  {Default: "100"},
	}})
	s.SetWorkflow("o", "r", "ci.yml", fakegithub.Workflow{NotDispatchable: true})
	c := newClient(t, s, "")
	ctx := context.Background()
	dispatch := func(file, ref string, inputs map[string]any) error {
		_, err := c.Actions.CreateWorkflowDispatchEventByFileName(ctx, "o", "r", file,
			gogithub.CreateWorkflowDispatchEventRequest{Ref: ref, Inputs: inputs})
		return err
	}

	for _, tc := range []struct {
		name   string
		file   string
		ref    string
		inputs map[string]any
		want   string
	}{
		{"undeclared inputs, named sorted", "deploy.yml", "main", map[string]any{"version": "v1", "zone": "a", "app": "x"},
			`Unexpected inputs provided: ["app", "zone"]`},
		{"a required input missing", "deploy.yml", "main", map[string]any{"weight": "5"},
			"Required input 'version' not provided"},
		{"an unknown branch", "deploy.yml", "nope", map[string]any{"version": "v1"}, "No ref found for: nope"},
		{"a commit SHA is no ref", "deploy.yml", "0123456789abcdef0123456789abcdef01234567", map[string]any{"version": "v1"},
			"No ref found for: 0123456789abcdef0123456789abcdef01234567"},
		{"no workflow_dispatch trigger", "ci.yml", "main", nil, "Workflow does not have 'workflow_dispatch' trigger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, msg := dispatchError(t, dispatch(tc.file, tc.ref, tc.inputs))
			if status != http.StatusUnprocessableEntity || msg != tc.want {
				t.Errorf("got %d %q, want 422 %q", status, msg, tc.want)
			}
		})
	}
	if n := len(s.Dispatches("o", "r")); n != 0 {
		t.Errorf("%d refused dispatches recorded", n)
	}

	// What GitHub accepts: the default branch bare or in full, a ref the
	// test made known, an optional input left out.
	for _, ref := range []string{"main", "refs/heads/main", "release-1", "refs/heads/release-1"} {
		if err := dispatch("deploy.yml", ref, map[string]any{"version": "v1"}); err != nil {
			t.Errorf("ref %s: %v", ref, err)
		}
	}
	// A workflow that declares no inputs accepts none.
	s.SetWorkflow("o", "r", "bare.yml", fakegithub.Workflow{})
	if err := dispatch("bare.yml", "main", nil); err != nil {
		t.Errorf("no inputs: %v", err)
	}
	if status, msg := dispatchError(t, dispatch("bare.yml", "main", map[string]any{"x": "1"})); status != 422 || msg != `Unexpected inputs provided: ["x"]` {
		t.Errorf("got %d %q", status, msg)
	}
}

func TestDispatchRunSeesTheDeclaredDefaults(t *testing.T) {
	s := fakegithub.New(t)
	s.SetWorkflow("o", "r", "deploy.yml", fakegithub.Workflow{
		RunName: "deploy ${{ inputs.version }} at ${{ inputs.weight }}%",
		Inputs:  map[string]fakegithub.WorkflowInput{"version": {Required: true}, "weight": {Default: "100"}},
	})
	c := newClient(t, s, "")
	if _, err := c.Actions.CreateWorkflowDispatchEventByFileName(context.Background(), "o", "r", "deploy.yml",
		gogithub.CreateWorkflowDispatchEventRequest{Ref: "main", Inputs: map[string]any{"version": "v2"}}); err != nil {
		t.Fatal(err)
	}
	if runs := s.Runs("o", "r"); len(runs) != 1 || runs[0].Name != "deploy v2 at 100%" {
		t.Errorf("runs %+v, want one named with the default weight", runs)
	}
	// The dispatch records what the client sent, not the defaults.
	if d := s.Dispatches("o", "r"); len(d) != 1 || len(d[0].Inputs) != 1 {
		t.Errorf("dispatches %+v", d)
	}
}

func TestParseWorkflow(t *testing.T) {
	for _, tc := range []struct {
		name, yaml      string
		dispatchable    bool
		inputs          map[string]fakegithub.WorkflowInput
		wantName, wantR string
	}{
		{name: "a string", yaml: "on: workflow_dispatch\n", dispatchable: true},
		{name: "a list", yaml: "on: [push, workflow_dispatch]\n", dispatchable: true},
		{name: "a map without inputs", yaml: "on:\n  workflow_dispatch:\n  push:\n", dispatchable: true},
		{name: "no dispatch", yaml: "on: [push]\n"},
		{name: "inputs", dispatchable: true, wantName: "deploy", wantR: "deploy ${{ inputs.v }}",
			yaml: "name: deploy\nrun-name: deploy ${{ inputs.v }}\non:\n  workflow_dispatch:\n    inputs:\n" +
				"      v: {required: true, type: string}\n      n: {default: 3, type: number}\n      b: {type: boolean, default: false}\n",
			inputs: map[string]fakegithub.WorkflowInput{
				"v": {Required: true, Type: "string"}, "n": {Default: "3", Type: "number"}, "b": {Default: "false", Type: "boolean"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf, err := fakegithub.ParseWorkflow([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if wf.NotDispatchable == tc.dispatchable {
				t.Errorf("NotDispatchable %v, want %v", wf.NotDispatchable, !tc.dispatchable)
			}
			if len(wf.Inputs) != len(tc.inputs) {
				t.Errorf("inputs %+v, want %+v", wf.Inputs, tc.inputs)
			}
			for name, want := range tc.inputs {
				if wf.Inputs[name] != want {
					t.Errorf("input %s: %+v, want %+v", name, wf.Inputs[name], want)
				}
			}
			if wf.Name != tc.wantName || wf.RunName != tc.wantR {
				t.Errorf("name %q run-name %q", wf.Name, wf.RunName)
			}
		})
	}
	if _, err := fakegithub.ParseWorkflow([]byte("on: [\n")); err == nil {
		t.Error("broken YAML parsed")
	}
}

// The repository's own deploy-app.yml, read as tests register it.
func TestReadWorkflowReadsDeployApp(t *testing.T) {
	wf, err := fakegithub.ReadWorkflow("../../workflows/deploy-app.yml")
	if err != nil {
		t.Fatal(err)
	}
	if wf.NotDispatchable || len(wf.Inputs) != 5 || !wf.Inputs["lockstep-id"].Required || wf.Inputs["canary-weight"] != (fakegithub.WorkflowInput{Default: "100", Type: "string"}) {
		t.Errorf("workflow %+v", wf)
	}
	if _, err := fakegithub.ReadWorkflow("nope.yml"); err == nil {
		t.Error("missing file read")
	}
}
