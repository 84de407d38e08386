package cloudformation_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/engine/cloudformation"
)

// A drift check (a scratch plan) asks CloudFormation which resources
// changed outside it, names only their properties, uses a change set of
// its own that it deletes, and leaves the change set of a plan that waits
// for approval alone: that plan still applies afterwards.
func TestAScratchPlanDetectsDriftAndLeavesTheReviewedChangeSetAlone(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	f.apply(t, planned(t, f, "first.json"))

	// Changed by hand in the console: the queue's timeout.
	f.srv.SetActual("shop", "Queue", "VisibilityTimeout", 99)
	// The code moves on and a plan of it waits for approval.
	f.write(t, "stack.yaml", strings.Replace(templateV1, "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1))
	pending := planned(t, f, "pending.json")

	calls := f.srv.CallCount("DeleteChangeSet")
	p, err := f.a.Plan(ctx, engine.PlanOptions{Out: "drift.json", Scratch: true})
	require.NoError(t, err)
	require.Len(t, p.Summary.Drift, 1, "%+v", p.Summary.Drift)
	d := p.Summary.Drift[0]
	assert.Equal(t, "Queue", d.Address)
	assert.Equal(t, "AWS::SQS::Queue", d.Type)
	assert.Equal(t, []string{"VisibilityTimeout"}, d.ChangedAttributes)
	assert.True(t, p.HasChanges, "the code's unapplied change")
	assert.NotContains(t, p.Text, "99", "no drifted value in the text")
	assert.Greater(t, f.srv.CallCount("DeleteChangeSet"), calls, "the drift check's change set is deleted")

	var saved map[string]any
	raw, err := os.ReadFile(filepath.Join(f.dir, "drift.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &saved))
	assert.True(t, strings.HasPrefix(saved["changeSetName"].(string), "lockstep-drift-"), "%v", saved["changeSetName"])

	// The reviewed plan is untouched and applies.
	f.apply(t, pending)
}

func planned(t *testing.T, f *fixture, name string) string {
	t.Helper()
	f.plan(t, name)
	return name
}
