package plan

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// errSlow tells a fast decoder to give up and let encoding/json decode the
// same bytes: it is returned for anything unusual (invalid JSON, escapes it
// does not handle, unexpected types), never for a value the fast path could
// get wrong. encoding/json then either decodes the value or reports the
// error, so the fast path only has to be right when it succeeds.
var errSlow = errors.New("plan: fast path not applicable")

// maxValueDepth is encoding/json's nesting limit.
const maxValueDepth = 10000

// valueParser builds the same any-values encoding/json's Unmarshal builds
// (map[string]any, []any, string, float64, bool, nil), several times faster,
// from a complete JSON value in memory. Short strings are interned: plans
// repeat the same keys and many of the same values thousands of times.
type valueParser struct {
	intern map[string]string
	boxed  map[string]any // string values already in an interface, by their quoted JSON
	// members and elems are stacks of the objects and arrays being parsed,
	// so that each map and slice is made once, at its final size.
	members []keyValue
	elems   []any
}

type keyValue struct {
	key   string
	value any
}

func newValueParser() *valueParser {
	return &valueParser{intern: map[string]string{}, boxed: map[string]any{}}
}

// maxIntern bounds the interning table and the strings it holds.
const (
	maxIntern       = 1 << 16
	maxInternLength = 32
)

func (p *valueParser) str(b []byte) string {
	if len(b) > maxInternLength {
		return string(b)
	}
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) < maxIntern {
		p.intern[s] = s
	}
	return s
}

// parse decodes the single JSON value in b (white space around it allowed).
func (p *valueParser) parse(b []byte) (any, error) {
	v, i, err := p.value(b, skipSpace(b, 0), 0)
	if err != nil {
		return nil, err
	}
	if skipSpace(b, i) != len(b) {
		return nil, errSlow
	}
	return v, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// value decodes the value starting at b[i] and returns the index after it.
func (p *valueParser) value(b []byte, i, depth int) (any, int, error) {
	if i >= len(b) {
		return nil, i, errSlow
	}
	switch c := b[i]; {
	case c == '{':
		return p.object(b, i, depth+1)
	case c == '[':
		return p.array(b, i, depth+1)
	case c == '"':
		raw, j, err := scanString(b, i)
		if err != nil {
			return nil, j, err
		}
		if len(raw) <= maxInternLength+2 {
			if v, ok := p.boxed[string(raw)]; ok {
				return v, j, nil
			}
		}
		s, err := p.stringValue(raw)
		if err != nil {
			return nil, j, err
		}
		var v any = s
		if len(raw) <= maxInternLength+2 && len(p.boxed) < maxIntern {
			p.boxed[string(raw)] = v
		}
		return v, j, nil
	case c == 't':
		if len(b)-i >= 4 && string(b[i:i+4]) == "true" {
			return true, i + 4, nil
		}
	case c == 'f':
		if len(b)-i >= 5 && string(b[i:i+5]) == "false" {
			return false, i + 5, nil
		}
	case c == 'n':
		if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
			return nil, i + 4, nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return number(b, i)
	}
	return nil, i, errSlow
}

// walkObject calls member for each member of the object at b[i] (a '{'),
// with the decoded key, the key as written (without its quotes) and the
// index of the value; member returns the index after the value. walkObject
// returns the index after the object.
func (p *valueParser) walkObject(b []byte, i int, member func(key string, raw []byte, v int) (int, error)) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errSlow
		}
		raw, j, err := scanString(b, i)
		if err != nil {
			return j, err
		}
		k, err := p.stringValue(raw)
		if err != nil {
			return j, err
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return i, errSlow
		}
		if i, err = member(k, raw[1:len(raw)-1], skipSpace(b, i+1)); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, errSlow
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, errSlow
		}
	}
}

// walkArray calls elem with the index of each element of the array at b[i]
// (a '['); elem returns the index after the element. walkArray returns the
// index after the array.
func walkArray(b []byte, i int, elem func(v int) (int, error)) (int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = elem(i); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, errSlow
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, errSlow
		}
	}
}

// popMembers and popElems pop the member and element stacks back to base.
func (p *valueParser) popMembers(base int) {
	clear(p.members[base:])
	p.members = p.members[:base]
}

func (p *valueParser) popElems(base int) {
	clear(p.elems[base:])
	p.elems = p.elems[:base]
}

// buildMap makes the map of the members pushed since base.
func (p *valueParser) buildMap(base int) map[string]any {
	m := make(map[string]any, len(p.members)-base)
	for _, kv := range p.members[base:] {
		m[kv.key] = kv.value // a repeated key: the last one counts
	}
	return m
}

// buildSlice makes the slice of the elements pushed since base ([] is an
// empty slice, not nil, as encoding/json makes it).
func (p *valueParser) buildSlice(base int) []any {
	return append(make([]any, 0, len(p.elems)-base), p.elems[base:]...)
}

func (p *valueParser) object(b []byte, i, depth int) (any, int, error) {
	if depth > maxValueDepth {
		return nil, i, errSlow
	}
	base := len(p.members)
	defer p.popMembers(base)
	end, err := p.walkObject(b, i, func(k string, _ []byte, j int) (int, error) {
		v, end, err := p.value(b, j, depth)
		p.members = append(p.members, keyValue{k, v})
		return end, err
	})
	if err != nil {
		return nil, end, err
	}
	return p.buildMap(base), end, nil
}

func (p *valueParser) array(b []byte, i, depth int) (any, int, error) {
	if depth > maxValueDepth {
		return nil, i, errSlow
	}
	base := len(p.elems)
	defer p.popElems(base)
	end, err := walkArray(b, i, func(j int) (int, error) {
		v, end, err := p.value(b, j, depth)
		p.elems = append(p.elems, v)
		return end, err
	})
	if err != nil {
		return nil, end, err
	}
	return p.buildSlice(base), end, nil
}

// scanString returns the quoted string starting at b[i] (quotes included)
// and the index after it. Control characters make it errSlow.
func scanString(b []byte, i int) ([]byte, int, error) {
	j := i + 1
	for j < len(b) {
		switch c := b[j]; {
		case c == '"':
			return b[i : j+1], j + 1, nil
		case c == '\\':
			j += 2
		case c < 0x20:
			return nil, j, errSlow
		default:
			j++
		}
	}
	return nil, j, errSlow
}

// stringValue decodes a quoted string: directly when it is valid UTF-8 with
// no escapes other than \" \\ \/ \b \f \n \r \t (addresses of for_each
// instances all have \"), through encoding/json otherwise (which handles
// \u escapes, replaces invalid bytes with U+FFFD and rejects control
// characters).
func (p *valueParser) stringValue(raw []byte) (string, error) {
	body := raw[1 : len(raw)-1]
	ascii := true
	for i, c := range body {
		if c == '\\' {
			if s, ok := unescape(body[i:], body[:i]); ok {
				return s, nil
			}
			return slowString(raw)
		}
		if c < 0x20 {
			return slowString(raw)
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(body) {
		return slowString(raw)
	}
	return p.str(body), nil
}

func slowString(raw []byte) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errSlow
	}
	return s, nil
}

// unescape decodes rest, which starts with a backslash and follows done (no
// escapes in it), when every escape is a simple one and the result is valid
// UTF-8; ok is false otherwise.
func unescape(rest, done []byte) (string, bool) {
	b := make([]byte, len(done), len(done)+len(rest))
	copy(b, done)
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c != '\\' {
			if c < 0x20 {
				return "", false
			}
			b = append(b, c)
			continue
		}
		i++
		if i == len(rest) {
			return "", false
		}
		switch e := rest[i]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		default: // \u and invalid escapes
			return "", false
		}
	}
	if !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// number decodes a JSON number as float64, exactly as strconv.ParseFloat
// (which encoding/json uses) does.
func number(b []byte, i int) (any, int, error) {
	f, j, err := float(b, i)
	if err != nil {
		return nil, j, err
	}
	return f, j, nil
}

func float(b []byte, i int) (float64, int, error) {
	start := i
	neg := false
	if b[i] == '-' {
		neg = true
		i++
	}
	digits := i
	if i < len(b) && b[i] == '0' {
		i++
	} else {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i == digits {
		return 0, i, errSlow
	}
	intEnd := i
	simple := true
	if i < len(b) && b[i] == '.' {
		simple = false
		i++
		f := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == f {
			return 0, i, errSlow
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		simple = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == e {
			return 0, i, errSlow
		}
	}
	// Integers of up to 15 digits are exact in a float64: no need to parse.
	if simple && intEnd-digits <= 15 {
		var n int64
		for _, c := range b[digits:intEnd] {
			n = n*10 + int64(c-'0')
		}
		f := float64(n)
		if neg {
			f = math.Copysign(f, -1)
		}
		return f, i, nil
	}
	f, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		return 0, i, errSlow
	}
	return f, i, nil
}
