package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// js decodes a JSON literal the way terraform-json does.
func js(t *testing.T, s string) any {
	t.Helper()
	if s == "" {
		return nil
	}
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

func TestRenderPaths(t *testing.T) {
	tests := []struct {
		name  string
		paths string
		want  []string
	}{
		{"attribute", `[["engine_version"]]`, []string{"engine_version"}},
		{"map key", `[["tags","a"]]`, []string{`tags["a"]`}},
		{"block attribute after index", `[["ingress",0,"cidr_blocks",1]]`, []string{"ingress[0].cidr_blocks[1]"}},
		{"hostile key is quoted", `[["tags","a\"] | <b>"]]`, []string{`tags["a\"] | <b>"]`}},
		{"odd first step", `[["not an ident"]]`, []string{`["not an ident"]`}},
		{"duplicates removed", `[["a"],["a"],["b"]]`, []string{"a", "b"}},
		{"garbage ignored", `[[], "x", [true]]`, []string{"[?]"}},
		{"none", `null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []any
			require.NoError(t, json.Unmarshal([]byte(tt.paths), &paths))
			assert.Equal(t, tt.want, renderPaths(paths))
		})
	}
}

func TestChangedAttributes(t *testing.T) {
	tests := []struct {
		name                  string
		before, after, unknwn string
		want                  []string
	}{
		{"value differs", `{"a":1,"b":2}`, `{"a":1,"b":3}`, `{}`, []string{"b"}},
		{"nested differs", `{"t":{"x":"1"}}`, `{"t":{"x":"2"}}`, `{}`, []string{"t"}},
		{"becomes unknown", `{"id":"x","a":1}`, `{"a":1}`, `{"id":true}`, []string{"id"}},
		{"nested unknown", `{"a":[1]}`, `{"a":[1]}`, `{"a":[true]}`, []string{"a"}},
		{"unknown marks without true", `{"a":[1]}`, `{"a":[1]}`, `{"a":[false]}`, nil},
		{"added and removed", `{"old":1}`, `{"new":1}`, ``, []string{"new", "old"}},
		{"not objects", `"x"`, `"y"`, ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := changedAttributes(js(t, tt.before), js(t, tt.after), js(t, tt.unknwn))
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRenderValue(t *testing.T) {
	tests := []struct {
		name             string
		v, sens, unknown string
		want             string
	}{
		{"string keeps quotes", `"abc"`, `false`, `false`, `"abc"`},
		{"placeholder-looking string stays a string", `"(sensitive)"`, ``, ``, `"(sensitive)"`},
		{"sensitive", `"abc"`, `true`, ``, ValueSensitive},
		{"unknown", ``, `false`, `true`, ValueUnknown},
		{"html is not escaped", `"<a>&"`, ``, ``, `"<a>&"`},
		{"partly sensitive", `{"u":"admin","p":"pw"}`, `{"p":true}`, ``, `{"p":(sensitive),"u":"admin"}`},
		{"partly unknown list", `["a"]`, ``, `[false,true]`, `["a",(known after apply)]`},
		{"unknown key absent from value", `{"a":1}`, ``, `{"b":true}`, `{"a":1,"b":(known after apply)}`},
		{"marks of another shape hide it all", `"flat"`, `{"x":true}`, ``, ValueSensitive},
		{"null", `null`, ``, ``, `null`},
		{"long value is cut", `"` + strings.Repeat("x", 300) + `"`, ``, ``, `"` + strings.Repeat("x", MaxValueRunes-2) + `…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, renderValue(js(t, tt.v), js(t, tt.sens), js(t, tt.unknown)))
		})
	}
}

func TestTruncateRunes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"héllo wörld", 6, "héllo…"},
		{"ab", 1, "…"},
		{"a", 1, "a"},
		{"abc", 0, ""},
		{"", 3, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, TruncateRunes(tt.in, tt.n), "%q/%d", tt.in, tt.n)
	}
}

func TestSecrets(t *testing.T) {
	tests := []struct {
		name        string
		value, mark string
		want        []string
	}{
		{"whole string", `"hunter2!"`, `true`, []string{"hunter2!"}},
		{"short and literal values are skipped", `["ab","true","null","  ",12]`, `[true,true,true,true,true]`, nil},
		{"number as json", `5432`, `true`, []string{"5432"}},
		{"bool never", `true`, `true`, nil},
		{"nested mark", `{"a":{"b":"deep-secret","c":"open"}}`, `{"a":{"b":true}}`, []string{"deep-secret"}},
		{"whole object: json and leaves", `{"k":"v-secret","n":12345}`, `true`,
			[]string{`{"k":"v-secret","n":12345}`, "v-secret", "12345"}},
		{"multi-line string and its lines", `"line-one\nline-two\r\nx"`, `true`,
			[]string{"line-one\nline-two\r\nx", "line-one", "line-two"}},
		{"mismatched marks hide the whole value", `"flat-secret"`, `{"x":true}`, []string{"flat-secret"}},
		{"false marks nothing", `"visible"`, `false`, nil},
		{"list mark longer than value", `["one-secret"]`, `[true,true]`, []string{"one-secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSecretSet()
			s.addMarked(js(t, tt.value), js(t, tt.mark))
			assert.ElementsMatch(t, tt.want, s.list())
		})
	}
}

func TestSecretsOrderLongestFirst(t *testing.T) {
	s := newSecretSet()
	for _, v := range []string{"abc", "abcdef", "abd", "zz-long-secret"} {
		s.addString(v)
	}
	assert.Equal(t, []string{"zz-long-secret", "abcdef", "abc", "abd"}, s.list())
}
