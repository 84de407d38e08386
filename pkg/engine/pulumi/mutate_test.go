package pulumi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// These tests kill mutants gremlins found alive or not covered by the
// package's unit tests (see test/README.md, "Mutation testing").

func TestHasChanges(t *testing.T) {
	assert.False(t, hasChanges(&plan.Summary{}))
	assert.True(t, hasChanges(&plan.Summary{Changes: []plan.Change{{Address: "lockstep:index:Thing::a", Action: plan.ActionCreate}}}))
	assert.True(t, hasChanges(&plan.Summary{Outputs: []plan.OutputChange{{Name: "url", Action: plan.ActionCreate}}}), "an output change alone is a change")
}

// A resource whose steps are all "same" does not move the fingerprint; one
// that changes does.
func TestFingerprintSkipsUnchangedResources(t *testing.T) {
	changed := `"urn:pulumi:dev::demo::lockstep:index:Thing::a": {"steps": ["create"]}`
	same := `"urn:pulumi:dev::demo::lockstep:index:Thing::b": {"steps": ["same"]}`
	fp := func(plans ...string) string {
		dp, err := decodePlan([]byte(`{"manifest": {"time": "2026-12-03T00:00:00Z"}, "resourcePlans": {` + strings.Join(plans, ", ") + `}}`))
		require.NoError(t, err)
		return fingerprint(dp)
	}
	assert.Equal(t, fp(changed), fp(changed, same))
	assert.NotEqual(t, fp(), fp(changed))
	assert.Equal(t, fp(), fp(same))
}

// The events' diff names replace a change's attributes for updates and
// replaces only, and only when they name something.
func TestEnrichChangedAttributesByAction(t *testing.T) {
	s := &plan.Summary{Changes: []plan.Change{
		{Address: "lockstep:index:Thing::swapped", Action: plan.ActionReplace, ChangedAttributes: []string{"key"}},
		{Address: "lockstep:index:Thing::made", Action: plan.ActionCreate},
		{Address: "lockstep:index:Thing::quiet", Action: plan.ActionUpdate, ChangedAttributes: []string{"value"}},
	}}
	evs := decodeLines(t,
		`{"resourcePreEvent": {"metadata": {"op": "replace", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::swapped", "type": "lockstep:index:Thing", "keys": ["key"], "diffs": ["key", "size"]}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "create", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::made", "type": "lockstep:index:Thing", "diffs": ["value"]}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "update", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::quiet", "type": "lockstep:index:Thing"}}}`,
	)
	enrich(s, evs)
	assert.Equal(t, []string{"key", "size"}, s.Changes[0].ChangedAttributes)
	assert.Equal(t, []string{"key"}, s.Changes[0].ReplacePaths)
	assert.Nil(t, s.Changes[1].ChangedAttributes, "a create lists no changed attributes")
	assert.Equal(t, []string{"value"}, s.Changes[2].ChangedAttributes, "no diff names in the events: the plan's stay")
}

// A top-level name Pulumi quotes (it holds a dot) stays whole.
func TestTopLevelKeepsAQuotedName(t *testing.T) {
	assert.Equal(t, []string{`["a.b"]`, "list", "tags"}, topLevel([]string{`["a.b"]`, "tags.x", "list[0]", "tags"}))
}

// An output that did not change is not listed (a secret one is: it may
// have).
func TestOutputChangesLeavesOutUnchangedOutputs(t *testing.T) {
	got := outputChanges(
		map[string]any{"same": float64(1), "token": "[secret]"},
		map[string]any{"same": float64(1), "token": "[secret]", "new": "x"})
	assert.Equal(t, []plan.OutputChange{
		{Name: "new", Action: plan.ActionCreate, Before: plan.ValueAbsent, After: `"x"`},
		{Name: "token", Action: plan.ActionUpdate, Sensitive: true, Before: plan.ValueSensitive, After: plan.ValueSensitive},
	}, got)
}

// A value of exactly 200 runes (plan.MaxValueRunes) is shown whole; one
// more is cut to 199 and "…".
func TestRenderValueCutsAfter200Runes(t *testing.T) {
	at200 := strings.Repeat("é", 198) // with its quotes, 200 runes
	assert.Equal(t, `"`+at200+`"`, renderValue(at200))
	assert.Equal(t, `"`+at200+"…", renderValue(at200+"é"))
	assert.Equal(t, plan.ValueUnknown, renderValue(map[string]any{"id": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}))
}

// The event log: a missing log is no events, blank lines are skipped, a
// line that is not JSON is an error keeping the events before it.
func TestReadEvents(t *testing.T) {
	dir := t.TempDir()
	evs, err := readEvents(filepath.Join(dir, "missing.json"))
	require.NoError(t, err)
	assert.Nil(t, evs)

	p := filepath.Join(dir, "events.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"errorEvent": {"error": "one"}}`+"\n\n   \n"+`{"diagnosticEvent": {"message": "two", "severity": "error"}}`+"\n"), 0o644))
	evs, err = readEvents(p)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "one", evs[0].ErrorEvent.Error)
	assert.Equal(t, "two", evs[1].DiagnosticEvent.Message)
	assert.Equal(t, "  error: two\n", diagnosticsText(evs))

	require.NoError(t, os.WriteFile(p, []byte(`{"errorEvent": {"error": "one"}}`+"\nnot json\n"), 0o644))
	evs, err = readEvents(p)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "decoding pulumi's event log: "), err.Error())
	assert.Len(t, evs, 1)

	_, err = readEvents(dir) // a directory opens, but does not read
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "reading pulumi's event log: "), err.Error())
}

// The diagnostics of the text: warnings and errors in order, colour tags
// gone, each once, a resource's with its address, nothing else (info,
// debug).
func TestDiagnosticsText(t *testing.T) {
	evs := decodeLines(t,
		`{"diagnosticEvent": {"message": "<{%reset%}>careful<{%reset%}>\n", "severity": "warning"}}`,
		`{"diagnosticEvent": {"message": "chatter\n", "severity": "info"}}`,
		`{"diagnosticEvent": {"message": "careful\n", "severity": "warning"}}`,
		`{"diagnosticEvent": {"urn": "urn:pulumi:dev::shop::lockstep:index:Thing::a", "message": "<{%fg 1%}>boom<{%reset%}>\nat line 3\n", "severity": "error"}}`,
	)
	assert.Equal(t, "  warning: careful\n  error: lockstep:index:Thing::a: boom\n    at line 3\n", diagnosticsText(evs))
}

// A replace is several step events; the diff of the first is kept when a
// later one carries none.
func TestEnrichMergesTheStepsOfAReplace(t *testing.T) {
	s := &plan.Summary{Changes: []plan.Change{{Address: "lockstep:index:Thing::swapped", Action: plan.ActionReplace}}}
	evs := decodeLines(t,
		`{"resourcePreEvent": {"metadata": {"op": "create-replacement", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::swapped", "type": "lockstep:index:Thing", "keys": ["key"], "detailedDiff": {"key": {"diffKind": "update-replace"}}}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "replace", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::swapped", "type": "lockstep:index:Thing"}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "delete-replaced", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::swapped", "type": "lockstep:index:Thing", "diffs": ["size"]}}}`,
	)
	enrich(s, evs)
	assert.Equal(t, []string{"key", "size"}, s.Changes[0].ChangedAttributes)
	assert.Equal(t, []string{"key"}, s.Changes[0].ReplacePaths)
}
