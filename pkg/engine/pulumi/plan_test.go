package pulumi

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

func TestAction(t *testing.T) {
	tests := []struct {
		steps []string
		want  plan.Action
	}{
		{nil, plan.ActionNoOp},
		{[]string{"same"}, plan.ActionNoOp},
		{[]string{"create"}, plan.ActionCreate},
		{[]string{"update"}, plan.ActionUpdate},
		{[]string{"delete"}, plan.ActionDelete},
		{[]string{"create-replacement", "replace", "delete-replaced"}, plan.ActionReplace},
		{[]string{"delete-replaced", "replace", "create-replacement"}, plan.ActionReplace},
		{[]string{"import"}, plan.ActionImport},
		{[]string{"read"}, plan.ActionRead},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, action(tt.steps), "%v", tt.steps)
	}
}

func TestSplitURN(t *testing.T) {
	tests := []struct{ urn, addr, typ, name string }{
		{"urn:pulumi:dev::demo::lockstep:index:Thing::first", "lockstep:index:Thing::first", "lockstep:index:Thing", "first"},
		{"urn:pulumi:dev::demo::my:Comp$lockstep:index:Thing::child", "my:Comp$lockstep:index:Thing::child", "lockstep:index:Thing", "child"},
		{"urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev", "pulumi:pulumi:Stack::demo-dev", "pulumi:pulumi:Stack", "demo-dev"},
		{"urn:pulumi:dev::demo::t::name::with::colons", "t::name::with::colons", "t", "name::with::colons"},
		{"not-a-urn", "not-a-urn", "", "not-a-urn"},
	}
	for _, tt := range tests {
		addr, typ, name := splitURN(tt.urn)
		assert.Equal(t, []string{tt.addr, tt.typ, tt.name}, []string{addr, typ, name}, tt.urn)
	}
}

// samplePlan is a saved plan in Pulumi's format, with an encrypted secret
// among its values.
const samplePlan = `{
  "manifest": {"time": "2026-12-02T14:00:00Z", "magic": "x", "version": "v3.274.1"},
  "config": {"demo:password": {"secure": "v1:abc:def"}},
  "resourcePlans": {
    "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev": {"goal": {"type": "pulumi:pulumi:Stack", "name": "demo-dev"}, "steps": ["same"]},
    "urn:pulumi:dev::demo::lockstep:index:Thing::made": {"goal": {"type": "lockstep:index:Thing", "name": "made", "inputDiff": {"adds": {"value": "one"}}}, "steps": ["create"]},
    "urn:pulumi:dev::demo::lockstep:index:Thing::changed": {"goal": {"type": "lockstep:index:Thing", "name": "changed", "inputDiff": {"updates": {"value": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:zzz"}}, "deletes": ["fail"]}}, "steps": ["update"]},
    "urn:pulumi:dev::demo::lockstep:index:Thing::swapped": {"goal": {"type": "lockstep:index:Thing", "name": "swapped", "inputDiff": {"updates": {"key": "k2"}}}, "steps": ["create-replacement", "replace", "delete-replaced"]},
    "urn:pulumi:dev::demo::lockstep:index:Thing::gone": {"steps": ["delete"]},
    "urn:pulumi:dev::demo::pulumi:providers:lockstep::default": {"goal": {"type": "pulumi:providers:lockstep", "name": "default"}, "steps": ["create"]},
    "urn:pulumi:dev::demo::pulumi:providers:lockstep::default_1_0_0": {"steps": ["delete"]},
    "urn:pulumi:dev::demo::pulumi:providers:aws::mine": {"goal": {"type": "pulumi:providers:aws", "name": "mine"}, "steps": ["create"]}
  }
}`

func TestSummarizeCountsLikeTerraform(t *testing.T) {
	dp, err := decodePlan([]byte(samplePlan))
	require.NoError(t, err)
	s := summarize(dp)
	assert.Equal(t, engine.Pulumi, s.Engine)
	assert.Equal(t, []int{3, 1, 2, 1}, []int{s.Add, s.Change, s.Destroy, s.Replace}, "a replace counts in add and destroy; default providers do not count")
	var got []string
	for _, c := range s.Changes {
		got = append(got, string(c.Action)+" "+c.Address)
	}
	assert.Equal(t, []string{
		"delete lockstep:index:Thing::gone",
		"replace lockstep:index:Thing::swapped",
		"create lockstep:index:Thing::made",
		"create pulumi:providers:aws::mine",
		"update lockstep:index:Thing::changed",
	}, got, "ordered like pkg/plan, the unchanged stack and the default providers left out")
	assert.Equal(t, []string{"key"}, s.Changes[1].ChangedAttributes)
	assert.Empty(t, s.Changes[2].ChangedAttributes, "a create lists no changed attributes")
	assert.Equal(t, []string{"fail", "value"}, s.Changes[4].ChangedAttributes)
}

func TestDecodePlanRefusesOtherJSON(t *testing.T) {
	_, err := decodePlan([]byte(`{"format_version": "1.2"}`))
	require.ErrorContains(t, err, "not a file written by pulumi preview --save-plan")
	_, err = decodePlan([]byte(`garbage`))
	require.ErrorContains(t, err, "decoding the saved Pulumi plan")
}

func TestFingerprint(t *testing.T) {
	dp, err := decodePlan([]byte(samplePlan))
	require.NoError(t, err)
	base := fingerprint(dp)

	// The same changes in another file: new time, new ciphertext, keys
	// in another order.
	again := []byte(samplePlan)
	var m map[string]any
	require.NoError(t, json.Unmarshal(again, &m))
	m["manifest"] = map[string]any{"time": "2026-12-03T00:00:00Z"}
	rps := m["resourcePlans"].(map[string]any)
	rps["urn:pulumi:dev::demo::lockstep:index:Thing::changed"].(map[string]any)["goal"].(map[string]any)["inputDiff"].(map[string]any)["updates"] = map[string]any{"value": map[string]any{"ciphertext": "v1:other"}}
	other, err := json.Marshal(m)
	require.NoError(t, err)
	dp2, err := decodePlan(other)
	require.NoError(t, err)
	assert.Equal(t, base, fingerprint(dp2), "the same changes, planned again")

	// A different change.
	rps["urn:pulumi:dev::demo::lockstep:index:Thing::made"].(map[string]any)["steps"] = []string{"same"}
	changed, err := json.Marshal(m)
	require.NoError(t, err)
	dp3, err := decodePlan(changed)
	require.NoError(t, err)
	assert.NotEqual(t, base, fingerprint(dp3))
	assert.NotContains(t, base, "zzz")
}

func TestEnrichAddsDiffsReplaceReasonsAndOutputs(t *testing.T) {
	dp, err := decodePlan([]byte(samplePlan))
	require.NoError(t, err)
	s := summarize(dp)
	evs := decodeLines(t,
		`{"resourcePreEvent": {"metadata": {"op": "same", "urn": "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev", "type": "pulumi:pulumi:Stack", "old": {"outputs": {"greeting": "hello-one", "token": "[secret]", "old": 1}}}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "replace", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::swapped", "type": "lockstep:index:Thing", "keys": ["key"], "diffs": ["key"], "detailedDiff": {"key": {"diffKind": "update-replace"}}}}}`,
		`{"resourcePreEvent": {"metadata": {"op": "update", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::changed", "type": "lockstep:index:Thing", "diffs": ["value"], "detailedDiff": {"tags.a": {"diffKind": "add"}}}}}`,
		`{"resOutputsEvent": {"metadata": {"op": "same", "urn": "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev", "type": "pulumi:pulumi:Stack", "new": {"outputs": {"greeting": "hello-two", "token": "[secret]", "fresh": {"a": "[secret]"}}}}}}`,
	)
	enrich(s, evs)
	assert.Equal(t, []string{"key"}, s.Changes[1].ReplacePaths)
	assert.Equal(t, []string{"tags", "value"}, s.Changes[4].ChangedAttributes)
	assert.Equal(t, []plan.OutputChange{
		{Name: "fresh", Action: plan.ActionCreate, Sensitive: true, Before: plan.ValueAbsent, After: plan.ValueSensitive},
		{Name: "greeting", Action: plan.ActionUpdate, Before: `"hello-one"`, After: `"hello-two"`},
		{Name: "old", Action: plan.ActionDelete, Before: `1`, After: plan.ValueAbsent},
		{Name: "token", Action: plan.ActionUpdate, Sensitive: true, Before: plan.ValueSensitive, After: plan.ValueSensitive},
	}, s.Outputs, "a secret output may have changed: it is listed, without a value")
	assert.True(t, hasChanges(s))
}

func decodeLines(t *testing.T, lines ...string) []event {
	t.Helper()
	evs := make([]event, len(lines))
	for i, l := range lines {
		require.NoError(t, json.Unmarshal([]byte(l), &evs[i]), l)
	}
	return evs
}

func TestApplyReport(t *testing.T) {
	planned := []plan.Change{
		{Address: "lockstep:index:Thing::first", Action: plan.ActionUpdate},
		{Address: "lockstep:index:Thing::second", Action: plan.ActionReplace},
		{Address: "lockstep:index:Thing::third", Action: plan.ActionCreate},
	}
	evs := decodeLines(t,
		`{"resourcePreEvent": {"metadata": {"op": "update", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::first"}}}`,
		`{"resOutputsEvent": {"metadata": {"op": "update", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::first"}}}`,
		`{"resOutputsEvent": {"metadata": {"op": "create-replacement", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::second"}}}`,
		`{"diagnosticEvent": {"urn": "urn:pulumi:dev::demo::lockstep:index:Thing::second", "severity": "error", "message": "<{%reset%}>failing on purpose<{%reset%}>\n"}}`,
		`{"resOpFailedEvent": {"metadata": {"op": "delete-replaced", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::second"}}}`,
		`{"diagnosticEvent": {"urn": "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev", "severity": "error", "message": "update failed"}}`,
		`{"diagnosticEvent": {"urn": "urn:pulumi:dev::demo::lockstep:index:Thing::third", "severity": "error", "message": "expected resource operations for urn:pulumi:dev::demo::lockstep:index:Thing::third but none were seen\n"}}`,
	)
	r := applyReport(planned, evs)
	assert.Len(t, r.Planned, 3)
	assert.Equal(t, []engine.ResourceResult{{Address: "lockstep:index:Thing::first", Action: "update"}}, r.Applied)
	assert.Equal(t, []engine.ResourceResult{{Address: "lockstep:index:Thing::second", Action: "replace", Error: "failing on purpose"}}, r.Failed,
		"a replace whose second step failed is failed, not applied")
	assert.Equal(t, []engine.ResourceResult{{Address: "lockstep:index:Thing::third", Action: "create"}}, r.NotReached)
	assert.Equal(t, []string{"pulumi:pulumi:Stack::demo-dev: update failed"}, r.Errors)
}

func TestConstraintError(t *testing.T) {
	evs := decodeLines(t,
		`{"diagnosticEvent": {"severity": "error", "message": "resource urn:pulumi:dev::demo::lockstep:index:Thing::first violates plan: properties changed: ~~value[{two}!={one}]"}}`,
		`{"diagnosticEvent": {"severity": "warning", "message": "create is not allowed by the plan"}}`,
	)
	c := constraintError(evs)
	require.NotNil(t, c)
	assert.Len(t, c.Messages, 1, "warnings are not refusals")
	assert.Contains(t, c.Error(), "violates plan")
	assert.Contains(t, c.Error(), "re-run the plan")
	assert.Nil(t, constraintError(decodeLines(t, `{"diagnosticEvent": {"severity": "error", "message": "boom"}}`)))
}

func TestDecodeOutputs(t *testing.T) {
	outs, err := decodeOutputs([]byte(`{"greeting": "hello", "token": "[secret]", "nested": {"a": 1, "b": "[secret]"}, "n": 3}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]engine.Output{
		"greeting": {Value: json.RawMessage(`"hello"`)},
		"token":    {Sensitive: true},
		"nested":   {Sensitive: true},
		"n":        {Value: json.RawMessage(`3`)},
	}, outs)
}

func TestCollectSecrets(t *testing.T) {
	config := `{
	  "demo:password": {"value": "hunter2-secret", "secret": true},
	  "demo:region": {"value": "eu-west-1", "secret": false},
	  "demo:multi": {"value": "line-one\nline-two", "secret": true},
	  "demo:obj": {"value": "{\"k\":\"obj-secret\"}", "objectValue": {"k": "obj-secret"}, "secret": true},
	  "demo:short": {"value": "ab", "secret": true}
	}`
	sig := `"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"`
	export := `{"version": 3, "deployment": {"resources": [
	  {"urn": "stack", "outputs": {"greeting": "hello", "token": {` + sig + `, "plaintext": "\"out-secret\""}}},
	  {"urn": "db", "outputs": {"id": "db-1", "blob": {` + sig + `, "plaintext": "{\"x\": \"blob-secret\"}"}}}
	]}}`
	got, err := collectSecrets([]byte(config), []byte(export))
	require.NoError(t, err)
	assert.Equal(t, []string{
		`{"x":"blob-secret"}`, `{"k":"obj-secret"}`, "line-one\nline-two",
		"hunter2-secret", "blob-secret", "obj-secret", "out-secret", "line-one", "line-two",
	}, got, "longest first; not the region, the greeting or the id, not a value too short to mask")

	_, err = collectSecrets([]byte(`{}`), []byte(`not json`))
	assert.ErrorContains(t, err, "decoding pulumi stack export")
}

func TestStateFingerprintIgnoresTheManifest(t *testing.T) {
	a := `{"version": 3, "deployment": {"manifest": {"time": "1"}, "secrets_providers": {"type": "passphrase"}, "resources": [{"urn": "u", "outputs": {"v": 1}}]}}`
	b := `{"deployment": {"resources": [{"urn": "u", "outputs": {"v": 1}}], "secrets_providers": {"type": "passphrase"}, "manifest": {"time": "2"}}, "version": 3}`
	c := `{"version": 3, "deployment": {"manifest": {"time": "1"}, "secrets_providers": {"type": "passphrase"}, "resources": [{"urn": "u", "outputs": {"v": 2}}]}}`
	fa, err := stateFingerprint([]byte(a))
	require.NoError(t, err)
	fb, err := stateFingerprint([]byte(b))
	require.NoError(t, err)
	fc, err := stateFingerprint([]byte(c))
	require.NoError(t, err)
	assert.Equal(t, fa, fb, "another update time, keys in another order")
	assert.NotEqual(t, fa, fc, "a changed output")
	_, err = stateFingerprint([]byte("not json"))
	assert.ErrorContains(t, err, "decoding pulumi stack export")
}

func TestNewRefusesBadStackNames(t *testing.T) {
	for _, name := range []string{"", "--help", "a b", "../x", "a/b/c/d", "x;rm"} {
		_, err := New(Options{Dir: ".", Stack: name})
		assert.Error(t, err, "%q", name)
	}
	for _, name := range []string{"dev", "org/proj/prod", "my-stack_1.2"} {
		_, err := New(Options{Dir: ".", Stack: name})
		assert.NoError(t, err, "%q", name)
	}
}

func TestFailedPlanRedacts(t *testing.T) {
	p, err := failedPlan("dev", "error: hunter2-secret is wrong", errors.New("exit status 1: error: hunter2-secret is wrong"), []string{"hunter2-secret"})
	assert.Equal(t, "error: *** is wrong", p.Text)
	assert.EqualError(t, err, "pulumi preview of stack dev: exit status 1: error: *** is wrong")
}

func TestValidateWantsAPulumiProject(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Options{Dir: dir, Stack: "dev"})
	require.NoError(t, err)
	ds, err := a.Validate(context.Background())
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.False(t, ds[0].Warning)
	assert.Contains(t, ds[0].Detail, "no Pulumi.yaml")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: x\nruntime: yaml\n"), 0o644))
	ds, err = a.Validate(context.Background())
	require.NoError(t, err)
	assert.Empty(t, ds)
}

func TestHoldsSecrets(t *testing.T) {
	assert.True(t, holdsSecrets([]byte(`{"deployment": {"resources": [{"outputs": {"t": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:x"}}}]}}`)))
	assert.False(t, holdsSecrets([]byte(`{"deployment": {"secrets_providers": {"type": "passphrase", "state": {"salt": "v1:abc"}}, "resources": [{"outputs": {"t": "plain"}}]}}`)),
		"an export without secret values needs no decrypted export")
}
