package plan

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseLike gives what encoding/json gives, and shares what is identical.
func TestParseLike(t *testing.T) {
	before := `{"ami":"ami-1","e":{},"l":[],"n":1,"on":true,"ports":[80,443],"tags":{"env":"prod","team":"web"},"x":null,"z":-0}`
	cases := []struct {
		after      string
		whole      bool     // the result is before itself
		sharedKeys []string // members that are before's own maps or slices
	}{
		{after: before, whole: true},
		{after: `{"ami":"ami-2","e":{},"l":[],"n":1,"on":true,"ports":[80,443],"tags":{"env":"prod","team":"web"},"x":null,"z":-0}`, sharedKeys: []string{"tags", "ports", "e", "l"}},
		{after: `{"ami":"ami-1","e":{},"l":[],"n":1,"on":true,"ports":[80,443],"tags":{"env":"prod","team":"api"},"x":null,"z":0}`, sharedKeys: []string{"ports", "e", "l"}}, // -0 is not 0
		{after: `{"ami":"ami-1","e":{},"l":[],"n":1,"on":true,"ports":[80,443,8080],"tags":{"env":"prod","team":"web"},"x":null,"z":-0}`, sharedKeys: []string{"tags", "e", "l"}},
		{after: `{"ami":"ami-1","e":{},"l":[],"n":1,"on":true,"ports":[80,443],"tags":{"env":"prod","team":"web"},"z":-0}`, sharedKeys: []string{"tags", "ports", "e", "l"}},  // a key fewer
		{after: `{"ami":"ami-1","e":{},"l":[],"n":1,"on":true,"ports":[80,443],"tags":{"team":"web","env":"prod"},"x":null,"z":-0}`, sharedKeys: []string{"ports", "e", "l"}}, // unsorted keys are only built
		{after: `{"ami":"ami-1","e":{},"l":[],"n":1,"on":true,"ports":[80,443],"tags":{"env":"prod","env":"prod"},"x":null,"z":-0}`, sharedKeys: []string{"ports", "e", "l"}}, // a repeated key
		{after: `{"ami":"ami\u002d1","e":{},"l":[],"n":1.0,"on":true,"ports":[80,443],"tags":{"env":"prod","team":"web"},"x":null,"z":-0}`, whole: true},                      // the same values, spelt differently
		{after: `{"ami":"ami-1","e":{"a":1},"l":[null],"n":1,"on":false,"ports":[80,443],"tags":{"env":"prod","team":"web"},"x":null,"z":-0}`, sharedKeys: []string{"tags", "ports"}},
		{after: `null`},
		{after: `[1,2]`},
	}
	for _, c := range cases {
		p := newValueParser()
		ref, err := p.parse([]byte(before))
		require.NoError(t, err)
		got, err := p.parseLike([]byte(c.after), ref)
		require.NoError(t, err, c.after)
		var want any
		require.NoError(t, json.Unmarshal([]byte(c.after), &want))
		require.True(t, sameValue(got, want), "%s: got %#v", c.after, got)

		refMap := ref.(map[string]any)
		gotMap, isMap := got.(map[string]any)
		assert.Equal(t, c.whole, isMap && reflect.ValueOf(gotMap).UnsafePointer() == reflect.ValueOf(refMap).UnsafePointer(), c.after)
		if c.whole || !isMap {
			continue
		}
		for k, v := range gotMap {
			var shared bool
			switch x := v.(type) {
			case map[string]any:
				shared = reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(refMap[k]).UnsafePointer()
			case []any:
				r, _ := refMap[k].([]any)
				shared = len(x) > 0 && len(r) > 0 && &x[0] == &r[0] || len(x) == 0 && r != nil && len(r) == 0 && reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(r).UnsafePointer()
			default:
				continue
			}
			assert.Equal(t, contains(c.sharedKeys, k), shared, "%s: member %s shared", c.after, k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Whatever the reference, parseLike builds what encoding/json builds, or
// gives up as parse does.
func FuzzParseLike(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c"}],"d":"e"}`), []byte(`{"a":[1,{"b":"c"}],"d":"f"}`))
	f.Add([]byte(`{"a":1,"b":2}`), []byte(`{"b":2,"a":1,"a":3}`))
	f.Add([]byte(`[-0,"x\n",true,null]`), []byte(`[0,"x\n",true,null,{}]`))
	f.Fuzz(func(t *testing.T, refJSON, b []byte) {
		p := newValueParser()
		ref, err := p.parse(refJSON)
		if err != nil {
			return
		}
		got, err := p.parseLike(b, ref)
		var want any
		wantErr := json.Unmarshal(b, &want)
		if err != nil {
			return // the decoder falls back to encoding/json
		}
		require.NoError(t, wantErr, "parseLike accepted %q", b)
		if !sameValue(got, want) {
			t.Fatalf("%q against %q: got %#v, want %#v", b, refJSON, got, want)
		}
		if !sameValue(ref, mustParse(t, refJSON)) {
			t.Fatalf("the reference changed")
		}
	})
}

func mustParse(t *testing.T, b []byte) any {
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

// parseMarks is prune(m, m) of the parsed mark, without the parts it prunes.
func FuzzParseMarks(f *testing.F) {
	for _, s := range []string{
		`{"a":true,"b":{"c":false,"d":[false,true]},"e":{}}`, `{"a":true,"a":false}`, `{"a":false,"a":true}`,
		`[false,{},[true]]`, `true`, `false`, `null`, `{"a":"x","b":1,"c":null}`, `[[],[false]]`, `{"a":[true],"a":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := newValueParser().parseMarks(b)
		var m any
		wantErr := json.Unmarshal(b, &m)
		if err != nil {
			return // the decoder falls back to encoding/json
		}
		require.NoError(t, wantErr, "parseMarks accepted %q", b)
		if want := prune(m, m); !sameValue(got, want) {
			t.Fatalf("%q: got %#v, want %#v", b, got, want)
		}
	})
}
