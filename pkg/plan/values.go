package plan

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	tfjson "github.com/hashicorp/terraform-json"

	secretrule "github.com/lockstep-ci/lockstep/pkg/redact"
)

// anyMarked reports whether a before_sensitive/after_sensitive/after_unknown
// mirror marks anything: true itself, or true anywhere inside.
func anyMarked(m any) bool {
	switch t := m.(type) {
	case bool:
		return t
	case map[string]any:
		for _, v := range t {
			if anyMarked(v) {
				return true
			}
		}
	case []any:
		for _, v := range t {
			if anyMarked(v) {
				return true
			}
		}
	}
	return false
}

// changedAttributes lists the top-level keys whose value differs between
// before and after, or whose new value is not known yet.
func changedAttributes(before, after, afterUnknown any) []string {
	b, _ := before.(map[string]any)
	a, _ := after.(map[string]any)
	u, _ := afterUnknown.(map[string]any)
	seen := make(map[string]bool, len(a)+len(b))
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for k, bv := range b {
		av, ok := a[k]
		if !ok || !jsonEqual(bv, av) {
			add(k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			add(k)
		}
	}
	for k, uv := range u {
		if anyMarked(uv) {
			add(k)
		}
	}
	slices.Sort(out)
	return out
}

// renderPaths renders replace_paths entries. The first step is the attribute
// name; later string steps become ["key"] unless they follow a list index and
// look like an attribute name (ingress[0].cidr_blocks); numbers become [n].
func renderPaths(paths []any) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		steps, ok := p.([]any)
		if !ok || len(steps) == 0 {
			continue
		}
		var b strings.Builder
		afterIndex := false
		for i, st := range steps {
			switch v := st.(type) {
			case string:
				switch {
				case i == 0 && isIdentifier(v):
					b.WriteString(v)
				case afterIndex && isIdentifier(v):
					b.WriteByte('.')
					b.WriteString(v)
				default:
					b.WriteByte('[')
					b.WriteString(strconv.Quote(v))
					b.WriteByte(']')
				}
				afterIndex = false
			case float64:
				b.WriteString("[" + strconv.FormatFloat(v, 'f', -1, 64) + "]")
				afterIndex = true
			case json.Number:
				b.WriteString("[" + v.String() + "]")
				afterIndex = true
			default:
				b.WriteString("[?]")
				afterIndex = false
			}
		}
		r := b.String()
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// isIdentifier reports whether s is a valid HCL attribute name.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && (r == '-' || (r >= '0' && r <= '9')):
		default:
			return false
		}
	}
	return true
}

// secretSet collects sensitive values.
type secretSet struct{ m map[string]struct{} }

func newSecretSet() *secretSet { return &secretSet{m: map[string]struct{}{}} }

// addMarked walks value against its sensitivity mirror and collects every
// marked part. A mirror whose shape does not match the value marks the whole
// value if it marks anything: when in doubt, hide more.
func (s *secretSet) addMarked(value, mark any) {
	switch m := mark.(type) {
	case bool:
		if m {
			s.addWhole(value)
		}
	case map[string]any:
		v, ok := value.(map[string]any)
		if !ok {
			if anyMarked(m) {
				s.addWhole(value)
			}
			return
		}
		for k, mk := range m {
			if x, ok := v[k]; ok {
				s.addMarked(x, mk)
			}
		}
	case []any:
		v, ok := value.([]any)
		if !ok {
			if anyMarked(m) {
				s.addWhole(value)
			}
			return
		}
		for i, mk := range m {
			if i < len(v) {
				s.addMarked(v[i], mk)
			}
		}
	}
}

// addWhole collects a value that is sensitive as a whole.
func (s *secretSet) addWhole(v any) {
	switch t := v.(type) {
	case nil, bool:
	case string:
		s.addString(t)
	case map[string]any, []any:
		if j, err := compactJSON(t); err == nil {
			s.addString(j)
		}
		s.addLeaves(t)
	default:
		if j, err := compactJSON(t); err == nil {
			s.addString(j)
		}
	}
}

// addLeaves collects the strings and numbers inside a sensitive structure.
func (s *secretSet) addLeaves(v any) {
	switch t := v.(type) {
	case map[string]any:
		for _, x := range t {
			s.addLeaves(x)
		}
	case []any:
		for _, x := range t {
			s.addLeaves(x)
		}
	default:
		s.addWhole(t)
	}
}

func (s *secretSet) addString(v string) {
	if !worthMasking(v) {
		return
	}
	s.m[v] = struct{}{}
	if strings.ContainsAny(v, "\r\n") {
		for line := range strings.Lines(v) {
			line = strings.TrimRight(line, "\r\n")
			if worthMasking(line) {
				s.m[line] = struct{}{}
			}
		}
	}
}

// worthMasking is the one rule of pkg/redact: a value too short or made
// only of punctuation would blank text everywhere and hide nothing.
func worthMasking(v string) bool { return secretrule.WorthMasking(v) }

// list returns the secrets longest first (so that redacting replaces a long
// secret before a shorter one inside it), then in byte order.
func (s *secretSet) list() []string {
	if len(s.m) == 0 {
		return nil
	}
	out := make([]string, 0, len(s.m))
	for k := range s.m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	return out
}

// addStateSecrets collects sensitive outputs of the prior state and planned
// values, and sensitive attributes of prior-state resources. The latter
// matters for data sources read during planning: they are not in
// resource_changes but their values are in the plan.
func addStateSecrets(s *secretSet, p *tfjson.Plan) {
	for _, vals := range []*tfjson.StateValues{p.PlannedValues, priorValues(p)} {
		if vals == nil {
			continue
		}
		for _, o := range vals.Outputs {
			if o != nil && o.Sensitive {
				s.addWhole(o.Value)
			}
		}
	}
	if pv := priorValues(p); pv != nil {
		addModuleSecrets(s, pv.RootModule, 0)
	}
}

func priorValues(p *tfjson.Plan) *tfjson.StateValues {
	if p.PriorState == nil {
		return nil
	}
	return p.PriorState.Values
}

// maxModuleDepth bounds the module walk; real configurations are far
// shallower, and a hostile plan must not exhaust the stack.
const maxModuleDepth = 1000

func addModuleSecrets(s *secretSet, m *tfjson.StateModule, depth int) {
	if m == nil || depth > maxModuleDepth {
		return
	}
	for _, r := range m.Resources {
		if r == nil || len(r.SensitiveValues) == 0 {
			continue
		}
		var mark any
		if err := json.Unmarshal(r.SensitiveValues, &mark); err != nil {
			// Unreadable marks: hide every attribute rather than none.
			mark = true
		}
		s.addMarked(any(r.AttributeValues), mark)
	}
	for _, c := range m.ChildModules {
		addModuleSecrets(s, c, depth+1)
	}
}

// addVariableSecrets collects the values of root variables declared
// sensitive.
func addVariableSecrets(s *secretSet, p *tfjson.Plan) {
	if p.Config == nil || p.Config.RootModule == nil {
		return
	}
	for name, v := range p.Config.RootModule.Variables {
		if v == nil || !v.Sensitive {
			continue
		}
		if pv, ok := p.Variables[name]; ok && pv != nil {
			s.addWhole(pv.Value)
		}
	}
}

// Markers standing for sensitive and unknown parts inside redacted values.
// They contain NUL so that no value from a plan is likely to equal them;
// renderValue turns them into the bare placeholders.
const (
	sensitiveMark = "\x00sensitive\x00"
	unknownMark   = "\x00unknown\x00"
)

// redact returns a copy of v in which every part marked by sens is replaced by
// sensitiveMark and every part marked by unknown by unknownMark. The result
// shares no maps or slices with v.
func redact(v, sens, unknown any) any {
	if b, ok := sens.(bool); ok && b {
		return sensitiveMark
	}
	if b, ok := unknown.(bool); ok && b {
		return unknownMark
	}
	switch t := v.(type) {
	case map[string]any:
		sm, sok := sens.(map[string]any)
		um, uok := unknown.(map[string]any)
		if (!sok && anyMarked(sens)) || (!uok && anyMarked(unknown)) {
			return mismatch(sens)
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = redact(x, sm[k], um[k])
		}
		for k, x := range um {
			if _, ok := t[k]; !ok && anyMarked(x) {
				out[k] = redact(nil, sm[k], x)
			}
		}
		return out
	case []any:
		sl, sok := sens.([]any)
		ul, uok := unknown.([]any)
		if (!sok && anyMarked(sens)) || (!uok && anyMarked(unknown)) {
			return mismatch(sens)
		}
		n := max(len(t), len(ul))
		out := make([]any, n)
		for i := range n {
			var x, sx, ux any
			if i < len(t) {
				x = t[i]
			}
			if i < len(sl) {
				sx = sl[i]
			}
			if i < len(ul) {
				ux = ul[i]
			}
			out[i] = redact(x, sx, ux)
		}
		return out
	default:
		if anyMarked(sens) {
			return sensitiveMark
		}
		if anyMarked(unknown) {
			return unknownMark
		}
		return t
	}
}

// mismatch is the whole-value placeholder for a value whose marks do not
// match its shape: sensitive wins over unknown.
func mismatch(sens any) any {
	if anyMarked(sens) {
		return sensitiveMark
	}
	return unknownMark
}

// compactJSON encodes v without HTML escaping, keys sorted; see appendJSON.
func compactJSON(v any) (string, error) {
	b, err := appendJSON(nil, v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// placeholders turns the encoded markers into bare placeholders, so that a
// partly unknown list reads [(known after apply),"b"].
var placeholders = strings.NewReplacer(
	`"\u0000sensitive\u0000"`, ValueSensitive,
	`"\u0000unknown\u0000"`, ValueUnknown,
)

// renderValue renders a (possibly partly sensitive or unknown) value for an
// OutputChange.
func renderValue(v, sens, unknown any) string {
	switch r := redact(v, sens, unknown); r {
	case sensitiveMark:
		return ValueSensitive
	case unknownMark:
		return ValueUnknown
	default:
		j, err := compactJSON(r)
		if err != nil {
			return ValueUnknown
		}
		return TruncateRunes(placeholders.Replace(j), MaxValueRunes)
	}
}

// TruncateRunes cuts s to at most n runes, the last being "…" when cut.
// pkg/comment cuts untrusted names with it too.
func TruncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s // no more runes than bytes
	}
	count := 0
	for i := range s {
		if count == n-1 {
			if utf8.RuneCountInString(s[i:]) > 1 {
				return s[:i] + "…"
			}
			return s
		}
		count++
	}
	return s
}

// newOutputChange builds the OutputChange for one output; ok is false for a
// no-op.
func newOutputChange(name string, oc *tfjson.Change) (OutputChange, bool, error) {
	o := OutputChange{
		Name:      name,
		Sensitive: anyMarked(oc.BeforeSensitive) || anyMarked(oc.AfterSensitive),
	}
	switch a := oc.Actions; {
	case a.NoOp():
		return o, false, nil
	case a.Create():
		o.Action = ActionCreate
	case a.Update():
		o.Action = ActionUpdate
	case a.Delete():
		o.Action = ActionDelete
	case a.Replace():
		// Terraform does not plan this for outputs; show it as an update.
		o.Action = ActionUpdate
	default:
		return o, false, fmt.Errorf("classifying output %q: unsupported actions %q", name, []tfjson.Action(a))
	}
	o.Before, o.After = ValueAbsent, ValueAbsent
	if o.Action != ActionCreate {
		o.Before = renderValue(oc.Before, oc.BeforeSensitive, nil)
	}
	if o.Action != ActionDelete {
		o.After = renderValue(oc.After, oc.AfterSensitive, oc.AfterUnknown)
	}
	return o, true, nil
}
