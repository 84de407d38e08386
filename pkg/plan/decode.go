package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Decode reads the JSON that terraform show -json prints for a saved plan, as
// it streams in, and returns the parts of it that Summarize and Fingerprint
// read. Summarize and Fingerprint give the same results for it as for the
// plan fully decoded with encoding/json into a tfjson.Plan, at a fraction of
// the time and memory: a plan's prior_state and planned_values repeat every
// resource's values, and its configuration every expression, and none of
// that is built.
//
// The returned plan has:
//   - FormatVersion and TerraformVersion (FormatVersion checked as
//     tfjson.Plan.Validate does);
//   - ResourceChanges and ResourceDrift, except that a pure no-op (no
//     import, no move) keeps only the sensitive parts of its Before and
//     After, which is all Summarize reads of it (Fingerprint skips it);
//     BeforeSensitive and AfterSensitive keep only the paths they mark;
//     GeneratedConfig and the identities are left out; and the parts of an
//     After identical to the Before are the Before's (shared, not copied:
//     treat the values as read-only);
//   - OutputChanges in full (marks trimmed the same way);
//   - PlannedValues and PriorState with only their sensitive outputs, and
//     PriorState's resources only where sensitive_values marks something
//     (for example data sources read during planning, which are in no
//     resource change), with only the values it marks, keeping their
//     module tree;
//   - Config with only the root module's sensitive variables, and
//     Variables with only their values;
//   - RelevantAttributes, DeferredChanges (their changes trimmed like
//     ResourceChanges) and ActionInvocations in full.
//
// Numbers are float64, as terraform-exec's ShowPlanFile decodes them. A
// value that is not built is checked for structure (strings end, brackets
// match), not validated; everything built is validated as encoding/json
// would. A member Decode reads that appears twice is an error (encoding/json
// would merge the two). Anything but white space after the plan's closing
// brace is an error: a document that closes early would otherwise be read
// as a shorter plan than the one applied (terraform-json's own
// testdata/invalid/plan.json is such a file; json.Decoder, which
// terraform-exec uses, would ignore the rest).
func Decode(r io.Reader) (*tfjson.Plan, error) {
	d := &decoder{s: newStream(r), vp: newValueParser()}
	p, err := d.plan()
	if err != nil {
		return nil, err
	}
	if d.s.peek() != 0 || (d.s.err != nil && d.s.err != io.EOF) {
		return nil, d.s.syntaxError("nothing after the plan's closing brace")
	}
	return p, nil
}

type decoder struct {
	s  *stream
	vp *valueParser
}

func (d *decoder) plan() (*tfjson.Plan, error) {
	if d.s.peek() == 'n' {
		if err := d.s.null(); err != nil {
			return nil, err
		}
		return nil, (*tfjson.Plan)(nil).Validate()
	}
	p := &tfjson.Plan{}
	var vars map[string][]byte // raw values; only the sensitive ones are decoded
	err := d.members(func(name string) error {
		var err error
		switch name {
		case "format_version":
			err = d.str(&p.FormatVersion)
		case "terraform_version":
			err = d.str(&p.TerraformVersion)
		case "variables":
			vars, err = d.variables()
		case "planned_values":
			p.PlannedValues, err = d.stateValues(false)
		case "resource_drift":
			p.ResourceDrift, err = d.resourceChanges("resource_drift")
		case "resource_changes":
			p.ResourceChanges, err = d.resourceChanges("resource_changes")
		case "output_changes":
			p.OutputChanges, err = d.outputChanges()
		case "prior_state":
			p.PriorState, err = d.priorState()
		case "configuration":
			p.Config, err = d.config()
		case "relevant_attributes":
			err = d.decodeRaw(&p.RelevantAttributes)
		case "deferred_changes":
			err = d.decodeRaw(&p.DeferredChanges)
			for _, dc := range p.DeferredChanges {
				if dc != nil && dc.ResourceChange != nil && dc.ResourceChange.Change != nil {
					trimChange(dc.ResourceChange.Change)
				}
			}
		case "action_invocations":
			err = d.decodeRaw(&p.ActionInvocations)
		}
		return err
	}, "format_version", "terraform_version", "variables", "planned_values", "resource_drift",
		"resource_changes", "output_changes", "prior_state", "configuration",
		"relevant_attributes", "deferred_changes", "action_invocations")
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if vars != nil {
		p.Variables = map[string]*tfjson.PlanVariable{}
	}
	if p.Config != nil && p.Config.RootModule != nil {
		for name := range p.Config.RootModule.Variables {
			raw, ok := vars[name]
			if !ok {
				continue
			}
			var v *tfjson.PlanVariable
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("decoding variable %q: %w", name, err)
			}
			p.Variables[name] = v
		}
	}
	return p, nil
}

// decodeRaw decodes the next value with encoding/json: the plan's small
// members (relevant_attributes, deferred_changes, action_invocations), read
// whole.
func (d *decoder) decodeRaw(dst any) error {
	raw, err := d.s.capture()
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, dst)
}

// str decodes a string (null leaves dst alone, as encoding/json does).
func (d *decoder) str(dst *string) error {
	raw, err := d.s.capture()
	if err != nil {
		return err
	}
	return d.setString(raw, dst)
}

func (d *decoder) setString(raw []byte, dst *string) error {
	if string(raw) == "null" {
		return nil
	}
	if len(raw) > 0 && raw[0] == '"' {
		if s, err := d.vp.stringValue(raw); err == nil {
			*dst = s
			return nil
		}
	}
	return json.Unmarshal(raw, dst)
}

// variables keeps a copy of every variable's raw value: whether a variable
// is sensitive is only known from the configuration, which comes later.
func (d *decoder) variables() (map[string][]byte, error) {
	if d.s.peek() == 'n' {
		return nil, d.s.null()
	}
	vars := map[string][]byte{}
	err := d.s.object(func(name string) error {
		raw, err := d.s.capture()
		if err != nil {
			return err
		}
		vars[name] = bytes.Clone(raw)
		return nil
	})
	return vars, err
}

// stateValues decodes planned_values (prior is false) or prior_state's
// values: only sensitive outputs, and for the prior state the resources
// whose values are marked sensitive.
func (d *decoder) stateValues(prior bool) (*tfjson.StateValues, error) {
	if d.s.peek() == 'n' {
		return nil, d.s.null()
	}
	v := &tfjson.StateValues{}
	names := []string{"outputs"}
	if prior {
		names = append(names, "root_module")
	}
	err := d.members(func(name string) error {
		var err error
		if name == "outputs" {
			v.Outputs, err = d.sensitiveOutputs()
		} else {
			v.RootModule, err = d.stateModule(0)
		}
		return err
	}, names...)
	return v, err
}

func (d *decoder) sensitiveOutputs() (map[string]*tfjson.StateOutput, error) {
	if d.s.peek() == 'n' {
		return nil, d.s.null()
	}
	outs := map[string]*tfjson.StateOutput{}
	err := d.s.object(func(name string) error {
		raw, err := d.s.capture()
		if err != nil {
			return err
		}
		sens, err := member(raw, "sensitive")
		if err != nil || string(sens) != "true" {
			delete(outs, name) // a repeated name: the last one counts
			return err
		}
		var o tfjson.StateOutput
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("decoding output %q: %w", name, err)
		}
		outs[name] = &o
		return nil
	})
	return outs, err
}

// member returns the raw value of an object's member (nil when absent).
func member(obj []byte, name string) ([]byte, error) {
	if string(obj) == "null" {
		return nil, nil
	}
	s := newBytesStream(obj)
	var found []byte
	err := s.object(func(key string) error {
		raw, err := s.capture()
		if err == nil && foldKey(key, name) {
			found = raw
		}
		return err
	})
	return found, err
}

func (d *decoder) priorState() (*tfjson.State, error) {
	if d.s.peek() == 'n' {
		return nil, d.s.null()
	}
	st := &tfjson.State{}
	err := d.members(func(name string) error {
		var err error
		switch name {
		case "format_version":
			err = d.str(&st.FormatVersion)
		case "terraform_version":
			err = d.str(&st.TerraformVersion)
		case "values":
			st.Values, err = d.stateValues(true)
		}
		return err
	}, "format_version", "terraform_version", "values")
	if err != nil {
		return nil, err
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("decoding prior_state: %w", err)
	}
	return st, nil
}

// stateModule keeps the resources whose sensitive_values mark something, and
// the modules that hold such resources. Modules deeper than Summarize walks
// are skipped.
func (d *decoder) stateModule(depth int) (*tfjson.StateModule, error) {
	if depth > maxModuleDepth {
		return nil, d.s.skip()
	}
	if d.s.peek() == 'n' {
		return nil, d.s.null()
	}
	m := &tfjson.StateModule{}
	err := d.members(func(name string) error {
		switch name {
		case "address":
			return d.str(&m.Address)
		case "resources":
			return d.s.array(func(i int) error {
				raw, err := d.s.capture()
				if err != nil {
					return err
				}
				r, err := d.markedResource(raw)
				if err != nil {
					return fmt.Errorf("decoding prior_state resource %d of module %q: %w", i, m.Address, err)
				}
				if r != nil {
					m.Resources = append(m.Resources, r)
				}
				return nil
			})
		default: // child_modules
			return d.s.array(func(int) error {
				c, err := d.stateModule(depth + 1)
				if c != nil && (len(c.Resources) > 0 || len(c.ChildModules) > 0) {
					m.ChildModules = append(m.ChildModules, c)
				}
				return err
			})
		}
	}, "address", "resources", "child_modules")
	return m, err
}

// markedResource decodes a state resource when its sensitive_values mark
// something; nil otherwise.
func (d *decoder) markedResource(raw []byte) (*tfjson.StateResource, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	r := &tfjson.StateResource{}
	var values, sens []byte
	err := eachMember(raw, func(key string, v []byte) error {
		var err error
		switch key {
		case "address":
			return d.fastString(v, &r.Address)
		case "mode":
			var m string
			err := d.fastString(v, &m)
			r.Mode = tfjson.ResourceMode(m)
			return err
		case "type":
			return d.fastString(v, &r.Type)
		case "name":
			return d.fastString(v, &r.Name)
		case "deposed_key":
			return d.fastString(v, &r.DeposedKey)
		case "index":
			r.Index, err = d.vp.parse(v)
			return err
		case "values":
			values = v
		case "sensitive_values":
			sens = v
		default:
			if isField(stateResourceFields, key) && !slices.Contains(stateResourceFields, key) {
				return errSlow // a key in another case: encoding/json's rules apply
			}
		}
		return nil
	})
	if err != nil {
		return d.slowMarkedResource(raw)
	}
	if !bytes.Contains(sens, []byte("true")) {
		return nil, nil
	}
	mark, err := d.vp.parse(sens)
	if err != nil {
		return d.slowMarkedResource(raw)
	}
	if !anyMarked(mark) {
		return nil, nil
	}
	if values != nil {
		v, err := d.vp.parse(values)
		m, ok := v.(map[string]any)
		if err != nil || (!ok && v != nil) {
			return d.slowMarkedResource(raw)
		}
		r.AttributeValues = sensitiveParts(m, mark)
	}
	r.SensitiveValues = bytes.Clone(sens)
	return r, nil
}

// sensitiveParts keeps the parts of a state resource's values that its marks
// mark: all Summarize reads of it (most of these resources are also in a
// resource change, whose before holds their values whole).
func sensitiveParts(values map[string]any, mark any) map[string]any {
	m, _ := prune(values, mark).(map[string]any)
	return m
}

// slowMarkedResource is markedResource with encoding/json, for anything the
// fast path does not handle; it returns the same kind of result or the
// decoding error.
func (d *decoder) slowMarkedResource(raw []byte) (*tfjson.StateResource, error) {
	var r tfjson.StateResource
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	var mark any
	if err := json.Unmarshal(r.SensitiveValues, &mark); err == nil {
		if !anyMarked(mark) {
			return nil, nil
		}
		r.AttributeValues = sensitiveParts(r.AttributeValues, mark)
	}
	return &tfjson.StateResource{
		Address: r.Address, Mode: r.Mode, Type: r.Type, Name: r.Name, Index: r.Index,
		DeposedKey: r.DeposedKey, AttributeValues: r.AttributeValues, SensitiveValues: r.SensitiveValues,
	}, nil
}

// config keeps the root module's sensitive variables.
func (d *decoder) config() (*tfjson.Config, error) {
	if d.s.peek() == 'n' {
		return nil, d.s.null()
	}
	c := &tfjson.Config{}
	err := d.members(func(string) error {
		if d.s.peek() == 'n' {
			return d.s.null()
		}
		c.RootModule = &tfjson.ConfigModule{}
		return d.members(func(string) error {
			raw, err := d.s.capture()
			if err != nil {
				return err
			}
			var vars map[string]*tfjson.ConfigVariable
			if err := json.Unmarshal(raw, &vars); err != nil {
				return fmt.Errorf("decoding configuration variables: %w", err)
			}
			c.RootModule.Variables = map[string]*tfjson.ConfigVariable{}
			for name, v := range vars {
				if v != nil && v.Sensitive {
					c.RootModule.Variables[name] = &tfjson.ConfigVariable{Sensitive: true}
				}
			}
			return nil
		}, "variables")
	}, "root_module")
	return c, err
}

// errDuplicateKey is returned for an object member that Decode reads and
// that appears twice.
var errDuplicateKey = errors.New("plan JSON has a member twice")

// members walks the object that comes next and calls f with the name (one
// of names) of each member it reads, matched the way encoding/json matches
// struct fields: exactly, or else ignoring case. Other members are skipped.
// A member that appears twice is an error: encoding/json would merge the
// two, Terraform never writes such a plan, and guessing could lose a secret.
func (d *decoder) members(f func(name string) error, names ...string) error {
	seen := make(map[string]bool, len(names))
	return d.s.object(func(key string) error {
		name := fieldName(key, names)
		if name == "" {
			return d.s.skip()
		}
		if seen[name] {
			return fmt.Errorf("%w: %q", errDuplicateKey, key)
		}
		seen[name] = true
		return f(name)
	})
}

// fieldName returns the name key stands for, exact matches first; "" for
// none.
func fieldName(key string, names []string) string {
	for _, n := range names {
		if key == n {
			return n
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return n
		}
	}
	return ""
}

func (d *decoder) resourceChanges(section string) ([]*tfjson.ResourceChange, error) {
	var out []*tfjson.ResourceChange
	err := d.s.array(func(i int) error {
		raw, err := d.s.capture()
		if err != nil {
			return err
		}
		rc, err := d.resourceChange(raw)
		if err != nil {
			return fmt.Errorf("decoding %s[%d]: %w", section, i, err)
		}
		out = append(out, rc)
		return nil
	})
	return out, err
}

func (d *decoder) outputChanges() (map[string]*tfjson.Change, error) {
	if d.s.peek() == 'n' {
		return nil, d.s.null()
	}
	out := map[string]*tfjson.Change{}
	err := d.s.object(func(name string) error {
		raw, err := d.s.capture()
		if err != nil {
			return err
		}
		c, err := d.change(raw)
		if err != nil {
			return fmt.Errorf("decoding output_changes %q: %w", name, err)
		}
		out[name] = c
		return nil
	})
	return out, err
}

// resourceChange decodes one resource change, on the fast path when it can
// and with encoding/json otherwise.
func (d *decoder) resourceChange(raw []byte) (*tfjson.ResourceChange, error) {
	if rc, err := d.fastResourceChange(raw); err == nil {
		return rc, nil
	}
	var rc *tfjson.ResourceChange
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, err
	}
	if rc != nil && rc.Change != nil {
		trimChange(rc.Change)
		if pureNoOp(rc) {
			c := rc.Change
			c.Before, c.After = prune(c.Before, c.BeforeSensitive), prune(c.After, c.AfterSensitive)
			c.AfterUnknown, c.ReplacePaths = nil, nil
		}
	}
	return rc, nil
}

func (d *decoder) change(raw []byte) (*tfjson.Change, error) {
	if string(raw) != "null" {
		if c, pend, err := d.fastChange(raw); err == nil {
			if err := d.finishChange(c, pend, false); err == nil {
				return c, nil
			}
		}
	}
	var c *tfjson.Change
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c != nil {
		trimChange(c)
	}
	return c, nil
}

// trimChange drops what neither Summarize nor Fingerprint reads.
func trimChange(c *tfjson.Change) {
	c.GeneratedConfig, c.BeforeIdentity, c.AfterIdentity = "", nil, nil
	trimMarks(c)
}

// trimMarks cuts the sensitivity marks down to the paths they mark. Only
// marked paths count anywhere they are read (collecting secrets, redacting,
// the output placeholders), and most marks mark nothing: an empty mirror of
// every nested attribute, held twice for every change.
func trimMarks(c *tfjson.Change) {
	c.BeforeSensitive = prune(c.BeforeSensitive, c.BeforeSensitive)
	c.AfterSensitive = prune(c.AfterSensitive, c.AfterSensitive)
}

// pureNoOp reports whether Fingerprint skips the change and Summarize only
// collects its secrets: a no-op that neither imports nor moves.
func pureNoOp(rc *tfjson.ResourceChange) bool {
	c := rc.Change
	return c != nil && c.Actions.NoOp() && c.Importing == nil &&
		(rc.PreviousAddress == "" || rc.PreviousAddress == rc.Address)
}

// prune keeps the parts of v that mark marks as sensitive, in a shape that
// makes secretSet.addMarked collect exactly what it collects from v.
func prune(v, mark any) any {
	switch m := mark.(type) {
	case bool:
		if m {
			return v
		}
	case map[string]any:
		if !anyMarked(m) {
			return nil
		}
		vm, ok := v.(map[string]any)
		if !ok {
			return v // collected whole
		}
		out := make(map[string]any, len(m))
		for k, mk := range m {
			if x, ok := vm[k]; ok && anyMarked(mk) {
				out[k] = prune(x, mk)
			}
		}
		return out
	case []any:
		if !anyMarked(m) {
			return nil
		}
		vl, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, min(len(vl), len(m)))
		for i := range out {
			if anyMarked(m[i]) {
				out[i] = prune(vl[i], m[i])
			}
		}
		return out
	}
	return nil
}

// The JSON names encoding/json decodes into tfjson's change types. A key that
// matches one of them but is not handled by the fast path (a field added in
// a newer terraform-json, or a key in another case) sends the value to
// encoding/json.
var (
	resourceChangeFields = jsonFieldNames(reflect.TypeFor[tfjson.ResourceChange]())
	stateResourceFields  = jsonFieldNames(reflect.TypeFor[tfjson.StateResource]())
	changeFields         = jsonFieldNames(reflect.TypeFor[tfjson.Change]())
)

func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

func isField(names []string, key string) bool {
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return true
		}
	}
	return false
}

// fastKeys numbers the member names the fast paths read, for once.
var fastKeys = func() map[string]uint {
	m := map[string]uint{}
	for _, names := range [][]string{resourceChangeFields, changeFields, stateResourceFields} {
		for _, n := range names {
			if _, ok := m[n]; !ok {
				m[n] = uint(len(m))
			}
		}
	}
	if len(m) > 64 {
		panic("plan: too many member names for once")
	}
	return m
}()

// once notices a member name the fast paths read appearing a second time in
// one object.
type once uint64

func (o *once) again(key string) bool {
	i, ok := fastKeys[key]
	if !ok {
		return false // not read: a repeat changes nothing
	}
	if *o&(1<<i) != 0 {
		return true
	}
	*o |= 1 << i
	return false
}

// eachMember calls f with the key and the bytes of each member of the
// object in raw. A member the fast paths read that appears twice is errSlow:
// encoding/json merges duplicates in ways not worth copying.
func eachMember(raw []byte, f func(key string, v []byte) error) error {
	var seen once
	s := newBytesStream(raw)
	return s.object(func(key string) error {
		v, err := s.capture()
		if err != nil {
			return err
		}
		if seen.again(key) {
			return errSlow
		}
		return f(key, v)
	})
}

// pending holds a change's values until its actions and marks are known.
type pending struct {
	before, after, afterUnknown []byte
}

// fastResourceChange decodes a resource change without reflection. Any
// error means "use encoding/json".
func (d *decoder) fastResourceChange(raw []byte) (*tfjson.ResourceChange, error) {
	if string(raw) == "null" {
		return nil, errSlow
	}
	rc := &tfjson.ResourceChange{}
	var pend *pending
	err := eachMember(raw, func(key string, v []byte) error {
		var err error
		switch key {
		case "address":
			return d.fastString(v, &rc.Address)
		case "previous_address":
			return d.fastString(v, &rc.PreviousAddress)
		case "module_address":
			return d.fastString(v, &rc.ModuleAddress)
		case "mode":
			var m string
			err := d.fastString(v, &m)
			rc.Mode = tfjson.ResourceMode(m)
			return err
		case "type":
			return d.fastString(v, &rc.Type)
		case "name":
			return d.fastString(v, &rc.Name)
		case "provider_name":
			return d.fastString(v, &rc.ProviderName)
		case "deposed":
			return d.fastString(v, &rc.DeposedKey)
		case "action_reason":
			var a string
			err := d.fastString(v, &a)
			rc.ActionReason = tfjson.ActionReason(a)
			return err
		case "index":
			rc.Index, err = d.vp.parse(v)
			return err
		case "change":
			if string(v) == "null" {
				return nil
			}
			rc.Change, pend, err = d.fastChange(v)
			return err
		}
		if isField(resourceChangeFields, key) {
			return errSlow
		}
		_, err = d.vp.parse(v) // unknown member: encoding/json ignores it, but validates it
		return err
	})
	if err != nil {
		return nil, errSlow
	}
	if rc.Change != nil {
		if err := d.finishChange(rc.Change, pend, pureNoOp(rc)); err != nil {
			return nil, errSlow
		}
	}
	return rc, nil
}

// fastString decodes a string member; null leaves dst alone.
func (d *decoder) fastString(raw []byte, dst *string) error {
	switch {
	case string(raw) == "null":
		return nil
	case len(raw) > 0 && raw[0] == '"':
		s, err := d.vp.stringValue(raw)
		if err == nil {
			*dst = s
		}
		return err
	}
	return errSlow
}

// fastChange decodes a change's members except before, after and
// after_unknown, which finishChange decodes once the actions and marks are
// known.
func (d *decoder) fastChange(raw []byte) (*tfjson.Change, *pending, error) {
	c := &tfjson.Change{}
	pend := &pending{}
	err := eachMember(raw, func(key string, v []byte) error {
		var err error
		switch key {
		case "actions":
			return d.actions(v, c)
		case "before":
			pend.before = v
			return nil
		case "after":
			pend.after = v
			return nil
		case "after_unknown":
			pend.afterUnknown = v
			return nil
		case "before_sensitive":
			c.BeforeSensitive, err = d.vp.parseMarks(v)
			return err
		case "after_sensitive":
			c.AfterSensitive, err = d.vp.parseMarks(v)
			return err
		case "replace_paths":
			x, err := d.vp.parse(v)
			if err != nil {
				return err
			}
			switch l := x.(type) {
			case nil:
			case []any:
				c.ReplacePaths = l
			default:
				return errSlow
			}
			return nil
		case "importing":
			if string(v) == "null" {
				return nil
			}
			return json.Unmarshal(v, &c.Importing)
		case "generated_config":
			var g string
			return d.fastString(v, &g) // not kept
		case "before_identity", "after_identity":
			_, err := d.vp.parse(v) // not kept
			return err
		}
		if isField(changeFields, key) {
			return errSlow
		}
		_, err = d.vp.parse(v)
		return err
	})
	if err != nil {
		return nil, nil, errSlow
	}
	return c, pend, nil
}

func (d *decoder) actions(raw []byte, c *tfjson.Change) error {
	x, err := d.vp.parse(raw)
	if err != nil {
		return err
	}
	switch l := x.(type) {
	case nil:
		return nil
	case []any:
		c.Actions = make(tfjson.Actions, len(l))
		for i, a := range l {
			s, ok := a.(string)
			if !ok {
				return errSlow
			}
			c.Actions[i] = tfjson.Action(s)
		}
		return nil
	}
	return errSlow
}

// finishChange decodes the pending values: for a pure no-op only the
// sensitive parts (and only when something is marked).
func (d *decoder) finishChange(c *tfjson.Change, pend *pending, noOp bool) error {
	var err error
	parse := func(raw []byte) any {
		if raw == nil || err != nil {
			return nil
		}
		var v any
		v, err = d.vp.parse(raw)
		return v
	}
	if noOp { // the marks are pruned already (parseMarks)
		if anyMarked(c.BeforeSensitive) {
			c.Before = prune(parse(pend.before), c.BeforeSensitive)
		}
		if anyMarked(c.AfterSensitive) {
			c.After = prune(parse(pend.after), c.AfterSensitive)
		}
		return err
	}
	c.Before = parse(pend.before)
	if err != nil {
		return err
	}
	shareWithin(c.Before)
	// What the change leaves alone is shared with before as it is parsed.
	if pend.after != nil {
		c.After, err = d.vp.parseLike(pend.after, c.Before)
		if err != nil {
			return err
		}
		shareWithin(c.After)
	}
	c.AfterUnknown = parse(pend.afterUnknown)
	return err
}

// shareWithin shares identical attributes of one object, such as a
// resource's tags and tags_all, or terraform_data's input and output.
func shareWithin(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	type attr struct {
		key  string
		val  any
		size int
		list bool
	}
	var buf [16]attr
	attrs := buf[:0]
	for k, x := range m {
		switch t := x.(type) {
		case map[string]any:
			if len(t) > 0 {
				attrs = append(attrs, attr{k, x, len(t), false})
			}
		case []any:
			if len(t) > 0 {
				attrs = append(attrs, attr{k, x, len(t), true})
			}
		}
	}
	for i := 1; i < len(attrs); i++ {
		for j := range i {
			a, b := &attrs[j], &attrs[i]
			if a.size != b.size || a.list != b.list {
				continue
			}
			if shared, eq := share(a.val, b.val); eq {
				m[b.key], b.val = shared, shared
				break
			}
		}
	}
}

// share returns after with every part that is identical in before replaced
// by before's, so that an update holds one copy of what it leaves alone.
// Identical means what encoding/json would write is identical (so -0 is not
// 0): sharing changes no result. Nothing reads plan values to change them.
func share(before, after any) (any, bool) {
	switch a := after.(type) {
	case map[string]any:
		b, ok := before.(map[string]any)
		if !ok {
			return after, false
		}
		same := len(a) == len(b) && (a == nil) == (b == nil)
		for k, x := range a {
			y, ok := b[k]
			if !ok {
				same = false
				continue
			}
			if shared, eq := share(y, x); eq {
				a[k] = shared
			} else {
				same = false
			}
		}
		if same {
			return before, true
		}
		return after, false
	case []any:
		b, ok := before.([]any)
		if !ok {
			return after, false
		}
		same := len(a) == len(b) && (a == nil) == (b == nil)
		for i, x := range a {
			if i >= len(b) {
				same = false
				break
			}
			if shared, eq := share(b[i], x); eq {
				a[i] = shared
			} else {
				same = false
			}
		}
		if same {
			return before, true
		}
		return after, false
	case string:
		if b, ok := before.(string); ok && a == b {
			return before, true
		}
	case float64:
		if b, ok := before.(float64); ok && math.Float64bits(a) == math.Float64bits(b) {
			return before, true
		}
	case bool:
		if b, ok := before.(bool); ok && a == b {
			return before, true
		}
	case nil:
		if before == nil {
			return nil, true
		}
	}
	return after, false
}
