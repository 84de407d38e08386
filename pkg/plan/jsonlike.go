package plan

import (
	"bytes"
	"math"
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
	defer p.popMembers(base)
	allSame := true
	var prev []byte
	end, err := p.walkObject(b, i, func(k string, key []byte, j int) (int, error) {
		var v any
		same := false
		var end int
		var err error
		if r, ok := ref[k]; ok {
			v, same, end, err = p.valueLike(b, j, depth, r)
		} else {
			v, end, err = p.value(b, j, depth)
		}
		first := len(p.members) == base
		if !same || bytes.IndexByte(key, '\\') >= 0 || (!first && bytes.Compare(prev, key) >= 0) {
			allSame = false
		}
		prev = key
		p.members = append(p.members, keyValue{k, v})
		return end, err
	})
	if err != nil {
		return nil, false, end, err
	}
	if allSame && len(p.members)-base == len(ref) {
		return ref, true, end, nil
	}
	return p.buildMap(base), false, end, nil
}

// arrayLike parses an array against ref, element by element.
func (p *valueParser) arrayLike(b []byte, i, depth int, ref []any) (any, bool, int, error) {
	if depth > maxValueDepth {
		return nil, false, i, errSlow
	}
	base := len(p.elems)
	defer p.popElems(base)
	allSame := true
	end, err := walkArray(b, i, func(j int) (int, error) {
		var v any
		same := false
		var end int
		var err error
		if n := len(p.elems) - base; n < len(ref) {
			v, same, end, err = p.valueLike(b, j, depth, ref[n])
		} else {
			v, end, err = p.value(b, j, depth)
		}
		allSame = allSame && same
		p.elems = append(p.elems, v)
		return end, err
	})
	if err != nil {
		return nil, false, end, err
	}
	if allSame && len(p.elems)-base == len(ref) {
		return ref, true, end, nil
	}
	return p.buildSlice(base), false, end, nil
}
