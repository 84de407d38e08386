package plan

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// summarizeJSON summarizes b decoded both ways, which must agree.
func summarizeJSON(t *testing.T, b string) *Summary {
	t.Helper()
	requireSameResults(t, []byte(b))
	p, err := Decode(bytes.NewReader([]byte(b)))
	require.NoError(t, err)
	s, err := Summarize(p)
	require.NoError(t, err)
	return s
}

const driftChanges = `"resource_drift": [
	  {"address": "x.base", "mode": "managed", "type": "x", "name": "base",
	   "change": {"actions": ["update"], "before": {"id": "1", "number": 0, "string": "Hello, world!"}, "after": {"id": "1", "number": 1, "string": "Hello, drift!"}}},
	  {"address": "x.other", "mode": "managed", "type": "x", "name": "other",
	   "change": {"actions": ["update"], "before": {"id": "2", "tag": "a"}, "after": {"id": "2", "tag": "b"}}},
	  {"address": "x.moved", "previous_address": "x.old", "mode": "managed", "type": "x", "name": "moved",
	   "change": {"actions": ["no-op"], "before": {"id": "3"}, "after": {"id": "3"}}}
	]`

// Terraform's rule (jsonformat's precomputeDiffs): outside refresh-only
// mode only the drift relevant_attributes names is shown, and of it only
// the relevant attributes; moves go with the planned changes. This is the
// shape of Terraform's drift_relevant_attributes equivalence test, whose
// printed plan shows base's string and hides its number.
func TestDriftFollowsRelevantAttributes(t *testing.T) {
	s := summarizeJSON(t, `{"format_version": "1.2", "terraform_version": "1.11.4",
	  "resource_changes": [{"address": "x.base", "mode": "managed", "type": "x", "name": "base",
	    "change": {"actions": ["update"], "before": {"id": "1", "number": 1, "string": "Hello, drift!"}, "after": {"id": "1", "number": 0, "string": "Hello, change!"}}}],
	  `+driftChanges+`,
	  "relevant_attributes": [{"resource": "x.base", "attribute": ["string"]}]}`)
	assert.False(t, s.RefreshOnly)
	require.Len(t, s.Drift, 1)
	assert.Equal(t, "x.base", s.Drift[0].Address)
	assert.Equal(t, []string{"string"}, s.Drift[0].ChangedAttributes)
}

// Drift whose relevant attributes did not change is not shown.
func TestDriftOfIrrelevantAttributesIsHidden(t *testing.T) {
	s := summarizeJSON(t, `{"format_version": "1.2",
	  "resource_changes": [{"address": "x.base", "mode": "managed", "type": "x", "name": "base",
	    "change": {"actions": ["no-op"], "before": {"id": "1"}, "after": {"id": "1"}}}],
	  `+driftChanges+`,
	  "relevant_attributes": [{"resource": "x.other", "attribute": ["id"]}]}`)
	assert.Empty(t, s.Drift)
}

// A refresh-only plan (no resource_changes at all) shows all drift, moves
// included, as drift_refresh_only and moved_with_refresh_only show.
func TestRefreshOnlyShowsAllDrift(t *testing.T) {
	s := summarizeJSON(t, `{"format_version": "1.2", `+driftChanges+`}`)
	assert.True(t, s.RefreshOnly)
	assert.Equal(t, []string{"update x.base", "update x.other", "move x.moved from x.old"}, brief(s.Drift))
	assert.Equal(t, []string{"number", "string"}, s.Drift[0].ChangedAttributes)
	assert.False(t, s.HasResourceChanges())
}

// A plan in the format before relevant_attributes (1.0) shows all drift
// but moves, as Terraform 1.0 and 1.1 did.
func TestDriftBeforeRelevantAttributes(t *testing.T) {
	s := summarizeJSON(t, `{"format_version": "1.0",
	  "resource_changes": [{"address": "x.base", "mode": "managed", "type": "x", "name": "base",
	    "change": {"actions": ["no-op"], "before": {"id": "1"}, "after": {"id": "1"}}}],
	  `+driftChanges+`}`)
	assert.Equal(t, []string{"update x.base", "update x.other"}, brief(s.Drift))
}

// Deferred changes (a partial plan) are listed with their reason and not
// counted; action invocations are listed, make the plan one with changes,
// and their sensitive configuration is collected as a secret.
func TestDeferredChangesAndActions(t *testing.T) {
	s := summarizeJSON(t, `{"format_version": "1.2", "terraform_version": "1.14.0", "complete": false,
	  "deferred_changes": [{"reason": "instance_count_unknown", "resource_change": {"address": "x.later[\"a\"]", "mode": "managed", "type": "x", "name": "later",
	     "change": {"actions": ["create"], "before": null, "after": {"secret": "deferred-secret-1"}, "after_sensitive": {"secret": true}}}}],
	  "action_invocations": [
	    {"address": "action.bufo_print.success", "type": "bufo_print", "name": "success", "config_values": {"name": "bufo"}, "config_sensitive": {}, "invoke_action_trigger": {}},
	    {"address": "action.notify.done", "type": "notify", "name": "done", "config_values": {"token": "action-token-123"}, "config_sensitive": {"token": true},
	     "lifecycle_action_trigger": {"triggering_resource_address": "x.base", "action_trigger_event": "after_create", "action_trigger_block_index": 0, "actions_list_index": 0}}
	  ]}`)
	assert.Equal(t, []string{"create x.later[\"a\"]"}, brief(s.Deferred))
	assert.Equal(t, "instance_count_unknown", s.Deferred[0].DeferredReason)
	assert.Zero(t, s.Add+s.Change+s.Destroy)
	assert.Equal(t, []ActionInvocation{
		{Address: "action.bufo_print.success"},
		{Address: "action.notify.done", Trigger: "x.base", Event: "after_create"},
	}, s.Actions)
	assert.True(t, s.HasResourceChanges())
	assert.Contains(t, s.Secrets, "action-token-123")
	assert.Contains(t, s.Secrets, "deferred-secret-1")
	assert.NotContains(t, s.Secrets, "bufo")
}
