package plan

import (
	"bytes"
	"math"
	"slices"
)

// parseLike decodes the single JSON value in b as parse does, except that
// every part of it identical to the same part of ref (identical as share
// means it: what encoding/json would write is the same) is ref's part itself,
// found without building it first. An update's after is parsed against its
// before: what the update leaves alone costs neither memory nor garbage,
// where parsing it whole and sharing afterwards built it only to drop it.
func (p *valueParser) parseLike(b []byte, ref any) (any, error) {
	v, _, i, err := p.valueLike(b, skipSpace(b, 0), 0, ref)
	if err != nil {
		return nil, err
	}
	if skipSpace(b, i) != len(b) {
		return nil, errSlow
	}
	return v, nil
}

// valueLike is value with a reference: same reports that the value at b[i]
// is identical to ref, and then v is ref.
func (p *valueParser) valueLike(b []byte, i, depth int, ref any) (v any, same bool, end int, err error) {
	if i >= len(b) {
		return nil, false, i, errSlow
	}
	switch c := b[i]; {
	case c == '{':
		if m, ok := ref.(map[string]any); ok && m != nil {
			return p.objectLike(b, i, depth+1, m)
		}
	case c == '[':
		if l, ok := ref.([]any); ok && l != nil {
			return p.arrayLike(b, i, depth+1, l)
		}
	case c == '"':
		if r, ok := ref.(string); ok {
			raw, j, err := scanString(b, i)
			if err != nil {
				return nil, false, j, err
			}
			// A decoded string is valid UTF-8, so bytes equal to it are
			// too, and without escapes they decode to themselves.
			if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 && string(body) == r {
				return ref, true, j, nil
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		if r, ok := ref.(float64); ok {
			f, j, err := float(b, i)
			if err != nil {
				return nil, false, j, err
			}
			if math.Float64bits(f) == math.Float64bits(r) {
				return ref, true, j, nil
			}
			return f, false, j, nil
		}
	}
	v, end, err = p.value(b, i, depth)
	if err != nil {
		return nil, false, end, err
	}
	if sameScalar(v, ref) {
		return ref, true, end, nil
	}
	return v, false, end, nil
}

// sameScalar reports whether v, a decoded string, bool or null, is
// identical to ref.
func sameScalar(v, ref any) bool {
	switch x := v.(type) {
	case nil:
		return ref == nil
	case bool:
		r, ok := ref.(bool)
		return ok && r == x
	case string:
		r, ok := ref.(string)
		return ok && r == x
	}
	return false
}

// objectLike parses an object against ref. When every member is identical
// to ref's member of the same key and the object has ref's number of keys,
// it is ref, and no map is made. Keys must then come in increasing order
// without escapes (Terraform writes them sorted), so that none can repeat;
// otherwise the object is only built, sharing its identical members.
func (p *valueParser) objectLike(b []byte, i, depth int, ref map[string]any) (any, bool, int, error) {
	if depth > maxValueDepth {
		return nil, false, i, errSlow
	}
	base := len(p.members)
	defer func() {
		clear(p.members[base:])
		p.members = p.members[:base]
	}()
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		if len(ref) == 0 {
			return ref, true, i + 1, nil
		}
		return map[string]any{}, false, i + 1, nil
	}
	allSame := true
	var prev []byte
	for first := true; ; first = false {
		if i >= len(b) || b[i] != '"' {
			return nil, false, i, errSlow
		}
		raw, j, err := scanString(b, i)
		if err != nil {
			return nil, false, j, err
		}
		k, err := p.stringValue(raw)
		if err != nil {
			return nil, false, j, err
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return nil, false, i, errSlow
		}
		i = skipSpace(b, i+1)
		var v any
		same := false
		if r, ok := ref[k]; ok {
			v, same, j, err = p.valueLike(b, i, depth, r)
		} else {
			v, j, err = p.value(b, i, depth)
		}
		if err != nil {
			return nil, false, j, err
		}
		key := raw[1 : len(raw)-1]
		if !same || bytes.IndexByte(key, '\\') >= 0 || (!first && bytes.Compare(prev, key) >= 0) {
			allSame = false
		}
		prev = key
		p.members = append(p.members, keyValue{k, v})
		i = skipSpace(b, j)
		if i >= len(b) {
			return nil, false, i, errSlow
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			if allSame && len(p.members)-base == len(ref) {
				return ref, true, i + 1, nil
			}
			m := make(map[string]any, len(p.members)-base)
			for _, kv := range p.members[base:] {
				m[kv.key] = kv.value // a repeated key: the last one counts
			}
			return m, false, i + 1, nil
		default:
			return nil, false, i, errSlow
		}
	}
}

// arrayLike parses an array against ref, element by element.
func (p *valueParser) arrayLike(b []byte, i, depth int, ref []any) (any, bool, int, error) {
	if depth > maxValueDepth {
		return nil, false, i, errSlow
	}
	base := len(p.elems)
	defer func() {
		clear(p.elems[base:])
		p.elems = p.elems[:base]
	}()
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		if len(ref) == 0 {
			return ref, true, i + 1, nil
		}
		return []any{}, false, i + 1, nil
	}
	allSame := true
	for n := 0; ; n++ {
		var v any
		var j int
		var err error
		same := false
		if n < len(ref) {
			v, same, j, err = p.valueLike(b, i, depth, ref[n])
		} else {
			v, j, err = p.value(b, i, depth)
		}
		if err != nil {
			return nil, false, j, err
		}
		allSame = allSame && same
		p.elems = append(p.elems, v)
		i = skipSpace(b, j)
		if i >= len(b) {
			return nil, false, i, errSlow
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			if allSame && len(p.elems)-base == len(ref) {
				return ref, true, i + 1, nil
			}
			return slices.Clone(p.elems[base:]), false, i + 1, nil
		default:
			return nil, false, i, errSlow
		}
	}
}
