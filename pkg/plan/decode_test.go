package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullDecode is what terraform-exec's ShowPlanFile does with the JSON.
func fullDecode(t testing.TB, b []byte) *tfjson.Plan {
	t.Helper()
	var p tfjson.Plan
	require.NoError(t, json.Unmarshal(b, &p))
	return &p
}

// requireSameResults checks that Decode gives the Summary and Fingerprint
// the full decode gives.
func requireSameResults(t *testing.T, b []byte) {
	t.Helper()
	full := fullDecode(t, b)
	want, err := Summarize(full)
	require.NoError(t, err)
	readers := map[string]func() *bytes.Reader{
		"whole": func() *bytes.Reader { return bytes.NewReader(b) },
	}
	for name, r := range readers {
		got, err := Decode(r())
		require.NoError(t, err, name)
		s, err := Summarize(got)
		require.NoError(t, err, name)
		assert.Equal(t, want, s, name)
		assert.Equal(t, Fingerprint(full), Fingerprint(got), name)
	}
	// One byte at a time: every value crosses a buffer boundary.
	got, err := Decode(iotest.OneByteReader(bytes.NewReader(b)))
	require.NoError(t, err)
	s, err := Summarize(got)
	require.NoError(t, err)
	assert.Equal(t, want, s, "one byte at a time")
	assert.Equal(t, Fingerprint(full), Fingerprint(got), "one byte at a time")
}

func TestDecodeMatchesFullDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.plan.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".plan.json"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			requireSameResults(t, b)
			// terraform show -json prints compact JSON; testdata is indented.
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, b))
			requireSameResults(t, compact.Bytes())
		})
	}
}

// A data source read during planning is in prior_state only: its sensitive
// values must still be found.
func TestDecodeKeepsPriorStateSecrets(t *testing.T) {
	b := []byte(`{"format_version":"1.2","terraform_version":"1.11.4",
	"planned_values":{"outputs":{"pw":{"sensitive":true,"value":"planned-output-secret"},"plain":{"sensitive":false,"value":"not-a-secret"}},"root_module":{"resources":[{"address":"x.y","values":{"a":"planned-values-are-not-read"},"sensitive_values":{"a":true}}]}},
	"resource_changes":[],
	"prior_state":{"format_version":"1.0","values":{"outputs":{"old":{"sensitive":true,"value":"prior-output-secret"}},"root_module":{
		"resources":[
			{"address":"data.aws_secretsmanager_secret_version.app","mode":"data","type":"aws_secretsmanager_secret_version","name":"app","values":{"secret_string":"data-source-secret","arn":"arn:not-secret"},"sensitive_values":{"secret_string":true}},
			{"address":"terraform_data.plain","mode":"managed","type":"terraform_data","name":"plain","values":{"input":"plain-value"},"sensitive_values":{"input":false,"true":{}}}
		],
		"child_modules":[{"address":"module.m","resources":[{"address":"module.m.data.x.y","mode":"data","values":{"nested":{"list":["a-nested-secret","visible"]}},"sensitive_values":{"nested":{"list":[true,false]}}}]},
		                 {"address":"module.empty","resources":[{"address":"module.empty.x.y","values":{"v":"vvv"},"sensitive_values":{}}]}]}}},
	"configuration":{"root_module":{"variables":{"token":{"sensitive":true},"region":{}}}},
	"variables":{"token":{"value":"variable-secret"},"region":{"value":"eu-west-1"}}
	}`)
	requireSameResults(t, b)
	p, err := Decode(bytes.NewReader(b))
	require.NoError(t, err)
	s, err := Summarize(p)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"planned-output-secret", "prior-output-secret", "data-source-secret", "a-nested-secret", "variable-secret"}, s.Secrets)
	// Only what carries secrets is kept.
	root := p.PriorState.Values.RootModule
	require.Len(t, root.Resources, 1)
	require.Len(t, root.ChildModules, 1)
	assert.Equal(t, "module.m", root.ChildModules[0].Address)
	assert.Len(t, p.PlannedValues.Outputs, 1)
	assert.Nil(t, p.PlannedValues.RootModule)
	assert.Len(t, p.Variables, 1)
}

// Pure no-ops keep only their sensitive parts; everything else is whole.
func TestDecodeTrimsPureNoOps(t *testing.T) {
	b := []byte(`{"format_version":"1.2","resource_changes":[
	{"address":"a.noop","mode":"managed","type":"a","name":"noop","change":{"actions":["no-op"],
		"before":{"big":"unchanged","tags":{"k":"v"},"pw":"noop-secret","list":["x","list-secret"]},
		"after":{"big":"unchanged","tags":{"k":"v"},"pw":"noop-secret","list":["x","list-secret"]},
		"after_unknown":{},"before_sensitive":{"pw":true,"tags":{},"list":[false,true]},"after_sensitive":{"pw":true,"tags":{},"list":[false,true]}}},
	{"address":"a.moved","previous_address":"a.old","mode":"managed","type":"a","name":"moved","change":{"actions":["no-op"],
		"before":{"v":"kept"},"after":{"v":"kept"},"after_unknown":{},"before_sensitive":{},"after_sensitive":{}}},
	{"address":"a.upd","mode":"managed","type":"a","name":"upd","change":{"actions":["update"],
		"before":{"v":"old"},"after":{"v":"new"},"after_unknown":{"id":true},"before_sensitive":{},"after_sensitive":{},
		"generated_config":"resource \"a\" \"upd\" {}","before_identity":{"id":"x"}}}
	]}`)
	requireSameResults(t, b)
	p, err := Decode(bytes.NewReader(b))
	require.NoError(t, err)
	noop := p.ResourceChanges[0].Change
	assert.Equal(t, map[string]any{"pw": "noop-secret", "list": []any{nil, "list-secret"}}, noop.Before)
	assert.Equal(t, noop.Before, noop.After)
	assert.Nil(t, noop.AfterUnknown)
	assert.Equal(t, map[string]any{"v": "kept"}, p.ResourceChanges[1].Change.Before, "a move is fingerprinted: kept whole")
	upd := p.ResourceChanges[2].Change
	assert.Equal(t, map[string]any{"id": true}, upd.AfterUnknown)
	assert.Empty(t, upd.GeneratedConfig)
	assert.Nil(t, upd.BeforeIdentity)
}

// prune must make addMarked collect exactly what it collects from the whole
// value, whatever the shapes.
func TestPruneKeepsEverySecret(t *testing.T) {
	cases := []struct{ value, mark string }{
		{`"s3cret"`, `true`},
		{`"s3cret"`, `false`},
		{`{"a":"s3cret","b":"plain"}`, `{"a":true}`},
		{`{"a":{"b":["x","s3cret",{"c":"deep-secret"}]}}`, `{"a":{"b":[false,true,{"c":true}]}}`},
		{`["one","two"]`, `{"a":true}`},          // shape mismatch: collected whole
		{`{"a":"whole-map"}`, `[true]`},          // shape mismatch
		{`{"a":["short"]}`, `{"a":[true,true]}`}, // mark longer than value
		{`{"a":{"x":"y"}}`, `{"a":true}`},        // object collected whole
		{`12345`, `true`},
		{`{"n":12345,"s":"str"}`, `{"n":true,"s":{}}`},
		{`null`, `{"a":true}`},
		{`{"a":"x"}`, `{"b":true}`},
	}
	for _, c := range cases {
		var v, m any
		require.NoError(t, json.Unmarshal([]byte(c.value), &v))
		require.NoError(t, json.Unmarshal([]byte(c.mark), &m))
		whole, pruned := newSecretSet(), newSecretSet()
		whole.addMarked(v, m)
		pruned.addMarked(prune(v, m), m)
		assert.Equal(t, whole.list(), pruned.list(), "value %s mark %s", c.value, c.mark)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := map[string]string{
		"empty":               ``,
		"null":                `null`,
		"not an object":       `[1,2]`,
		"no format version":   `{"resource_changes":[]}`,
		"future format":       `{"format_version":"2.0"}`,
		"truncated":           `{"format_version":"1.2","resource_changes":[{"address":"a"`,
		"truncated skipped":   `{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"values":"abc`,
		"mismatched brackets": `{"format_version":"1.2","prior_state":{"values":{"x":[}}}`,
		"bad change":          `{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":"update"}}]}`,
		"bad value":           `{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["update"],"before":{"a":01}}}]}`,
		"bad prior state":     `{"format_version":"1.2","prior_state":{"values":{}}}`,
		"control character":   "{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":\"a\x01b\",\"change\":{}}]}",
		"control in version":  "{\"format_version\":\"1.\x012\"}",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(in))
			assert.Error(t, err)
			var p tfjson.Plan
			assert.Error(t, json.Unmarshal([]byte(in), &p), "the full decode rejects it too")
		})
	}
}

// A member Decode reads that appears twice is refused rather than merged.
func TestDecodeRefusesDuplicateMembers(t *testing.T) {
	for _, in := range []string{
		`{"format_version":"1.2","resource_changes":[],"Resource_Changes":[]}`,
		`{"format_version":"1.2","prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[],"resources":[]}}}}`,
	} {
		_, err := Decode(strings.NewReader(in))
		assert.ErrorIs(t, err, errDuplicateKey, in)
	}
}

// Data after the plan is an error (a plan that closes early would be read
// short); white space is not.
func TestDecodeRefusesTrailingData(t *testing.T) {
	_, err := Decode(strings.NewReader(`{"format_version":"1.2","terraform_version":"1.11.4"}` + "\n\nnot json"))
	require.EqualError(t, err, `invalid plan JSON at byte 55: nothing after the plan's closing brace, found 'n'`)
	p, err := Decode(strings.NewReader(`{"format_version":"1.2","terraform_version":"1.11.4"}` + "\n \t\r\n"))
	require.NoError(t, err)
	assert.Equal(t, "1.11.4", p.TerraformVersion)
}

// The fast value parser builds what encoding/json builds, or gives up.
func FuzzValueParser(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5,-0,1e3,"x\u00e9\n",true,false,null,{}],"b":{"c":[]}}`,
		`"\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `123456789012345678`, `0.1`, `-1.5e-7`, `1e400`,
		`01`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `"a` + "\x7f" + `"`, ` [ 1 , 2 ] `, `9007199254740993`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := newValueParser().parse(b)
		var want any
		wantErr := json.Unmarshal(b, &want)
		if err != nil {
			return // the decoder falls back to encoding/json
		}
		require.NoError(t, wantErr, "fast parser accepted %q", b)
		if !sameValue(got, want) {
			t.Fatalf("%q: got %#v, want %#v", b, got, want)
		}
	})
}

// sameValue is reflect.DeepEqual that also tells -0 from 0.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// Whenever encoding/json decodes a plan, Decode gives the same Summary and
// Fingerprint.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.plan.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil && len(b) < 16<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var full tfjson.Plan
		if json.Unmarshal(b, &full) != nil {
			_, _ = Decode(bytes.NewReader(b)) // must not panic
			return
		}
		got, err := Decode(bytes.NewReader(b))
		if errors.Is(err, errDuplicateKey) {
			return // refused on purpose; see decoder.members
		}
		require.NoError(t, err)
		want, wantErr := Summarize(&full)
		s, err := Summarize(got)
		if wantErr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, s)
		require.Equal(t, Fingerprint(&full), Fingerprint(got))
	})
}
