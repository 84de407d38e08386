package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests hold the streaming decoder's pieces to encoding/json at the
// boundaries the whole-plan tests never land on exactly: every prefix of a
// document, each literal at the very end of its input, numbers of 15 and 16
// digits, the nesting limit, escapes at every position of a string and
// across every read boundary. FuzzValueParser lets the fast parser give up;
// here it must not, for anything encoding/json decodes: giving up is only
// for what it does not handle, and these inputs are what plans are made of.

// edgeDocs are valid JSON values, each a shape the fast parser handles.
var edgeDocs = []string{
	`0`, `-0`, `7`, `-7`, `10`, `0.5`, `-0.5`, `1.25`, `1e3`, `1E3`, `1e+3`, `1e-3`, `-1.5e+10`, `2.5E-3`, `1e9`, `9e99`, `-9.9e-9`, `19`, `0.9`, `90`,
	`123456789012345`, `-123456789012345`, `999999999999999`, // 15 digits: exact without ParseFloat
	`1234567890123456`, `9007199254740993`, `-9007199254740993`, `12345678901234567890`,
	`true`, `false`, `null`, `""`, `"a"`, `"abc"`,
	`"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"a\"b"`, `"tail\n"`, `"\u00e9"`, `"x\u0041y"`, `"\ud83d\ude00"`,
	`"é"`, `"😀 and é"`, `"\u2028"`, "\"\x80\"", "\"a\x80b\"", "\"\x7f\"", "\"\xc3\xa9\x80\"",
	`[]`, `[1]`, `[1,2,3]`, `[ 1 , 2 ]`, `[[]]`, `[[1],[2,[3]]]`, `[true,false,null]`,
	`{}`, `{"a":1}`, `{"a":1,"b":2}`, `{ "a" : 1 , "b" : [ ] }`, `{"a":{"b":{"c":"d"}}}`,
	`{"a\"b":1}`, `{"\u00e9":1}`, `{"a":1,"a":2}`, `{"a":{"x":1},"a":{"y":2}}`,
	`{"k":[{"x":"y","n":-0.0},{}],"s":"v\\w","t":true}`,
	" \t\r\n[1]\n", "\n{}\t",
	`{"a":"` + strings.Repeat("x", 32) + `","b":"` + strings.Repeat("y", 33) + `","c":"` + strings.Repeat("z", 34) + `"}`,
	`["` + strings.Repeat("x", 31) + `","` + strings.Repeat("x", 31) + `"]`,
}

// badDocs are not JSON; encoding/json refuses each.
var badDocs = []string{
	``, ` `, `-`, `--1`, `+1`, `01`, `-01`, `1.`, `.5`, `1.e3`, `1e`, `1e+`, `1E-`, `0x1`, `1e400`, `-1e400`,
	`t`, `tru`, `True`, `nul`, `fals`, `nulll`, `truex`,
	`"`, `"abc`, `"a\`, `"a\"`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", "\"\x1f\"", "\"\n\"",
	`[`, `[1`, `[1,`, `[1,]`, `[,1]`, `[1 2]`, `[1}`, `]`,
	`{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1]`, `{1:2}`, `}`,
	`1 2`, `[] []`, `{}x`, `"a" "b"`,
}

// requireMatchesEncodingJSON checks that the fast parser decodes b exactly as
// encoding/json does (-0 included), without giving up, or that both refuse it.
func requireMatchesEncodingJSON(t *testing.T, b []byte, got any, err error) {
	t.Helper()
	var want any
	if wantErr := json.Unmarshal(b, &want); wantErr != nil {
		require.ErrorIs(t, err, errSlow, "%q: encoding/json refuses it (%v), the fast parser must too", b, wantErr)
		return
	}
	require.NoError(t, err, "%q: encoding/json decodes it, the fast parser must not give up", b)
	require.True(t, sameValue(got, want), "%q: got %#v, want %#v", b, got, want)
}

func TestValueParserMatchesEncodingJSON(t *testing.T) {
	for _, doc := range edgeDocs {
		var v any
		require.NoError(t, json.Unmarshal([]byte(doc), &v), "edge doc %q must be JSON", doc)
	}
	for _, doc := range badDocs {
		var v any
		require.Error(t, json.Unmarshal([]byte(doc), &v), "bad doc %q must not be JSON", doc)
	}
	p := newValueParser()
	for _, doc := range append(append([]string{}, edgeDocs...), badDocs...) {
		got, err := p.parse([]byte(doc))
		requireMatchesEncodingJSON(t, []byte(doc), got, err)
		// Parsed again, the interned strings and boxed values answer.
		got, err = p.parse([]byte(doc))
		requireMatchesEncodingJSON(t, []byte(doc), got, err)
	}
}

// Every prefix of a document is either a value encoding/json decodes the same
// way or refused: never a panic, never a value read past its end.
func TestValueParserPrefixes(t *testing.T) {
	docs := append([]string{
		`{"a":[1,-2.5e+3,"x\"y\\z\u00e9",true,false,null,{}],"b":{"c":[]},"d":"end"}`,
		`[true]`, `[false]`, `[null]`, `[0]`, `[-0.0e-0]`,
	}, edgeDocs...)
	for _, doc := range docs {
		for n := 0; n <= len(doc); n++ {
			b := []byte(doc[:n])
			got, err := newValueParser().parse(b)
			requireMatchesEncodingJSON(t, b, got, err)
		}
	}
}

// A literal or number that ends its input exactly is read, one byte short it
// is not, wherever it sits.
func TestValueParserLiteralsAtTheEnd(t *testing.T) {
	for _, lit := range []string{"true", "false", "null", "0", "12", "1.5", "1e5"} {
		for _, wrap := range []string{"%s", "[%s]", `{"k":%s}`, "[1,%s]"} {
			doc := strings.Replace(wrap, "%s", lit, 1)
			got, err := newValueParser().parse([]byte(doc))
			requireMatchesEncodingJSON(t, []byte(doc), got, err)
			short := strings.Replace(wrap, "%s", lit[:len(lit)-1], 1)
			got, err = newValueParser().parse([]byte(short))
			requireMatchesEncodingJSON(t, []byte(short), got, err)
		}
	}
}

// Numbers: the integer shortcut (up to 15 digits) and strconv.ParseFloat
// agree bit for bit, signs and zeros included.
func TestNumberBoundaries(t *testing.T) {
	cases := []struct {
		in   string
		want float64
	}{
		{"0", 0}, {"-0", math.Copysign(0, -1)}, {"9", 9}, {"-9", -9},
		{"123456789012345", 123456789012345}, {"-123456789012345", -123456789012345},
		{"999999999999999", 999999999999999}, {"1000000000000000", 1e15},
		{"9007199254740993", 9007199254740992}, {"18446744073709551616", 18446744073709551616},
		{"1.5", 1.5}, {"-0.0", math.Copysign(0, -1)}, {"1e2", 100}, {"1E-2", 0.01}, {"5e+1", 50},
	}
	for _, c := range cases {
		f, end, err := float([]byte(c.in+","), 0)
		require.NoError(t, err, c.in)
		assert.Equal(t, len(c.in), end, "%s: the number ends before the comma", c.in)
		assert.Equal(t, math.Float64bits(c.want), math.Float64bits(f), "%s: got %v", c.in, f)
		want, err := json.Number(c.in).Float64()
		require.NoError(t, err)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(f), "%s: strconv agrees", c.in)
	}
	for _, bad := range []string{"-", "-x", "1.", "1.x", "1e", "1e+", "1e-x", ".1"} {
		if bad[0] == '.' {
			_, _, err := newValueParser().value([]byte(bad), 0, 0)
			assert.ErrorIs(t, err, errSlow, bad)
			continue
		}
		_, _, err := float([]byte(bad), 0)
		assert.ErrorIs(t, err, errSlow, bad)
	}
}

// nested returns depth arrays, or objects with key "k", one inside the other.
func nested(depth int, object bool) []byte {
	if object {
		return []byte(strings.Repeat(`{"k":`, depth) + "1" + strings.Repeat("}", depth))
	}
	return []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
}

// encoding/json's nesting limit is the fast parsers' too: 10000 levels are
// decoded, 10001 refused (and then encoding/json reports the error).
func TestNestingLimit(t *testing.T) {
	for _, object := range []bool{false, true} {
		ok, deep := nested(maxValueDepth, object), nested(maxValueDepth+1, object)
		var v any
		require.NoError(t, json.Unmarshal(ok, &v))
		require.Error(t, json.Unmarshal(deep, &v), "encoding/json's limit is %d", maxValueDepth)

		_, err := newValueParser().parse(ok)
		assert.NoError(t, err, "parse, %d levels, object %v", maxValueDepth, object)
		_, err = newValueParser().parse(deep)
		assert.ErrorIs(t, err, errSlow, "parse, %d levels", maxValueDepth+1)

		_, err = newValueParser().parseMarks(ok)
		assert.NoError(t, err, "parseMarks, %d levels", maxValueDepth)
		_, err = newValueParser().parseMarks(deep)
		assert.ErrorIs(t, err, errSlow, "parseMarks, %d levels", maxValueDepth+1)

		// parseLike against itself walks the reference all the way down.
		var ref any
		require.NoError(t, json.Unmarshal(ok, &ref))
		got, err := newValueParser().parseLike(ok, ref)
		assert.NoError(t, err, "parseLike, %d levels", maxValueDepth)
		assert.True(t, sameValue(got, ref))
		var deepRef any = ref
		if object {
			deepRef = map[string]any{"k": ref}
		} else {
			deepRef = []any{ref}
		}
		_, err = newValueParser().parseLike(deep, deepRef)
		assert.ErrorIs(t, err, errSlow, "parseLike, %d levels", maxValueDepth+1)
	}
}

// parseLike decodes what parse decodes, whatever the reference, and returns
// the reference itself exactly when the two are identical.
func TestParseLikeMatchesParse(t *testing.T) {
	refs := []string{
		`null`, `{}`, `[]`, `"a"`, `1`, `-0`, `true`, `false`,
		`{"a":1}`, `{"a":1,"b":2}`, `{"a":1,"b":2,"c":3}`, `[1]`, `[1,2]`, `[1,2,3]`,
		`{"a":"x","b":[1,{"c":null}]}`, `{"a\"b":1}`,
	}
	for _, doc := range append(append([]string{}, edgeDocs...), refs...) {
		for _, refDoc := range append(refs, doc) {
			var ref, want any
			require.NoError(t, json.Unmarshal([]byte(refDoc), &ref))
			require.NoError(t, json.Unmarshal([]byte(doc), &want))
			got, err := newValueParser().parseLike([]byte(doc), ref)
			require.NoError(t, err, "%s against %s", doc, refDoc)
			require.True(t, sameValue(got, want), "%s against %s: got %#v", doc, refDoc, got)
		}
	}
	for _, doc := range badDocs {
		for _, refDoc := range refs {
			var ref any
			require.NoError(t, json.Unmarshal([]byte(refDoc), &ref))
			_, err := newValueParser().parseLike([]byte(doc), ref)
			require.ErrorIs(t, err, errSlow, "%q against %s", doc, refDoc)
		}
	}
}

// isRef reports whether got is ref itself (the same map or slice, not a copy).
func isRef(got, ref any) bool {
	switch r := ref.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		return ok && len(g) == len(r) && (len(r) == 0 || sameMap(g, r))
	case []any:
		g, ok := got.([]any)
		return ok && len(g) == len(r) && (len(r) == 0 || &g[0] == &r[0])
	}
	return false
}

// sameMap reports whether a and b are one map: a write to one shows in the
// other.
func sameMap(a, b map[string]any) bool {
	const probe = "\x00probe"
	a[probe] = true
	_, same := b[probe]
	delete(a, probe)
	return same
}

// When the document is identical to the reference, parseLike hands back the
// reference; when one member, element, key order or count differs, a new
// value is built (sharing what is identical).
func TestParseLikeReturnsTheReference(t *testing.T) {
	cases := []struct {
		ref, doc string
		same     bool
	}{
		{`{"a":1,"b":"x"}`, `{"a":1,"b":"x"}`, true},
		{`{"a":1,"b":"x"}`, `{ "a" : 1 , "b" : "x" }`, true},
		{`{"a":1,"a!":2}`, `{"a":1,"a!":2}`, true}, // keys compared without their quotes
		{`{"a":[1,2],"b":{"c":true}}`, `{"a":[1,2],"b":{"c":true}}`, true},
		{`[1,"x",null,false]`, `[1,"x",null,false]`, true},
		{`{"a":1,"b":"x"}`, `{"b":"x","a":1}`, false}, // keys out of order: built
		{`{"a":1,"b":"x"}`, `{"a":1,"a":1,"b":"x"}`, false},
		{`{"a":1,"b":"x"}`, `{"a":1,"a":1}`, false}, // as many members as the reference, one twice
		{`[[1],[2,3],{"k":[4]}]`, `[[1],[2,3],{"k":[4]}]`, true},
		{`[[1],[2,3]]`, `[[1],[2]]`, false},
		{`[[1],[2]]`, `[[1],[2,3]]`, false},
		{`{"x":[[1],[2,3]],"y":{"z":{"w":[5]}}}`, `{"x":[[1],[2,3]],"y":{"z":{"w":[5]}}}`, true},
		{`{"a":1,"b":"x"}`, `{"a":1}`, false},
		{`{"a":1}`, `{"a":1,"b":"x"}`, false},
		{`{"a":1,"b":"x"}`, `{"a":2,"b":"x"}`, false},
		{`{"a":1,"b":"x"}`, `{"a":1,"b":"y"}`, false},
		{`{"ab":1}`, `{"a\u0062":1}`, false},  // an escaped key: built
		{`{"a":"x"}`, `{"a":"\u0078"}`, true}, // an escaped value decodes to the same string
		{`["\\\"a"]`, `["\"a"]`, false},       // the bytes are the reference's, the string is not
		{`["a\\\"b"]`, `["a\"b"]`, false},
		{`[1,2]`, `[1]`, false},
		{`[1]`, `[1,2]`, false},
		{`[1,2]`, `[1,3]`, false},
		{`[0]`, `[-0]`, false},
		{`[true]`, `[false]`, false},
		{`[null]`, `[false]`, false},
	}
	for _, c := range cases {
		var ref, want any
		require.NoError(t, json.Unmarshal([]byte(c.ref), &ref))
		require.NoError(t, json.Unmarshal([]byte(c.doc), &want))
		got, err := newValueParser().parseLike([]byte(c.doc), ref)
		require.NoError(t, err, c.doc)
		assert.True(t, sameValue(got, want), "%s against %s: got %#v", c.doc, c.ref, got)
		assert.Equal(t, c.same, isRef(got, ref), "%s against %s: the reference itself?", c.doc, c.ref)
	}
}

// parseMarks decodes a mark straight into prune(m, m) of the mark m
// encoding/json decodes.
func TestParseMarksMatchesPrune(t *testing.T) {
	marks := []string{
		`true`, `false`, `null`, `{}`, `[]`, `"x"`, `1`,
		`{"a":true}`, `{"a":false}`, `{"a":{}}`, `{"a":{"b":true}}`, `{"a":{"b":false},"c":true}`,
		`{"a":true,"a":false}`, `{"a":false,"a":true}`, `{"a":true,"a":{}}`,
		`[true]`, `[false]`, `[false,true]`, `[{},{"a":true}]`, `[[],[[true]]]`,
		`{"l":[false,{"m":[true]}],"n":{"o":{}}}`,
	}
	for _, doc := range append(marks, edgeDocs...) {
		var m any
		require.NoError(t, json.Unmarshal([]byte(doc), &m))
		want := prune(m, m)
		got, err := newValueParser().parseMarks([]byte(doc))
		require.NoError(t, err, doc)
		assert.True(t, sameValue(got, want), "%s: got %#v, want %#v", doc, got, want)
		assert.Equal(t, anyMarked(m), anyMarked(got), doc)
	}
	for _, doc := range append([]string{`tru`, `t`, `[tru]`, `{"a":tru}`, `{"a":true`, `[true`}, badDocs...) {
		_, err := newValueParser().parseMarks([]byte(doc))
		assert.ErrorIs(t, err, errSlow, "%q", doc)
	}
}

// The fast string decoder handles the simple escapes itself and agrees with
// encoding/json on every other string, at every position of the escape.
func TestStringValueEscapes(t *testing.T) {
	escapes := []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\ud83d\ude00`, `\ud800`, "\xff", "\x80", "\x7f", "é", "\xc3"}
	for _, e := range escapes {
		for _, at := range []string{"%s", "a%s", "%sb", "a%sb", strings.Repeat("x", 40) + "%s"} {
			raw := []byte(`"` + strings.Replace(at, "%s", e, 1) + `"`)
			var want string
			require.NoError(t, json.Unmarshal(raw, &want), "%s", raw)
			got, err := newValueParser().stringValue(raw)
			require.NoError(t, err, "%s", raw)
			assert.Equal(t, want, got, "%s", raw)
		}
	}
	// Simple escapes next to one the fast path leaves to encoding/json,
	// and bytes the fast path must refuse.
	for _, raw := range []string{`"\n\u0041"`, `"\u0041\n"`, `"a\tb\"c\\d\/e"`, "\"\\n\xff\"", "\"\\n\x01\""} {
		var want string
		wantErr := json.Unmarshal([]byte(raw), &want)
		got, err := newValueParser().stringValue([]byte(raw))
		if wantErr != nil {
			assert.ErrorIs(t, err, errSlow, "%q", raw)
			continue
		}
		require.NoError(t, err, "%q", raw)
		assert.Equal(t, want, got, "%q", raw)
	}
	// unescape alone: a backslash at the very end, and control characters
	// after an escape, are not its to decode.
	for _, rest := range []string{`\`, `a\`, "\\n\x01", `\x`, `\u0041`, "\\n\xff"} {
		_, ok := unescape([]byte(rest), nil)
		assert.False(t, ok, "%q", rest)
	}
	s, ok := unescape([]byte(`\n\t\\`), []byte("ab"))
	require.True(t, ok)
	assert.Equal(t, "ab\n\t\\", s)
}

// simpleString takes only quoted strings without escapes or non-ASCII bytes.
func TestSimpleString(t *testing.T) {
	cases := []struct {
		raw  string
		want string
		ok   bool
	}{
		{`""`, "", true}, {`"a"`, "a", true}, {`"a b~"`, "a b~", true},
		{`"a\"b"`, "", false}, {`"é"`, "", false}, {"\"\x1f\"", "", false}, {"\"\x7f\"", "\x7f", true},
		{`"`, "", false}, {``, "", false},
	}
	for _, c := range cases {
		got, ok := simpleString([]byte(c.raw))
		assert.Equal(t, c.ok, ok, "%q", c.raw)
		assert.Equal(t, c.want, got, "%q", c.raw)
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// readers returns the ways a document is streamed in: whole, a byte at a
// time, in chunks on both sides of the skipper's 32-byte step, and with the
// data and io.EOF together.
func readers(b []byte) map[string]io.Reader {
	rs := map[string]io.Reader{
		"bytes":     nil,
		"whole":     bytes.NewReader(b),
		"one byte":  iotest.OneByteReader(bytes.NewReader(b)),
		"data+EOF":  iotest.DataErrReader(bytes.NewReader(b)),
		"half":      iotest.HalfReader(bytes.NewReader(b)),
		"chunks 31": &chunkReader{bytes.NewReader(b), 31},
		"chunks 33": &chunkReader{bytes.NewReader(b), 33},
		"chunks 7":  &chunkReader{bytes.NewReader(b), 7},
	}
	return rs
}

func streamOf(b []byte, r io.Reader) *stream {
	if r == nil {
		return newBytesStream(b)
	}
	return newStream(r)
}

// capture returns each value's bytes exactly, however the input is cut: long
// and short strings, escapes at every offset, nested values larger than the
// read-ahead chunk.
func TestStreamCapturesValues(t *testing.T) {
	var values []string
	for n := 0; n <= 70; n++ {
		values = append(values, `"`+strings.Repeat("s", n)+`"`)
		for at := 0; at < n; at += 1 + n/8 {
			values = append(values, `"`+strings.Repeat("s", at)+`\"`+strings.Repeat("s", n-at)+`"`)
			values = append(values, `"`+strings.Repeat("s", at)+`\\`+strings.Repeat("s", n-at)+`"`)
		}
	}
	values = append(values,
		`true`, `false`, `null`, `0`, `-1.5e+10`, `1E5`, `{}`, `[]`, `{"a":[1,{"b":"]}"}],"c":"\\"}`,
		`[[[]],{"x":[{}]}]`, `"`+strings.Repeat("é", 40)+`"`,
		`"`+strings.Repeat("long ", 30000)+`"`, // longer than a read-ahead chunk
		`[`+strings.Repeat(`"x\"y",`, 20000)+`1]`,
	)
	doc := "[" + strings.Join(values, " ,\n") + "]"
	var want []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(doc), &want))
	require.Len(t, want, len(values))
	for name, r := range readers([]byte(doc)) {
		s := streamOf([]byte(doc), r)
		var got []string
		err := s.array(func(i int) error {
			raw, err := s.capture()
			got = append(got, string(raw))
			return err
		})
		require.NoError(t, err, name)
		assert.Equal(t, values, got, name)
		assert.Equal(t, int64(len(doc)), s.offset(), name)
		assert.Equal(t, byte(0), s.peek(), name)
	}
}

// Broken input is an error naming the byte where it went wrong, for every
// way of reading it; a read error is reported as such.
func TestStreamErrors(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{`"abc`, `plan JSON ends early at byte 4, unterminated string`},
		{`"ab\`, `plan JSON ends early at byte 4, unterminated string`},
		{`"ab\"`, `plan JSON ends early at byte 5, unterminated string`},
		{`[1,"a`, `plan JSON ends early at byte 5, unterminated string`},
		{`[1,[2]`, `plan JSON ends early at byte 6, unterminated object or array`},
		{`{"a":[}`, `invalid plan JSON at byte 6: mismatched bracket, found '}'`},
		{`[1}`, `invalid plan JSON at byte 2: mismatched bracket, found '}'`},
		{``, `plan JSON ends early at byte 0, expected a value`},
		{`   `, `plan JSON ends early at byte 3, expected a value`},
		{`,`, `invalid plan JSON at byte 0: expected a value, found ','`},
		{`:`, `invalid plan JSON at byte 0: expected a value, found ':'`},
		{`}`, `invalid plan JSON at byte 0: expected a value, found '}'`},
		{`]`, `invalid plan JSON at byte 0: expected a value, found ']'`},
		{`@`, `invalid plan JSON at byte 0: expected a value, found '@'`},
	}
	for _, c := range cases {
		for name, r := range readers([]byte(c.in)) {
			s := streamOf([]byte(c.in), r)
			assert.EqualError(t, s.skip(), c.want, "%q, %s", c.in, name)
		}
	}
	// Structure: object and array walks.
	walks := []struct {
		in, want string
	}{
		{`{"a":1 "b":2}`, `invalid plan JSON at byte 7: expected "," or "}" after an object member, found '"'`},
		{`{"a":1`, `plan JSON ends early at byte 6, expected "," or "}" after an object member`},
		{`{"a" 1}`, `invalid plan JSON at byte 5: expected ':', found '1'`},
		{`{1:2}`, `invalid plan JSON at byte 1: expected an object key, found '1'`},
		{`{`, `plan JSON ends early at byte 1, expected an object key`},
		{`[1`, `plan JSON ends early at byte 2, expected "," or "]" after an array element`},
		{`[1 2]`, `invalid plan JSON at byte 3: expected "," or "]" after an array element, found '2'`},
		{`nul`, `plan JSON ends early at byte 3, expected null`},
		{`nulx`, `invalid plan JSON at byte 3: expected null, found 'x'`},
		{`x`, `invalid plan JSON at byte 0: expected '{', found 'x'`},
	}
	for _, c := range walks {
		for name, r := range readers([]byte(c.in)) {
			s := streamOf([]byte(c.in), r)
			var err error
			if c.in[0] == '[' || c.in[0] == 'n' {
				err = s.array(func(int) error { return s.skip() })
			} else {
				err = s.object(func(string) error { return s.skip() })
			}
			assert.EqualError(t, err, c.want, "%q, %s", c.in, name)
		}
	}
	// A read error, not the end of input, is what is reported.
	broken := errors.New("disk on fire")
	s := newStream(io.MultiReader(strings.NewReader(`["abc`), iotest.ErrReader(broken)))
	err := s.array(func(int) error { return s.skip() })
	require.ErrorIs(t, err, broken)
	assert.EqualError(t, err, "reading plan JSON at byte 5: disk on fire")
	_, err = Decode(io.MultiReader(strings.NewReader(`{"format_version":"1.2"}`), iotest.ErrReader(broken)))
	assert.ErrorIs(t, err, broken, "a read error after the plan is not ignored")
}

// An escaped or non-ASCII object key is decoded by encoding/json; a broken
// one is an error naming the key.
func TestStreamKeys(t *testing.T) {
	in := `{"plain":1,"esc\"aped":2,"\u00e9t\u00e9":3,"é":4}`
	for name, r := range readers([]byte(in)) {
		s := streamOf([]byte(in), r)
		var keys []string
		require.NoError(t, s.object(func(k string) error {
			keys = append(keys, k)
			return s.skip()
		}), name)
		assert.Equal(t, []string{"plain", `esc"aped`, "été", "é"}, keys, name)
	}
	s := newBytesStream([]byte(`{"bad\x":1}`))
	err := s.object(func(string) error { return s.skip() })
	assert.ErrorContains(t, err, "invalid plan JSON at byte 8: object key:")
}

// A member found in any case counts, exact matches first; one Decode reads
// twice in one object (in any case) is refused.
func TestMembersAndFieldNames(t *testing.T) {
	names := []string{"address", "Address", "type"}
	assert.Equal(t, "address", fieldName("address", names))
	assert.Equal(t, "Address", fieldName("Address", names))
	assert.Equal(t, "address", fieldName("ADDRESS", names))
	assert.Equal(t, "type", fieldName("TyPe", names))
	assert.Equal(t, "", fieldName("types", names))

	assert.True(t, foldKey("values", "values"))
	assert.True(t, foldKey("VALUES", "values"))
	assert.False(t, foldKey("value", "values"))

	var o once
	assert.False(t, o.again("address"))
	assert.False(t, o.again("type"))
	assert.True(t, o.again("address"))
	assert.True(t, o.again("type"))
	assert.False(t, o.again("not a field"))
	assert.False(t, o.again("not a field"))

	raw, err := member([]byte(`{"a":1,"Sensitive":true,"b":[2]}`), "sensitive")
	require.NoError(t, err)
	assert.Equal(t, "true", string(raw))
	raw, err = member([]byte(`{"a":1}`), "sensitive")
	require.NoError(t, err)
	assert.Nil(t, raw)
	raw, err = member([]byte(`null`), "sensitive")
	require.NoError(t, err)
	assert.Nil(t, raw)
	_, err = member([]byte(`{"a":1`), "sensitive")
	assert.Error(t, err)
}

// appendJSONString quotes every byte as encoding/json does: each one alone
// and between others, and the multi-byte sequences around U+2028, U+2029
// and invalid UTF-8.
func TestAppendJSONStringEveryByte(t *testing.T) {
	var values []string
	for c := 0; c < 256; c++ {
		values = append(values, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"z")
	}
	values = append(values, "\u2027\u2028\u2029\u202a", "\xe2\x80", "\xe2\x80\xa8x", "\xed\xa0\x80", "é\xc3", "😀\xf0\x9f\x98")
	for _, s := range values {
		want, err := encodingJSON(s)
		require.NoError(t, err)
		assert.Equal(t, want, string(appendJSONString(nil, s)), "%q", s)
	}
}

// appendJSONFloat switches to exponents where encoding/json does.
func TestAppendJSONFloatBoundaries(t *testing.T) {
	for _, f := range []float64{
		1e-6, math.Nextafter(1e-6, 0), -1e-6, 1e-7, 1.5e-7, 1e21, math.Nextafter(1e21, 0), -1e21, 1e22, 1.5e300,
		1e-10, 1e-100, 5e-324, 0.1, 100, 1e20, 123e18,
	} {
		want, err := encodingJSON(f)
		require.NoError(t, err)
		got, err := appendJSONFloat([]byte("prefix:"), f)
		require.NoError(t, err)
		assert.Equal(t, "prefix:"+want, string(got), "%v", f)
	}
	for _, f := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		_, err := appendJSONFloat(nil, f)
		_, wantErr := encodingJSON(f)
		assert.EqualError(t, err, wantErr.Error())
	}
}

// jsonEqual is reflect.DeepEqual for decoded values.
func TestJSONEqualIsDeepEqual(t *testing.T) {
	values := []any{
		nil, true, false, "", "a", 0.0, 1.0, math.Copysign(0, -1),
		map[string]any(nil), map[string]any{}, map[string]any{"a": 1.0}, map[string]any{"a": 2.0},
		map[string]any{"b": 1.0}, map[string]any{"a": 1.0, "b": 1.0}, map[string]any{"a": nil},
		[]any(nil), []any{}, []any{1.0}, []any{2.0}, []any{1.0, 2.0}, []any{nil},
		map[string]any{"l": []any{map[string]any{"x": "y"}}}, map[string]any{"l": []any{map[string]any{"x": "z"}}},
		json.Number("1"), json.Number("2"),
	}
	for _, a := range values {
		for _, b := range values {
			assert.Equal(t, reflect.DeepEqual(a, b), jsonEqual(a, b), "jsonEqual(%#v, %#v)", a, b)
		}
	}
}

// encoder.redacted writes what encoding/json writes for redact's copy, for
// marks shaped like the value and not: lists longer or shorter than the
// value, unknowns outside it, marks that are not maps or lists.
func TestRedactedMatchesRedact(t *testing.T) {
	values := []string{`null`, `"s"`, `1`, `{"a":"x","b":["y","z"]}`, `["a","b"]`, `[]`, `{}`}
	marks := []string{
		`null`, `true`, `false`, `{}`, `[]`, `{"a":true}`, `{"b":[false,true]}`, `{"c":true}`, `[true]`,
		`[false,true]`, `[false,false,true]`, `[false,false,false,{"x":true}]`, `{"a":{"deep":true}}`, `"x"`,
	}
	for _, vs := range values {
		for _, ss := range marks {
			for _, us := range marks {
				var v, s, u any
				require.NoError(t, json.Unmarshal([]byte(vs), &v))
				require.NoError(t, json.Unmarshal([]byte(ss), &s))
				require.NoError(t, json.Unmarshal([]byte(us), &u))
				want, err := encodingJSON(redact(v, s, u))
				require.NoError(t, err)
				got, err := new(encoder).redacted(nil, v, s, u)
				require.NoError(t, err)
				require.Equal(t, want, string(got), "value %s sensitive %s unknown %s", vs, ss, us)
			}
		}
	}
}

// A streamed document is held a chunk at a time: the buffer grows only to
// hold a captured value larger than it, and offsets stay those of the
// whole document.
func TestStreamBuffersAChunk(t *testing.T) {
	elem := `{"k":"` + strings.Repeat("v", 100) + `","n":[1,2,3]}`
	n := 4 * streamChunk / len(elem)
	doc := "[" + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + "]"
	for name, r := range map[string]io.Reader{
		"whole":     strings.NewReader(doc),
		"chunks 33": &chunkReader{strings.NewReader(doc), 33},
	} {
		s := newStream(r)
		count := 0
		require.NoError(t, s.array(func(i int) error {
			raw, err := s.capture()
			if err == nil && string(raw) != elem {
				return fmt.Errorf("element %d is %q", i, raw)
			}
			count++
			return err
		}), name)
		assert.Equal(t, n, count, name)
		assert.Equal(t, int64(len(doc)), s.offset(), name)
		assert.LessOrEqual(t, cap(s.buf), streamChunk, "%s: the buffer stays one chunk", name)
	}
	// One value larger than the chunk: the buffer grows to hold it whole.
	big := `"` + strings.Repeat("b", 3*streamChunk) + `"`
	s := newStream(&chunkReader{strings.NewReader(`[1,` + big + `,2]`), 1000})
	var got []string
	require.NoError(t, s.array(func(int) error {
		raw, err := s.capture()
		got = append(got, string(raw))
		return err
	}))
	assert.Equal(t, []string{"1", big, "2"}, got)
	assert.GreaterOrEqual(t, cap(s.buf), len(big))
}

// The parser interns strings of up to maxInternLength bytes (plans repeat
// the same keys and values thousands of times) and no longer ones.
func TestValueParserInternsShortStrings(t *testing.T) {
	short, long := strings.Repeat("k", maxInternLength), strings.Repeat("l", maxInternLength+1)
	doc := fmt.Sprintf(`[{%q:1,%q:2},{%q:3,%q:4}]`, short, long, short, long)
	v, err := newValueParser().parse([]byte(doc))
	require.NoError(t, err)
	l := v.([]any)
	keys := func(m any, want string) string {
		for k := range m.(map[string]any) {
			if k == want {
				return k
			}
		}
		t.Fatalf("no key %q", want)
		return ""
	}
	assert.Same(t, unsafe.StringData(keys(l[0], short)), unsafe.StringData(keys(l[1], short)), "a %d-byte key is held once", maxInternLength)
	assert.NotSame(t, unsafe.StringData(keys(l[0], long)), unsafe.StringData(keys(l[1], long)), "a %d-byte key is not interned", maxInternLength+1)
}
