package pulumi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// The text lockstep writes from the events: every change in the Summary's
// order with its inputs before and after (a secret as (sensitive), an
// unknown as (known after apply), the reason of a replace marked), the
// drift, the outputs, the warnings and errors, and the counts.
func TestPreviewText(t *testing.T) {
	urn := func(name string) string { return "urn:pulumi:dev::shop::lockstep:index:Thing::" + name }
	evs := decodeLines(t,
		`{"resourcePreEvent": {"metadata": {"op": "delete", "urn": "`+urn("gone")+`", "type": "lockstep:index:Thing", "old": {"inputs": {"value": "old"}}}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "create-replacement", "urn": "`+urn("swapped")+`", "type": "lockstep:index:Thing",
			"old": {"inputs": {"key": "k1", "value": "v"}}, "new": {"inputs": {"key": "k2", "value": "v"}}, "keys": ["key"], "diffs": ["key"]}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "replace", "urn": "`+urn("swapped")+`", "type": "lockstep:index:Thing",
			"old": {"inputs": {"key": "ignored"}}, "new": {"inputs": {"key": "ignored"}}}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "create", "urn": "`+urn("fresh")+`", "type": "lockstep:index:Thing",
			"new": {"inputs": {"value": "v", "password": "[secret]", "id": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}}}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "update", "urn": "`+urn("edited")+`", "type": "lockstep:index:Thing",
			"old": {"inputs": {"value": "one", "dropped": 1, "tags": {"a": "b"}}}, "new": {"inputs": {"value": "two", "added": true, "tags": {"a": "c"}}},
			"detailedDiff": {"value": {"kind": "update"}, "dropped": {"kind": "delete"}, "added": {"kind": "add"}, "tags.a": {"kind": "update"}}}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "same", "urn": "`+urn("same")+`", "type": "lockstep:index:Thing", "old": {"inputs": {"value": "x"}}, "new": {"inputs": {"value": "x"}}}}}`,
		`{"diagnosticEvent": {"message": "careful\n", "severity": "warning"}}`,
	)
	s := &plan.Summary{Add: 2, Change: 1, Destroy: 2, Replace: 1, Changes: []plan.Change{
		{Address: "lockstep:index:Thing::gone", Action: plan.ActionDelete},
		{Address: "lockstep:index:Thing::swapped", Action: plan.ActionReplace, ChangedAttributes: []string{"key"}},
		{Address: "lockstep:index:Thing::fresh", Action: plan.ActionCreate},
		{Address: "lockstep:index:Thing::edited", Action: plan.ActionUpdate, ChangedAttributes: []string{"added", "dropped", "tags", "value"}},
	}}
	enrich(s, evs)
	s.Drift = []plan.Change{
		{Address: "lockstep:index:Thing::moved", Action: plan.ActionUpdate, ChangedAttributes: []string{"value"}},
		{Address: "lockstep:index:Thing::lost", Action: plan.ActionDelete},
	}
	s.Outputs = []plan.OutputChange{
		{Name: "url", Action: plan.ActionUpdate, Before: `"a"`, After: `"b"`},
		{Name: "token", Action: plan.ActionCreate, Before: plan.ValueAbsent, After: plan.ValueSensitive, Sensitive: true},
		{Name: "old", Action: plan.ActionDelete, Before: "1", After: plan.ValueAbsent},
	}
	assert.Equal(t, `Pulumi preview of stack dev

- lockstep:index:Thing::gone (delete)
+- lockstep:index:Thing::swapped (replace)
    ~ key: "k1" => "k2" (forces replacement)
+ lockstep:index:Thing::fresh (create)
    + id: (known after apply)
    + password: (sensitive)
    + value: "v"
~ lockstep:index:Thing::edited (update)
    + added: true
    - dropped: 1
    ~ tags: {"a":"b"} => {"a":"c"}
    ~ value: "one" => "two"

Changed outside Pulumi (found by the refresh):
  ~ lockstep:index:Thing::moved (update): value
  - lockstep:index:Thing::lost (delete)

Outputs:
  ~ url: "a" => "b"
  + token: (sensitive)
  - old: 1

Diagnostics:
  warning: careful

Resources: 1 to create, 1 to update, 1 to replace, 1 to delete
`, previewText("dev", s, evs))
}

// A created resource lists its first maxCreatedInputs inputs and counts
// the rest; a change whose inputs the events do not carry still names
// what changed, and a replace's reason that is no changed input gets its
// own line.
func TestPreviewTextWithoutValues(t *testing.T) {
	var inputs []string
	for i := range maxCreatedInputs + 3 {
		inputs = append(inputs, fmt.Sprintf(`"p%02d": %d`, i, i))
	}
	evs := decodeLines(t, `{"resourcePreEvent": {"metadata": {"op": "create", "urn": "urn:pulumi:dev::shop::lockstep:index:Thing::big", "new": {"inputs": {`+strings.Join(inputs, ", ")+`}}}}}`)
	s := &plan.Summary{Add: 2, Replace: 1, Destroy: 1, Change: 1, Changes: []plan.Change{
		{Address: "lockstep:index:Thing::swapped", Action: plan.ActionReplace, ChangedAttributes: []string{"value"}, ReplacePaths: []string{"id"}},
		{Address: "lockstep:index:Thing::big", Action: plan.ActionCreate},
		{Address: "lockstep:index:Thing::blind", Action: plan.ActionUpdate, ChangedAttributes: []string{"value"}},
	}}
	text := previewText("prod", s, evs)
	assert.Contains(t, text, "+- lockstep:index:Thing::swapped (replace)\n    replaced because of: id\n    ~ value\n")
	assert.Contains(t, text, "    + p19: 19\n    … 3 more inputs\n~ lockstep:index:Thing::blind (update)\n    ~ value\n")
	assert.NotContains(t, text, "p20")
	assert.NotContains(t, text, "Diagnostics")
	assert.NotContains(t, text, "Outputs")
	assert.NotContains(t, text, "Changed outside Pulumi")
	assert.True(t, strings.HasSuffix(text, "\nResources: 1 to create, 1 to update, 1 to replace, 0 to delete\n"), text)
}

// A preview's first error diagnostic is its failure, on its first line;
// warnings are not.
func TestReportedError(t *testing.T) {
	assert.NoError(t, reportedError(nil))
	assert.NoError(t, reportedError([]event{{DiagnosticEvent: &diagnosticEvent{Severity: "warning", Message: "using a provider from $PATH"}}}))
	err := reportedError([]event{
		{DiagnosticEvent: &diagnosticEvent{Severity: "info", Message: "hello"}},
		{DiagnosticEvent: &diagnosticEvent{Severity: "error", Message: "<{%reset%}>Error reading file at path [secret]\non Pulumi.yaml line 8<{%reset%}>"}},
		{DiagnosticEvent: &diagnosticEvent{Severity: "error", Message: "Error registering resource [broken]"}},
	})
	assert.EqualError(t, err, "it reported an error (though it exited 0): Error reading file at path [secret]")
}
