package plan

// parseMarks decodes a sensitivity mark (before_sensitive, after_sensitive)
// straight into its pruned form, prune(m, m) of the parsed mark m: only the
// paths it marks. Most marks mark nothing, as an empty mirror of every
// nested attribute; parsing them whole only to prune them made most of the
// decoder's garbage.
func (p *valueParser) parseMarks(b []byte) (any, error) {
	v, _, i, err := p.mark(b, skipSpace(b, 0), 0)
	if err != nil {
		return nil, err
	}
	if skipSpace(b, i) != len(b) {
		return nil, errSlow
	}
	return v, nil
}

// mark parses the value at b[i] as a mark: v is its pruned form and marked
// whether it marks anything (anyMarked).
func (p *valueParser) mark(b []byte, i, depth int) (v any, marked bool, end int, err error) {
	if i >= len(b) {
		return nil, false, i, errSlow
	}
	switch b[i] {
	case '{':
		return p.markObject(b, i, depth+1)
	case '[':
		return p.markArray(b, i, depth+1)
	case 't':
		if len(b)-i >= 4 && string(b[i:i+4]) == "true" {
			return true, true, i + 4, nil
		}
		return nil, false, i, errSlow
	}
	// false, null, a string or a number: valid, and marking nothing.
	_, end, err = p.value(b, i, depth)
	return nil, false, end, err
}

func (p *valueParser) markObject(b []byte, i, depth int) (any, bool, int, error) {
	if depth > maxValueDepth {
		return nil, false, i, errSlow
	}
	base := len(p.members)
	defer p.popMembers(base)
	anyMember := false
	end, err := p.walkObject(b, i, func(k string, _ []byte, j int) (int, error) {
		v, marked, end, err := p.mark(b, j, depth)
		anyMember = anyMember || marked
		// An unmarked member is kept as nil: a repeated key that marks
		// nothing the second time unmarks it, as in a map.
		p.members = append(p.members, keyValue{k, v})
		return end, err
	})
	if err != nil || !anyMember {
		return nil, false, end, err
	}
	m := map[string]any{}
	for _, kv := range p.members[base:] {
		if kv.value != nil {
			m[kv.key] = kv.value
		} else {
			delete(m, kv.key)
		}
	}
	if len(m) == 0 {
		return nil, false, end, nil
	}
	return m, true, end, nil
}

func (p *valueParser) markArray(b []byte, i, depth int) (any, bool, int, error) {
	if depth > maxValueDepth {
		return nil, false, i, errSlow
	}
	base := len(p.elems)
	defer p.popElems(base)
	anyElem := false
	end, err := walkArray(b, i, func(j int) (int, error) {
		v, marked, end, err := p.mark(b, j, depth)
		anyElem = anyElem || marked
		p.elems = append(p.elems, v)
		return end, err
	})
	if err != nil || !anyElem {
		return nil, false, end, err
	}
	return p.buildSlice(base), true, end, nil
}
