package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestDeployAppWorkflowDeclaresWhatTheDispatchSends ties the workflow users
// copy, workflows/deploy-app.yml, to what WorkflowTarget dispatches: GitHub
// refuses an input the workflow does not declare, and a required one that
// is not sent. The names are written out, so renaming an input on one side
// only fails here.
func TestDeployAppWorkflowDeclaresWhatTheDispatchSends(t *testing.T) {
	want := []string{"app-version", "canary-weight", "deployment-version", "infra-version", "lockstep-id"}

	data, err := os.ReadFile(filepath.Join("..", "..", "workflows", "deploy-app.yml"))
	require.NoError(t, err)
	var wf struct {
		RunName string `yaml:"run-name"`
		On      struct {
			WorkflowDispatch struct {
				Inputs map[string]struct {
					Required bool    `yaml:"required"`
					Default  *string `yaml:"default"`
					Type     string  `yaml:"type"`
				} `yaml:"inputs"`
			} `yaml:"workflow_dispatch"`
		} `yaml:"on"`
	}
	require.NoError(t, yaml.Unmarshal(data, &wf))
	declared := wf.On.WorkflowDispatch.Inputs
	var names, required []string
	for name, in := range declared {
		names = append(names, name)
		if in.Required {
			required = append(required, name)
		}
		assert.Equal(t, "string", in.Type, "input %s: every value lockstep sends is a string", name)
	}
	slices.Sort(names)
	slices.Sort(required)
	assert.Equal(t, want, names, "deploy-app.yml's inputs")
	assert.Equal(t, []string{"app-version", "deployment-version", "infra-version", "lockstep-id"}, required)
	if d := declared["canary-weight"].Default; assert.NotNil(t, d) {
		assert.Equal(t, "100", *d, "a run started by hand deploys fully")
	}
	// lockstep finds its run by the lockstep-id in the run's name.
	assert.Contains(t, wf.RunName, "${{ inputs.lockstep-id }}")

	// What the dispatch sends, for a full rollout and for a canary step.
	for _, weight := range []int{100, 10} {
		d, dispatched, _ := scriptedRuns(0, run("completed", "success"))
		req := deployReq
		req.Weight = weight
		require.NoError(t, workflowTarget(d, newFakeClock()).Deploy(context.Background(), req))
		require.Len(t, *dispatched, 1)
		var sent []string
		for name, v := range (*dispatched)[0] {
			sent = append(sent, name)
			assert.NotEmpty(t, v, "input %s sent empty at weight %d", name, weight)
		}
		slices.Sort(sent)
		assert.Equal(t, want, sent, "the inputs dispatched at weight %d", weight)
	}
}
