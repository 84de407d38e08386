package pulumi

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// deploymentPlan is the part of a saved plan file (apitype.DeploymentPlanV1)
// that lockstep reads. The plan's values are never decoded (secrets among
// them are encrypted, and only property names are reported): decodePlan
// steps over them.
type deploymentPlan struct {
	// HasManifest is whether the file has a manifest (every plan file
	// does).
	HasManifest   bool
	ResourcePlans map[string]resourcePlan
}

// resourcePlan is apitype.ResourcePlanV1: the steps planned for one
// resource and the names of the goal's property changes.
type resourcePlan struct {
	// Goal is nil when the plan has none (a delete).
	Goal  *goal
	Steps []string
}

// goal is the part of apitype.GoalV1 lockstep reads.
type goal struct {
	Type string
	// InputDiff names the inputs the plan changes; OutputDiff, on the
	// stack's goal, the stack outputs it changes (secret or not).
	InputDiff, OutputDiff planDiff
}

// planDiff is apitype.PlanDiffV1, its values left out: the names of the
// properties added, deleted and updated.
type planDiff struct {
	Adds    []string
	Deletes []string
	Updates []string
}

// decodePlan reads a saved plan file: the manifest's presence, each
// resource plan's steps and its goal's inputDiff names; everything else
// (the goals' properties and outputs, the config, the values in the
// diffs) is validated and stepped over.
func decodePlan(raw []byte) (*deploymentPlan, error) {
	dp, err := scanPlan(raw)
	if err != nil {
		return nil, fmt.Errorf("decoding the saved Pulumi plan: %w", err)
	}
	if !dp.HasManifest {
		return nil, fmt.Errorf("decoding the saved Pulumi plan: it has no manifest, so it is not a file written by pulumi preview --save-plan")
	}
	return dp, nil
}

func scanPlan(raw []byte) (*deploymentPlan, error) {
	s := &scanner{b: raw}
	dp := &deploymentPlan{}
	err := s.object(func(name string) error {
		switch name {
		case "manifest":
			dp.HasManifest = true
			return s.skip()
		case "resourcePlans":
			if dp.ResourcePlans == nil {
				dp.ResourcePlans = map[string]resourcePlan{}
			}
			return s.object(func(urn string) error {
				rp, err := scanResourcePlan(s)
				dp.ResourcePlans[urn] = rp
				return err
			})
		}
		return s.skip()
	})
	if err != nil {
		return nil, err
	}
	return dp, s.end()
}

func scanResourcePlan(s *scanner) (resourcePlan, error) {
	var rp resourcePlan
	err := s.object(func(name string) (err error) {
		switch name {
		case "steps":
			rp.Steps, err = s.strs()
			return err
		case "goal":
			if isNull, err := s.null(); isNull || err != nil {
				rp.Goal = nil
				return err
			}
			rp.Goal = &goal{}
			return s.object(func(name string) (err error) {
				var d *planDiff
				switch name {
				case "type":
					rp.Goal.Type, err = s.str()
					return err
				case "inputDiff":
					d = &rp.Goal.InputDiff
				case "outputDiff":
					d = &rp.Goal.OutputDiff
				default:
					return s.skip()
				}
				*d = planDiff{}
				return s.object(func(name string) (err error) {
					switch name {
					case "adds":
						d.Adds, err = s.names()
					case "updates":
						d.Updates, err = s.names()
					case "deletes":
						d.Deletes, err = s.strs()
					default:
						err = s.skip()
					}
					return err
				})
			})
		}
		return s.skip()
	})
	return rp, err
}

// action classifies a resource's planned steps (apitype.OpType values).
func action(steps []string) plan.Action {
	has := func(ops ...string) bool {
		return slices.ContainsFunc(steps, func(s string) bool { return slices.Contains(ops, s) })
	}
	switch {
	case has("replace", "create-replacement", "delete-replaced", "import-replacement", "read-replacement"):
		return plan.ActionReplace
	case has("create"):
		return plan.ActionCreate
	case has("update"):
		return plan.ActionUpdate
	case has("delete", "discard"):
		return plan.ActionDelete
	case has("import"):
		return plan.ActionImport
	case has("read"):
		return plan.ActionRead
	}
	return plan.ActionNoOp
}

// splitURN splits urn:pulumi:<stack>::<project>::<qualified type>::<name>
// into the address lockstep shows (<qualified type>::<name>), the type (its
// last part) and the name. Anything else is its own address.
func splitURN(urn string) (address, typ, name string) {
	parts := strings.SplitN(strings.TrimPrefix(urn, "urn:pulumi:"), "::", 4)
	if !strings.HasPrefix(urn, "urn:pulumi:") || len(parts) != 4 {
		return urn, "", urn
	}
	qualified := parts[2]
	typ = qualified[strings.LastIndex(qualified, "$")+1:]
	return qualified + "::" + parts[3], typ, parts[3]
}

// defaultProvider is whether a resource is a provider Pulumi made by itself
// for a package (pulumi:providers:aws::default_6_0_0): Pulumi's own preview
// neither shows nor counts those, and neither does the summary. The
// fingerprint still holds them.
func defaultProvider(typ, name string) bool {
	return strings.HasPrefix(typ, "pulumi:providers:") && (name == "default" || strings.HasPrefix(name, "default_"))
}

// changedKeys are the top-level input properties a goal adds, updates or
// deletes, sorted.
func (d planDiff) changedKeys() []string {
	var keys []string
	keys = append(keys, d.Adds...)
	keys = append(keys, d.Updates...)
	keys = append(keys, d.Deletes...)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// summarize counts a saved plan's changes the way Terraform's summary
// does (a replace is one add and one destroy), leaving out the default
// providers as Pulumi does. Changes are ordered like
// pkg/plan's: by action, then address. ChangedAttributes, for updates and
// replaces, are the inputs the plan changes.
func summarize(dp *deploymentPlan) *plan.Summary {
	s := &plan.Summary{Engine: engine.Pulumi}
	for urn, rp := range dp.ResourcePlans {
		act := action(rp.Steps)
		if act == plan.ActionNoOp {
			continue
		}
		addr, typ, name := splitURN(urn)
		if defaultProvider(typ, name) {
			continue
		}
		c := plan.Change{Address: addr, Type: typ, Name: name, Mode: "managed", Action: act}
		if rp.Goal != nil && (act == plan.ActionUpdate || act == plan.ActionReplace) {
			c.ChangedAttributes = rp.Goal.InputDiff.changedKeys()
		}
		s.CountAction(act)
		s.Changes = append(s.Changes, c)
	}
	slices.SortFunc(s.Changes, func(a, b plan.Change) int {
		return cmp.Or(cmp.Compare(actionOrder(a.Action), actionOrder(b.Action)), cmp.Compare(a.Address, b.Address))
	})
	return s
}

// actionOrder is pkg/plan's order of actions in a Summary.
func actionOrder(a plan.Action) int {
	order := []plan.Action{plan.ActionDelete, plan.ActionReplace, plan.ActionCreate, plan.ActionUpdate, plan.ActionImport, plan.ActionMove, plan.ActionForget, plan.ActionRead}
	if i := slices.Index(order, a); i >= 0 {
		return i
	}
	return len(order)
}

// fingerprintVersion prefixes the hashed entries; bump it when they change
// shape.
const fingerprintVersion = "lockstep-pulumi-fingerprint-v1"

// fingerprint is the SHA-256, in hex, of the sorted (URN, steps, changed
// input names) of every resource the plan changes. It holds no values (the
// plan file's secrets are encrypted with a fresh nonce on every preview),
// so the same change planned twice gets the same fingerprint.
func fingerprint(dp *deploymentPlan) string {
	var entries []string
	for urn, rp := range dp.ResourcePlans {
		if action(rp.Steps) == plan.ActionNoOp {
			continue
		}
		var keys []string
		if rp.Goal != nil {
			keys = rp.Goal.InputDiff.changedKeys()
		}
		// JSON quoting keeps the fields unambiguous.
		entries = append(entries, string(fingerprintEntry(nil, urn, rp.Steps, keys)))
	}
	slices.Sort(entries)
	h := sha256.New()
	h.Write([]byte(fingerprintVersion + "\n"))
	for _, e := range entries {
		h.Write([]byte(e + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprintEntry appends what json.Marshal([]any{urn, steps, keys})
// writes (the entry's shape since fingerprintVersion v1), byte for byte.
func fingerprintEntry(b []byte, urn string, steps, keys []string) []byte {
	b = append(b, '[')
	b = appendJSONString(b, urn)
	for _, list := range [][]string{steps, keys} {
		b = append(b, ',')
		if list == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for i, v := range list {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendJSONString appends s as encoding/json writes it: printable ASCII
// without quotes, backslashes or HTML's <, > and & as it is, anything else
// through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// hasChanges is whether applying would change a resource or an output.
func hasChanges(s *plan.Summary) bool { return len(s.Changes) > 0 || len(s.Outputs) > 0 }

// enrich adds what only the preview's events know to a summary made from
// the saved plan: the properties Pulumi's diff names for each change, the
// ones forcing a replacement, and the stack's output changes.
func enrich(s *plan.Summary, evs []event) {
	steps := map[string]stepMetadata{}
	var stackOld, stackNew json.RawMessage
	for _, ev := range evs {
		if ev.ResourcePreEvent != nil {
			m := ev.ResourcePreEvent.Metadata
			// A replace is several steps (create-replacement, replace,
			// delete-replaced), not all of them carrying the diff.
			if seen, ok := steps[m.URN]; ok {
				m.Keys = append(m.Keys, seen.Keys...)
				m.Diffs = append(m.Diffs, seen.Diffs...)
				m.DetailedDiff = append(m.DetailedDiff, seen.DetailedDiff...)
			}
			steps[m.URN] = m
			if m.Type == stackType && m.Old != nil {
				stackOld = m.Old.Outputs
			}
		}
		if ev.ResOutputsEvent != nil {
			m := ev.ResOutputsEvent.Metadata
			if m.Type == stackType && m.New != nil {
				stackNew = m.New.Outputs
			}
		}
	}
	byAddress := make(map[string]stepMetadata, len(steps))
	for urn, m := range steps {
		addr, _, _ := splitURN(urn)
		byAddress[addr] = m
	}
	for i := range s.Changes {
		c := &s.Changes[i]
		m, ok := byAddress[c.Address]
		if !ok {
			continue
		}
		if c.Action == plan.ActionUpdate || c.Action == plan.ActionReplace {
			if names := topLevel(slices.Concat(m.DetailedDiff, m.Diffs)); len(names) > 0 {
				c.ChangedAttributes = names
			}
		}
		if c.Action == plan.ActionReplace {
			c.ReplacePaths = topLevel(m.Keys)
		}
	}
	s.Outputs = outputChanges(decodeOutputsMap(stackOld), decodeOutputsMap(stackNew))
}

// decodeOutputsMap decodes an event's outputs; nil when there are none.
func decodeOutputsMap(raw json.RawMessage) map[string]any {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// stackType is the type of a stack's root resource, which holds its
// outputs.
const stackType = "pulumi:pulumi:Stack"

// topLevel reduces property paths (tags.a, list[0]) to their sorted,
// distinct top-level names.
func topLevel(paths []string) []string {
	var out []string
	for _, p := range paths {
		if i := strings.IndexAny(p, ".["); i > 0 {
			p = p[:i]
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// secretShown is how Pulumi shows a secret value when secrets are hidden.
const secretShown = "[secret]"

// outputChanges compares the stack's outputs before and after, as the
// events show them (secrets as "[secret]").
func outputChanges(before, after map[string]any) []plan.OutputChange {
	if after == nil {
		// The program did not finish registering its outputs (or the
		// preview shows none): nothing to compare.
		return nil
	}
	var out []plan.OutputChange
	names := slices.Collect(maps.Keys(before))
	names = append(names, slices.Collect(maps.Keys(after))...)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		b, hadB := before[name]
		a, hasA := after[name]
		oc := plan.OutputChange{Name: name, Before: plan.ValueAbsent, After: plan.ValueAbsent}
		switch {
		case hadB && hasA:
			oc.Action = plan.ActionUpdate
		case hasA:
			oc.Action = plan.ActionCreate
		default:
			oc.Action = plan.ActionDelete
		}
		if hadB {
			oc.Before = renderValue(b)
		}
		if hasA {
			oc.After = renderValue(a)
		}
		if oc.Action == plan.ActionUpdate && oc.Before == oc.After && oc.Before != plan.ValueSensitive {
			continue
		}
		oc.Sensitive = oc.Before == plan.ValueSensitive || oc.After == plan.ValueSensitive
		out = append(out, oc)
	}
	return out
}

// unknownShown is how Pulumi's events show a value not known before apply.
const unknownShown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

// renderValue renders an event's value like pkg/plan's OutputChange: a
// placeholder for a secret (anywhere inside) or an unknown, else compact
// JSON cut at plan.MaxValueRunes.
func renderValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return plan.ValueUnknown
	}
	s := string(b)
	if strings.Contains(s, `"`+secretShown+`"`) {
		return plan.ValueSensitive
	}
	if strings.Contains(s, unknownShown) {
		return plan.ValueUnknown
	}
	if r := []rune(s); len(r) > plan.MaxValueRunes {
		s = string(r[:plan.MaxValueRunes-1]) + "…"
	}
	return s
}
