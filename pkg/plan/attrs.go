package plan

import (
	"encoding/json"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// AttributeKind is how an AttributeChange describes its attribute.
type AttributeKind string

// The kinds of AttributeChange.
const (
	// KindValue is a scalar (string, number, bool or null) on both sides, or
	// a value that becomes unknown: Before and After are set.
	KindValue AttributeKind = "value"
	// KindSensitive is an attribute marked sensitive, at any depth, before or
	// after: nothing of its value is kept.
	KindSensitive AttributeKind = "sensitive"
	// KindMap is an object or map on both sides (or null on one): Added,
	// Removed and Changed name its keys.
	KindMap AttributeKind = "map"
	// KindList is a list, set or tuple on both sides (or null on one):
	// Elements counts the positions whose element differs, Length is the
	// new length.
	KindList AttributeKind = "list"
	// KindOther is any other change (a list becoming a map): only the name
	// is kept.
	KindOther AttributeKind = "other"
)

// MaxAttributeValueRunes is the length, in runes, past which an
// AttributeChange's Before or After is cut and ends with "…".
const MaxAttributeValueRunes = 80

// maxKeys caps the keys an AttributeChange names, in all; KeysLeft counts
// the rest.
const maxKeys = 20

// AttributeChange is how one top-level attribute of an update or replace
// changes. It holds values only where nothing marks them sensitive, cut to
// MaxAttributeValueRunes; the renderer still hides a value that holds a
// secret from anywhere else (Summary.Secrets, the secret-env values).
type AttributeChange struct {
	// Name is the attribute's name (untrusted text).
	Name string
	Kind AttributeKind
	// Before and After (KindValue) are compact JSON (strings keep their
	// quotes, null is null), or ValueUnknown for an after value not known
	// until apply; Before is empty when a map or list becomes unknown.
	Before, After string `json:",omitempty"`
	// Added, Removed and Changed (KindMap) are the keys added, removed, and
	// whose value changes or becomes unknown, each sorted; at most maxKeys
	// in all, KeysLeft counts those left out.
	Added, Removed, Changed []string `json:",omitempty"`
	KeysLeft                int      `json:",omitempty"`
	// Values (KindMap) holds before and after of the Changed keys whose
	// values are scalars on both sides (or become unknown), in Changed
	// order, cut to MaxKeyValueRunes.
	Values []KeyChange `json:",omitempty"`
	// Elements (KindList) counts the positions whose element differs,
	// appears, disappears or becomes unknown; Length is the new length
	// (-1 when the whole list becomes unknown).
	Elements, Length int `json:",omitempty"`
}

// KeyChange is how the value of one key of a map attribute changes.
type KeyChange struct {
	Key, Before, After string
}

// MaxKeyValueRunes is the length, in runes, past which a KeyChange's
// Before or After is cut and ends with "…".
const MaxKeyValueRunes = 40

// attributeChanges describes each changed attribute of an update or
// replace, in the order of names (ChangedAttributes).
func attributeChanges(names []string, c *tfjson.Change) []AttributeChange {
	if len(names) == 0 {
		return nil
	}
	b, _ := c.Before.(map[string]any)
	a, _ := c.After.(map[string]any)
	u, _ := c.AfterUnknown.(map[string]any)
	bs, bsok := c.BeforeSensitive.(map[string]any)
	as, asok := c.AfterSensitive.(map[string]any)
	// A mark that is not a map of attributes marks the whole object when it
	// marks anything: when in doubt, hide.
	allSensitive := (!bsok && anyMarked(c.BeforeSensitive)) || (!asok && anyMarked(c.AfterSensitive))
	out := make([]AttributeChange, 0, len(names))
	for _, n := range names {
		ac := AttributeChange{Name: n}
		switch {
		case allSensitive || anyMarked(bs[n]) || anyMarked(as[n]):
			ac.Kind = KindSensitive
		default:
			describe(&ac, b[n], a[n], u[n])
		}
		out = append(out, ac)
	}
	return out
}

// describe fills in how before becomes after (unknown marks what is not
// known yet).
func describe(ac *AttributeChange, before, after, unknown any) {
	if x, ok := unknown.(bool); ok && x {
		ac.Kind, ac.After = KindValue, ValueUnknown
		switch before.(type) {
		case map[string]any, []any: // too big to show: only what it becomes
		default:
			ac.Before = attrValue(before)
		}
		return
	}
	bm, bIsMap := before.(map[string]any)
	am, aIsMap := after.(map[string]any)
	bl, bIsList := before.([]any)
	al, aIsList := after.([]any)
	switch {
	case (bIsMap || before == nil) && (aIsMap || after == nil) && (bIsMap || aIsMap):
		um, _ := unknown.(map[string]any)
		ac.Kind = KindMap
		mapKeys(ac, bm, am, um)
	case (bIsList || before == nil) && (aIsList || after == nil) && (bIsList || aIsList):
		ul, _ := unknown.([]any)
		ac.Kind, ac.Length = KindList, len(al)
		for i := range max(len(bl), len(al), len(ul)) {
			switch {
			case i >= len(bl) || i >= len(al):
				ac.Elements++
			case i < len(ul) && anyMarked(ul[i]):
				ac.Elements++
			case !jsonEqual(bl[i], al[i]):
				ac.Elements++
			}
		}
	case bIsMap || aIsMap || bIsList || aIsList:
		ac.Kind = KindOther
	default:
		ac.Kind, ac.Before, ac.After = KindValue, attrValue(before), attrValue(after)
	}
}

// mapKeys names the keys that appear, disappear or change.
func mapKeys(ac *AttributeChange, before, after, unknown map[string]any) {
	for k, bv := range before {
		av, ok := after[k]
		switch {
		case !ok && !anyMarked(unknown[k]):
			ac.Removed = append(ac.Removed, k)
		case anyMarked(unknown[k]) || !jsonEqual(bv, av):
			ac.Changed = append(ac.Changed, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			ac.Added = append(ac.Added, k)
		}
	}
	for k, x := range unknown {
		_, inBefore := before[k]
		_, inAfter := after[k]
		if !inBefore && !inAfter && anyMarked(x) {
			ac.Added = append(ac.Added, k)
		}
	}
	slices.Sort(ac.Added)
	slices.Sort(ac.Removed)
	slices.Sort(ac.Changed)
	// Keep maxKeys in all, changed keys first, then added, then removed.
	room := maxKeys
	cut := func(keys []string) []string {
		n := min(len(keys), room)
		room -= n
		ac.KeysLeft += len(keys) - n
		if n == 0 {
			return nil
		}
		return keys[:n:n]
	}
	ac.Changed = cut(ac.Changed)
	ac.Added = cut(ac.Added)
	ac.Removed = cut(ac.Removed)
	for _, k := range ac.Changed {
		bv, av := before[k], after[k]
		if !isScalar(bv) {
			continue
		}
		switch {
		case anyMarked(unknown[k]):
			ac.Values = append(ac.Values, KeyChange{Key: k, Before: mapValue(bv), After: ValueUnknown})
		case isScalar(av):
			ac.Values = append(ac.Values, KeyChange{Key: k, Before: mapValue(bv), After: mapValue(av)})
		}
	}
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// mapValue renders a scalar map value as compact JSON, cut.
func mapValue(v any) string {
	j, err := compactJSON(v)
	if err != nil {
		return ValueUnknown
	}
	return TruncateRunes(j, MaxKeyValueRunes)
}

// attrValue renders a scalar as compact JSON, cut.
func attrValue(v any) string {
	j, err := compactJSON(v)
	if err != nil {
		return ValueUnknown
	}
	return TruncateRunes(j, MaxAttributeValueRunes)
}

// relevance is the plan's relevant_attributes: per resource address, the
// top-level attributes that contributed to the planned changes, or all of
// them when a path is empty.
type relevance map[string]relevantAttrs

type relevantAttrs struct {
	all   bool
	names map[string]bool
}

// relevantAttributes reads the plan's relevant_attributes; nil for a plan
// whose format predates them (format_version 1.0, before Terraform 1.2),
// where all drift is shown as those versions showed it.
func relevantAttributes(p *tfjson.Plan) relevance {
	if p.FormatVersion == "" || strings.HasPrefix(p.FormatVersion, "0.") || p.FormatVersion == "1.0" {
		return nil
	}
	r := relevance{}
	for _, ra := range p.RelevantAttributes {
		e := r[ra.Resource]
		if e.names == nil {
			e.names = map[string]bool{}
		}
		var first string
		if len(ra.Attribute) == 0 || json.Unmarshal(ra.Attribute[0], &first) != nil {
			e.all = true // a path we cannot read: keep everything
		} else {
			e.names[first] = true
		}
		r[ra.Resource] = e
	}
	return r
}

// keep reports whether Terraform shows the drift c, and narrows an update's
// ChangedAttributes to the relevant ones.
func (r relevance) keep(c *Change) bool {
	e, ok := r[c.Address]
	if !ok {
		return false
	}
	if e.all || c.Action != ActionUpdate {
		return true
	}
	var kept []string
	for _, n := range c.ChangedAttributes {
		if e.names[n] {
			kept = append(kept, n)
		}
	}
	c.ChangedAttributes = kept
	return len(kept) > 0
}
