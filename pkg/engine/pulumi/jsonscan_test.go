package pulumi

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var scannerSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e+10`, `-12.0E-3`, `"x"`, `""`,
	`{"a": [1, 2, {"b": null}], "c": "d\u00e9\n\"", "e": -1}`, `  {"a":1}  `,
	`01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`, `"\x"`, `"\u12"`, "\"a\tb\"", `"abc`,
	`{"a" 1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{1:2}`, `{"a":1}}`, `{"a":1} x`, ``, ` `, `[`, `{"a":`,
	"\"\xff\"", `"é"`, `"<&>"`, `"\ud800"`, `{"a":{"b":{"c":[[[[]]]]}}}`,
	// Literals cut short at the end, or misspelt.
	`t`, `[tru`, `fals`, `[nul]`, `nulL`, `truex`,
	// \u escapes: every edge of the hex digits' ranges, in and out, and cut
	// short.
	`"\u0009"`, `"\u00af"`, `"\u00AF"`, `"\u09fA"`, `"\u00/0"`, `"\u00:0"`, `"\u00@0"`, `"\u00G0"`,
	"\"\\u00`0\"", `"\u00g0"`, `"\u"`, `"\u1"`, `"\u123"`, `"\u1234"`, `"\u123`, `"\u1234`,
	// A backslash at the very end.
	`"\`, `["a\`,
	// Numbers' signs and ends.
	`-a`, `[-]`, `0-`, `-01`, `[-0]`,
}

// The nesting limit, as encoding/json's: 10000 levels open, not one more.
func TestScannerDepthIsEncodingJSONs(t *testing.T) {
	for _, depth := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			closing := "]"
			if open != "[" {
				closing = "}"
			}
			b := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closing, depth))
			s := &scanner{b: b}
			err := s.skip()
			if err == nil {
				err = s.end()
			}
			assert.Equal(t, json.Valid(b), err == nil, "%d levels of %s: %v", depth, open, err)
		}
	}
}

// FuzzScannerValidatesLikeEncodingJSON: the scanner accepts exactly what
// encoding/json accepts, and reads strings as it does.
func FuzzScannerValidatesLikeEncodingJSON(f *testing.F) {
	for _, s := range scannerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)] // a read past the end panics
		s := &scanner{b: b}
		err := s.skip()
		if err == nil {
			err = s.end()
		}
		if valid := json.Valid(b); valid != (err == nil) {
			t.Fatalf("json.Valid %v, scanner: %v, for %q", valid, err, b)
		}
		var want string
		if json.Unmarshal(b, &want) == nil && strings.HasPrefix(strings.TrimSpace(string(b)), `"`) {
			s := &scanner{b: b}
			got, err := s.str()
			require.NoError(t, err)
			require.Equal(t, want, got, "%q", b)
		}
	})
}

func TestScannerSeeds(t *testing.T) {
	for _, seed := range scannerSeeds {
		// Capacity cut to the length: a read past the end panics.
		b := []byte(seed)
		s := &scanner{b: b[:len(b):len(b)]}
		err := s.skip()
		if err == nil {
			err = s.end()
		}
		assert.Equal(t, json.Valid([]byte(seed)), err == nil, "%q: %v", seed, err)
	}
}

// TestFingerprintEntryIsJSONMarshal: the entries hashed are byte for byte
// what json.Marshal wrote before the fingerprint had its own encoder.
func TestFingerprintEntryIsJSONMarshal(t *testing.T) {
	for _, urn := range []string{"urn:pulumi:dev::demo::lockstep:index:Thing::x", `a"b\c`, "<script>&", "tab\there", "é", "\xff", "\u2028", ""} {
		for _, steps := range [][]string{nil, {}, {"create"}, {"create-replacement", "replace", "<x>"}} {
			for _, keys := range [][]string{nil, {"value"}, {"a.b", "c[0]", "ü"}} {
				want, err := json.Marshal([]any{urn, steps, keys})
				require.NoError(t, err)
				assert.Equal(t, string(want), string(fingerprintEntry(nil, urn, steps, keys)))
			}
		}
	}
}

func FuzzFingerprintEntryIsJSONMarshal(f *testing.F) {
	f.Add("urn", "create", "value")
	f.Add("\xff<", "\u2028", `"\`)
	f.Fuzz(func(t *testing.T, urn, step, key string) {
		want, err := json.Marshal([]any{urn, []string{step}, []string{key, step}})
		require.NoError(t, err)
		assert.Equal(t, string(want), string(fingerprintEntry(nil, urn, []string{step}, []string{key, step})))
	})
}

// TestFingerprintIsStable pins the fingerprint of samplePlan: the value the
// encoding/json decoder and encoder gave, so bindings written before the
// scanner still match.
func TestFingerprintIsStable(t *testing.T) {
	dp, err := decodePlan([]byte(samplePlan))
	require.NoError(t, err)
	assert.Equal(t, "61860f9e51b515bb0253e836f1a3fa5697c68e04e4bf2e00562014fc9c5fe68d", fingerprint(dp))
}

// referencePlan decodes a plan file with encoding/json, as decodePlan did
// before it had a scanner.
func referencePlan(t *testing.T, raw []byte) map[string]resourcePlan {
	t.Helper()
	type diff struct {
		Adds    map[string]json.RawMessage `json:"adds"`
		Deletes []string                   `json:"deletes"`
		Updates map[string]json.RawMessage `json:"updates"`
	}
	var ref struct {
		ResourcePlans map[string]struct {
			Goal *struct {
				Type       string `json:"type"`
				InputDiff  diff   `json:"inputDiff"`
				OutputDiff diff   `json:"outputDiff"`
			} `json:"goal"`
			Steps []string `json:"steps"`
		} `json:"resourcePlans"`
	}
	require.NoError(t, json.Unmarshal(raw, &ref))
	names := func(d diff) planDiff {
		pd := planDiff{Deletes: d.Deletes}
		if d.Adds != nil {
			pd.Adds = slices.Sorted(maps.Keys(d.Adds))
		}
		if d.Updates != nil {
			pd.Updates = slices.Sorted(maps.Keys(d.Updates))
		}
		return pd
	}
	out := map[string]resourcePlan{}
	for urn, rp := range ref.ResourcePlans {
		r := resourcePlan{Steps: rp.Steps}
		if rp.Goal != nil {
			r.Goal = &goal{Type: rp.Goal.Type, InputDiff: names(rp.Goal.InputDiff), OutputDiff: names(rp.Goal.OutputDiff)}
		}
		out[urn] = r
	}
	return out
}

func TestDecodePlanMatchesEncodingJSON(t *testing.T) {
	plans := []string{samplePlan,
		`{"manifest": null, "resourcePlans": {"u\u0031": {"goal": null, "steps": null}, "u2": {"goal": {"inputDiff": {"adds": {}, "updates": null, "deletes": []}}, "steps": []}}}`,
		`{"manifest": {}, "resourcePlans": null, "config": {"a": [1, {"b": "\"x\""}]}}`,
		`{"manifest": {}, "resourcePlans": {"u": {"goal": {"type": "t", "properties": {"x": {"y": [1.5, true, null]}}, "inputDiff": {"adds": {"n\u00e9": 1, "a": {"deep": [1]}}}}, "steps": ["update"], "outputs": {"o": "v"}}}}`,
		`{"manifest": {}, "resourcePlans": {"s": {"goal": {"type": "pulumi:pulumi:Stack", "outputDiff": {"updates": {"token": {}, "b": 1}, "deletes": ["gone"]}}, "steps": ["same"]}}}`,
	}
	for _, p := range plans {
		dp, err := decodePlan([]byte(p))
		require.NoError(t, err, p)
		got := map[string]resourcePlan{}
		for urn, rp := range dp.ResourcePlans {
			if rp.Goal != nil {
				slices.Sort(rp.Goal.InputDiff.Adds)
				slices.Sort(rp.Goal.InputDiff.Updates)
				slices.Sort(rp.Goal.OutputDiff.Adds)
				slices.Sort(rp.Goal.OutputDiff.Updates)
			}
			got[urn] = rp
		}
		assert.Equal(t, referencePlan(t, []byte(p)), got, p)
	}
	for _, bad := range []string{`{"manifest": {}, "resourcePlans": {"u": {"steps": [1]}}}`, `{"manifest": {}} {}`, `{"manifest": {}, "x": [}`, `[]`} {
		_, err := decodePlan([]byte(bad))
		assert.ErrorContains(t, err, "decoding the saved Pulumi plan", bad)
	}
}

func TestEventsKeepOnlyTheStacksStates(t *testing.T) {
	evs := decodeLines(t,
		`{"sequence": 1, "resourcePreEvent": {"metadata": {"op": "update", "urn": "urn:pulumi:dev::demo::lockstep:index:Thing::a", "type": "lockstep:index:Thing", "old": {"inputs": {"v": "1"}, "outputs": {"v": "1"}}, "new": {"outputs": {"v": "2"}}, "keys": [], "diffs": ["v"], "detailedDiff": {"v": {"kind": "update"}, "w\u0030": {}}, "logical": true, "provider": "p"}}}`,
		`{"resOutputsEvent": {"metadata": {"type": "pulumi:pulumi:Stack", "urn": "urn:pulumi:dev::demo::pulumi:pulumi:Stack::demo-dev", "op": "same", "new": {"outputs": {"greeting": "h\u00e9"}}}}}`,
		`{"diagnosticEvent": {"urn": "u", "prefix": "x", "message": "boom \"quoted\"", "color": "never", "severity": "error", "ephemeral": false}}`,
		`{"summaryEvent": {"maybeCorrupt": false, "resourceChanges": {"update": 2}, "result": "failed"}}`,
		`{"errorEvent": {"error": "it broke"}}`,
		`{"cancelEvent": {}, "stdoutEvent": {"message": "hi", "color": "x"}}`,
	)
	m := evs[0].ResourcePreEvent.Metadata
	assert.Equal(t, "update", m.Op)
	assert.Equal(t, []string{"v", "w0"}, m.DetailedDiff)
	assert.Equal(t, []string{"v"}, m.Diffs)
	assert.Equal(t, []string{}, m.Keys)
	require.NotNil(t, m.Old)
	assert.Nil(t, m.Old.Outputs, "a resource's own state is not kept")
	assert.JSONEq(t, `{"greeting": "hé"}`, string(evs[1].ResOutputsEvent.Metadata.New.Outputs), "the stack's outputs are")
	assert.Equal(t, diagnosticEvent{URN: "u", Message: `boom "quoted"`, Severity: "error"}, *evs[2].DiagnosticEvent)
	assert.Equal(t, map[string]int{"update": 2}, evs[3].SummaryEvent.ResourceChanges)
	assert.Equal(t, "failed", evs[3].SummaryEvent.Result)
	assert.Equal(t, "it broke", evs[4].ErrorEvent.Error)
	assert.Equal(t, event{}, evs[5])

	var ev event
	assert.Error(t, json.Unmarshal([]byte(`{"resourcePreEvent": {"metadata": {"op": 1}}}`), &ev))
	assert.Error(t, ev.UnmarshalJSON([]byte(`{"diagnosticEvent": {}} {}`)))
}

// appendJSONString writes what json.Marshal writes, for every character at
// the edge of its fast path: controls, space, ~ and DEL, the quote, the
// backslash, HTML's <, > and & (escaped by json.Marshal), and beyond ASCII.
func TestAppendJSONStringIsJSONMarshals(t *testing.T) {
	for _, s := range []string{"", "plain", "\x00", "\x1f", " ", "~", "\x7f", `"`, `\`, "<", ">", "&", "é", "a<b", "x\ny", "\xff"} {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONString(nil, s)), "%q", s)
	}
}
