package pulumi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// refreshEvents are resOutputsEvents of a refresh as Pulumi 3.274's
// --event-log writes them (trimmed to the fields read), one line each.
const refreshEvents = `{"resOutputsEvent":{"metadata":{"op":"refresh","urn":"urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev","type":"pulumi:pulumi:Stack","old":{"outputs":{"greeting":"hello-one"}},"new":{"outputs":{"greeting":"hello-two"}}}}}
{"resOutputsEvent":{"metadata":{"op":"refresh","urn":"urn:pulumi:dev::demo::pulumi:providers:lockstep::default","type":"pulumi:providers:lockstep","old":{"outputs":{"a":"1"}},"new":{"outputs":{"a":"2"}}}}}
{"resOutputsEvent":{"metadata":{"op":"refresh","urn":"urn:pulumi:dev::demo::lockstep:index:Thing::same","type":"lockstep:index:Thing","old":{"outputs":{"value":"one","token":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"[secret]"}}},"new":{"outputs":{"value":"one","token":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"[secret]"}}},"detailedDiff":{}}}}
{"resOutputsEvent":{"metadata":{"op":"refresh","urn":"urn:pulumi:dev::demo::lockstep:index:Thing::outputs","type":"lockstep:index:Thing","old":{"outputs":{"value":"one","arn":"a:1"}},"new":{"outputs":{"value":"one","arn":"a:2","extra":{"x":1}}}}}}
{"resOutputsEvent":{"metadata":{"op":"refresh","urn":"urn:pulumi:dev::demo::lockstep:index:Thing::diffed","type":"lockstep:index:Thing","old":{"outputs":{"tags":{"a":"1"}}},"new":{"outputs":{"tags":{"a":"1"}}},"diffs":["tags.a"],"detailedDiff":{"tags.a":{"diffKind":"update","inputDiff":true}}}}}
{"resOutputsEvent":{"metadata":{"op":"refresh","urn":"urn:pulumi:dev::demo::my:module:Group$lockstep:index:Thing::gone","type":"lockstep:index:Thing","old":{"outputs":{"value":"one"}},"new":null}}}
{"resOutputsEvent":{"metadata":{"op":"same","urn":"urn:pulumi:dev::demo::lockstep:index:Thing::previewed","type":"lockstep:index:Thing","old":{"outputs":{"value":"one"}},"new":{"outputs":{"value":"two"}}}}}
{"resourcePreEvent":{"metadata":{"op":"refresh","urn":"urn:pulumi:dev::demo::lockstep:index:Thing::outputs","type":"lockstep:index:Thing","diffs":["value"]}}}
{"resourcePreEvent":{"metadata":{"op":"update","urn":"urn:pulumi:dev::demo::lockstep:index:Thing::previewed","type":"lockstep:index:Thing","diffs":["value"]}}}
`

func TestDriftFromRefreshSteps(t *testing.T) {
	var evs []event
	for _, line := range strings.Split(strings.TrimSpace(refreshEvents), "\n") {
		var ev event
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		evs = append(evs, ev)
	}
	refreshed, previewed := splitRefresh(evs)
	assert.Len(t, refreshed, 6, "the refresh's resOutputsEvents")
	require.Len(t, previewed, 2, "the preview's events, without the refresh's")
	assert.Equal(t, "same", previewed[0].ResOutputsEvent.Metadata.Op)
	assert.Equal(t, "update", previewed[1].ResourcePreEvent.Metadata.Op)

	assert.Equal(t, []plan.Change{
		{Address: "my:module:Group$lockstep:index:Thing::gone", Type: "lockstep:index:Thing", Name: "gone", Mode: "managed", Action: plan.ActionDelete},
		{Address: "lockstep:index:Thing::diffed", Type: "lockstep:index:Thing", Name: "diffed", Mode: "managed", Action: plan.ActionUpdate, ChangedAttributes: []string{"tags"}},
		{Address: "lockstep:index:Thing::outputs", Type: "lockstep:index:Thing", Name: "outputs", Mode: "managed", Action: plan.ActionUpdate, ChangedAttributes: []string{"arn", "extra"}},
	}, drift(refreshed), "the stack, the default provider and an unchanged thing (its secret the same placeholder) are no drift")
	assert.Nil(t, drift(nil))
}

func TestKeepChangedSecrets(t *testing.T) {
	outs := []plan.OutputChange{
		{Name: "greeting", Action: plan.ActionUpdate, Before: `"hello-one"`, After: `"hello-two"`},
		{Name: "token", Action: plan.ActionUpdate, Sensitive: true, Before: plan.ValueSensitive, After: plan.ValueSensitive},
		{Name: "key", Action: plan.ActionCreate, Sensitive: true, Before: plan.ValueAbsent, After: plan.ValueSensitive},
	}
	// Measured shapes: the stack's goal in a saved plan, outputDiff naming
	// what the update changes.
	unchanged := `{"resourcePlans":{"urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev":{"goal":{"type":"pulumi:pulumi:Stack","name":"demo-dev","outputDiff":{"updates":{"greeting":"hello-two"}}},"steps":["same"]}}}`
	assert.Equal(t, []plan.OutputChange{outs[0], outs[2]}, keepChangedSecrets(outs, []byte(unchanged)), "a secret update the plan does not name is no change; a created one stays")

	changed := `{"resourcePlans":{"urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev":{"goal":{"type":"pulumi:pulumi:Stack","outputDiff":{"updates":{"greeting":"hello-two","token":{"ciphertext":"v1:x"}}}},"steps":["same"]}}}`
	assert.Equal(t, outs, keepChangedSecrets(outs, []byte(changed)))

	noStack := `{"resourcePlans":{"urn:pulumi:dev::demo::lockstep:index:Thing::a":{"goal":{"type":"lockstep:index:Thing"},"steps":["same"]}}}`
	assert.Equal(t, outs, keepChangedSecrets(outs, []byte(noStack)), "without the stack's goal every change is kept")
	assert.Equal(t, outs, keepChangedSecrets(outs, []byte("not json")))
	assert.Nil(t, keepChangedSecrets(nil, []byte(changed)))
}
