package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Decode's promise that an update holds one copy of what it leaves alone:
// the parts of After identical to Before are Before's own maps and slices,
// and identical attributes of one object (tags and tags_all) are one value.
// Only the fast path shares, so this also checks that plain resource and
// output changes take it.
func TestDecodeSharesWhatAnUpdateLeavesAlone(t *testing.T) {
	b := []byte(`{"format_version":"1.2","resource_changes":[
	{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":["update"],
		"before":{"tags":{"k":"v"},"tags_all":{"k":"v"},"list":[1,2],"n":1},
		"after":{"tags":{"k":"v"},"tags_all":{"k":"v"},"list":[1,2],"n":2},
		"after_unknown":{},"before_sensitive":{},"after_sensitive":{}}}],
	"output_changes":{"o":{"actions":["update"],"before":{"m":{"x":"y"},"v":1},"after":{"m":{"x":"y"},"v":2},
		"after_unknown":false,"before_sensitive":false,"after_sensitive":false}}}`)
	requireSameResults(t, b)
	p, err := Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Len(t, p.ResourceChanges, 1)
	c := p.ResourceChanges[0].Change
	before, after := c.Before.(map[string]any), c.After.(map[string]any)
	assert.True(t, sameMap(before["tags"].(map[string]any), after["tags"].(map[string]any)), "after's tags are before's")
	assert.True(t, sameMap(before["tags"].(map[string]any), before["tags_all"].(map[string]any)), "tags_all is tags")
	assert.Same(t, &before["list"].([]any)[0], &after["list"].([]any)[0], "after's list is before's")
	assert.Equal(t, 2.0, after["n"])

	o := p.OutputChanges["o"]
	require.NotNil(t, o)
	ob, oa := o.Before.(map[string]any), o.After.(map[string]any)
	assert.True(t, sameMap(ob["m"].(map[string]any), oa["m"].(map[string]any)), "the output's after shares with its before")
	assert.Equal(t, 2.0, oa["v"])
}

// Shapes the fast paths hand to encoding/json (a member in another case, a
// member twice, a null change) give what the full decode gives.
func TestDecodeFallsBackLikeTheFullDecode(t *testing.T) {
	docs := map[string]string{
		"resource change key in another case": `{"format_version":"1.2","resource_changes":[
			{"Address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":["create"],"before":null,"after":{"pw":"case-secret"},"after_unknown":{},"after_sensitive":{"pw":true}}}]}`,
		"change key in another case": `{"format_version":"1.2","resource_changes":[
			{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"Actions":["create"],"before":null,"after":{"pw":"case-secret"},"after_unknown":{},"after_sensitive":{"pw":true}}}]}`,
		"change member twice": `{"format_version":"1.2","resource_changes":[
			{"address":"a.b","mode":"managed","type":"a","name":"b","change":{"actions":["create"],"after":{"pw":"first"},"after":{"pw":"twice-secret"},"after_unknown":{},"after_sensitive":{"pw":true}}}]}`,
		"output change key in another case": `{"format_version":"1.2","output_changes":{
			"o":{"Actions":["create"],"before":null,"after":"out-secret","after_unknown":false,"before_sensitive":false,"after_sensitive":true},
			"n":null}}`,
		"prior state resource key in another case": `{"format_version":"1.2","prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[
			{"address":"data.x.y","mode":"data","type":"x","name":"y","Values":{"s":"prior-case-secret"},"sensitive_values":{"s":true}}]}}}}`,
		"prior state resource member twice": `{"format_version":"1.2","prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[
			{"address":"data.x.y","mode":"data","type":"x","name":"y","values":{"s":"prior-twice-secret"},"sensitive_values":{},"sensitive_values":{"s":true}}]}}}}`,
		"prior state resource with null values": `{"format_version":"1.2","prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[
			{"address":"data.x.y","mode":"data","type":"x","name":"y","index":"k","values":null,"sensitive_values":{"s":true}},null]}}}}`,
		"prior state marks the fast parser leaves to encoding/json": `{"format_version":"1.2","prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[
			{"address":"data.x.y","mode":"data","type":"x","name":"y","index":0,"deposed_key":"d","values":{"s":"escaped-mark-secret"},"sensitive_values":{"\u0073":true}}]}}}}`,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			requireSameResults(t, []byte(doc))
		})
	}
	// A null change or resource change (Summarize refuses both) is what the
	// full decode makes of it.
	nulls := []byte(`{"format_version":"1.2","resource_changes":[{"address":"a.b","change":null},null]}`)
	p, err := Decode(bytes.NewReader(nulls))
	require.NoError(t, err)
	assert.Equal(t, fullDecode(t, nulls).ResourceChanges, p.ResourceChanges)

	// The secrets are found, not merely equally missed.
	for name, secret := range map[string]string{
		"resource change key in another case":                       "case-secret",
		"change member twice":                                       "twice-secret",
		"output change key in another case":                         "out-secret",
		"prior state resource key in another case":                  "prior-case-secret",
		"prior state resource member twice":                         "prior-twice-secret",
		"prior state marks the fast parser leaves to encoding/json": "escaped-mark-secret",
	} {
		p, err := Decode(strings.NewReader(docs[name]))
		require.NoError(t, err, name)
		s, err := Summarize(p)
		require.NoError(t, err, name)
		assert.Contains(t, s.Secrets, secret, name)
	}
}

// What the full decode refuses, Decode refuses, in the parts it decodes
// lazily too.
func TestDecodeErrorsInLazyParts(t *testing.T) {
	prior := func(resource string) string {
		return `{"format_version":"1.2","prior_state":{"format_version":"1.0","values":{"root_module":{"resources":[` + resource + `]}}}}`
	}
	cases := map[string]string{
		"invalid sensitive values":   prior(`{"address":"x.y","values":{"a":"s"},"sensitive_values":{"a":true,}}`),
		"invalid marked values":      prior(`{"address":"x.y","values":{"a":01},"sensitive_values":{"a":true}}`),
		"values not an object":       prior(`{"address":"x.y","values":[1],"sensitive_values":{"a":true}}`),
		"address not a string":       prior(`{"address":1,"values":{},"sensitive_values":{"a":true}}`),
		"bad output value":           `{"format_version":"1.2","output_changes":{"o":{"actions":["update"],"before":1,"after":01}}}`,
		"bad output before":          `{"format_version":"1.2","output_changes":{"o":{"actions":["update"],"before":[1,}}}`,
		"bad after unknown":          `{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["update"],"after_unknown":{"a":tru}}}]}`,
		"actions not strings":        `{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":[1]}}]}`,
		"replace paths not a list":   `{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["update"],"replace_paths":"x"}}]}`,
		"bad unknown member":         `{"format_version":"1.2","resource_changes":[{"address":"a","extra":[1,],"change":{"actions":["update"]}}]}`,
		"bad unknown change member":  `{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["update"],"extra":{"a":}}}]}`,
		"bad variable":               `{"format_version":"1.2","variables":{"v":{"value":[}},"configuration":{"root_module":{"variables":{"v":{"sensitive":true}}}}}`,
		"bad configuration variable": `{"format_version":"1.2","configuration":{"root_module":{"variables":{"v":{"sensitive":"yes"}}}}}`,
		"bad sensitive output":       `{"format_version":"1.2","planned_values":{"outputs":{"o":{"sensitive":true,"value":01}}}}`,
		"bad prior version":          `{"format_version":"1.2","prior_state":{"format_version":"9.0","values":{}}}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			var p tfjson.Plan
			require.Error(t, json.Unmarshal([]byte(in), &p), "the full decode refuses it")
			_, err := Decode(strings.NewReader(in))
			assert.Error(t, err)
		})
	}
}

// Summarize walks prior_state's modules maxModuleDepth deep; Decode keeps
// what it walks and no more.
func TestDecodeModuleDepth(t *testing.T) {
	// depth n holds a resource whose secret is "secret-at-n".
	module := func(depth int) string {
		return fmt.Sprintf(`"address":"m%d","resources":[{"address":"x.y","values":{"s":"secret-at-%d"},"sensitive_values":{"s":true}}]`, depth, depth)
	}
	var b strings.Builder
	b.WriteString(`{"format_version":"1.2","prior_state":{"format_version":"1.0","values":{"root_module":{`)
	last := maxModuleDepth + 2
	for depth := 0; depth <= last; depth++ {
		b.WriteString(module(depth))
		if depth < last {
			b.WriteString(`,"child_modules":[{`)
		}
	}
	for depth := last; depth > 0; depth-- {
		b.WriteString(`}]`)
	}
	b.WriteString(`}}}}`)
	doc := []byte(b.String())
	requireSameResults(t, doc)

	p, err := Decode(bytes.NewReader(doc))
	require.NoError(t, err)
	s, err := Summarize(p)
	require.NoError(t, err)
	assert.Contains(t, s.Secrets, fmt.Sprintf("secret-at-%d", maxModuleDepth))
	assert.NotContains(t, s.Secrets, fmt.Sprintf("secret-at-%d", maxModuleDepth+1))
	deepest := 0
	for m := p.PriorState.Values.RootModule; len(m.ChildModules) > 0; m = m.ChildModules[0] {
		deepest++
	}
	assert.Equal(t, maxModuleDepth, deepest, "modules deeper than Summarize walks are not kept")
}

// share hands back before wherever after is identical to it (what
// encoding/json would write is the same: -0 is not 0, a missing key is not
// null), and never changes what after holds.
func TestShare(t *testing.T) {
	cases := []struct {
		before, after string
		same          bool
	}{
		{`{"a":1,"b":[1,"x"]}`, `{"a":1,"b":[1,"x"]}`, true},
		{`{}`, `{}`, true},
		{`[]`, `[]`, true},
		{`"x"`, `"x"`, true},
		{`1.5`, `1.5`, true},
		{`true`, `true`, true},
		{`false`, `false`, true},
		{`null`, `null`, true},
		{`{"a":1,"b":2}`, `{"a":1}`, false},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":null}`, `{"b":null}`, false},
		{`{"a":1}`, `{"a":2}`, false},
		{`[1,2]`, `[1]`, false},
		{`[1]`, `[1,2]`, false},
		{`[1,2]`, `[2,1]`, false},
		{`0`, `-0`, false},
		{`-0`, `0`, false},
		{`1`, `2`, false},
		{`true`, `false`, false},
		{`false`, `true`, false},
		{`"x"`, `"y"`, false},
		{`null`, `false`, false},
		{`false`, `null`, false},
		{`"1"`, `1`, false},
		{`1`, `"1"`, false},
		{`[1]`, `{"0":1}`, false},
		{`{"0":1}`, `[1]`, false},
		{`{"k":[0,{"z":-0}]}`, `{"k":[0,{"z":0}]}`, false},
	}
	for _, c := range cases {
		var before, after, want any
		require.NoError(t, json.Unmarshal([]byte(c.before), &before))
		require.NoError(t, json.Unmarshal([]byte(c.after), &after))
		require.NoError(t, json.Unmarshal([]byte(c.after), &want))
		got, eq := share(before, after)
		assert.Equal(t, c.same, eq, "share(%s, %s)", c.before, c.after)
		assert.True(t, sameValue(got, want), "share(%s, %s) = %#v changes after", c.before, c.after, got)
		if c.same {
			switch before.(type) {
			case map[string]any, []any:
				assert.True(t, isRef(got, before) || isEmpty(before), "share(%s, %s) is before itself", c.before, c.after)
			}
		}
	}
	// nil and empty maps and lists encode differently (null, {}): not
	// identical.
	for _, c := range [][2]any{
		{map[string]any(nil), map[string]any{}}, {map[string]any{}, map[string]any(nil)},
		{[]any(nil), []any{}}, {[]any{}, []any(nil)},
	} {
		_, eq := share(c[0], c[1])
		assert.False(t, eq, "share(%#v, %#v)", c[0], c[1])
	}
	// A partly identical after keeps its own top, with before's parts.
	var before, after any
	require.NoError(t, json.Unmarshal([]byte(`{"same":{"x":1},"list":[{"y":2},3],"changed":1}`), &before))
	require.NoError(t, json.Unmarshal([]byte(`{"same":{"x":1},"list":[{"y":2},4],"changed":2}`), &after))
	got, eq := share(before, after)
	require.False(t, eq)
	bm, gm := before.(map[string]any), got.(map[string]any)
	assert.True(t, sameMap(bm["same"].(map[string]any), gm["same"].(map[string]any)))
	assert.True(t, sameMap(bm["list"].([]any)[0].(map[string]any), gm["list"].([]any)[0].(map[string]any)))
	assert.Equal(t, 4.0, gm["list"].([]any)[1])
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// shareWithin makes identical attributes of one object one value, and
// changes none.
func TestShareWithin(t *testing.T) {
	doc := `{"tags":{"k":"v"},"tags_all":{"k":"v"},"other":{"k":"w"},"l1":[1,2],"l2":[1,2],"l3":[1,3],
		"m2":{"a":1,"b":2},"m2b":{"a":1,"b":2},"one":{"a":1},"n":1,"s":"x","empty":{},"empty2":{}}`
	var v, want any
	require.NoError(t, json.Unmarshal([]byte(doc), &v))
	require.NoError(t, json.Unmarshal([]byte(doc), &want))
	shareWithin(v)
	assert.True(t, sameValue(v, want), "shareWithin changes nothing")
	m := v.(map[string]any)
	assert.True(t, sameMap(m["tags"].(map[string]any), m["tags_all"].(map[string]any)))
	assert.True(t, sameMap(m["m2"].(map[string]any), m["m2b"].(map[string]any)))
	assert.False(t, sameMap(m["tags"].(map[string]any), m["other"].(map[string]any)))
	assert.True(t, isRef(m["l1"], m["l2"]))
	assert.False(t, isRef(m["l1"], m["l3"]))
	shareWithin([]any{1.0}) // not an object: nothing to do
	shareWithin(nil)
}
