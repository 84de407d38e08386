package plan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// Action is what a plan does to one resource instance or output.
type Action string

// The actions a Change or OutputChange can carry.
const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionDelete  Action = "delete"
	ActionReplace Action = "replace"
	ActionRead    Action = "read"
	ActionNoOp    Action = "no-op"
	ActionImport  Action = "import"
	ActionMove    Action = "move"
	ActionForget  Action = "forget"
)

// Placeholders used in OutputChange.Before and OutputChange.After instead of a
// value. Real values are rendered as JSON (strings keep their quotes), so a
// placeholder can never be mistaken for a value.
const (
	ValueSensitive = "(sensitive)"
	ValueUnknown   = "(known after apply)"
	ValueAbsent    = "—"
)

// MaxValueRunes is the length, in runes, past which a rendered output value is
// cut and ends with "…".
const MaxValueRunes = 200

// Change is one resource instance change: names, paths and flags, and in
// Attributes the non-sensitive values of the attributes an update or replace
// changes.
type Change struct {
	// Address is the absolute resource instance address, for example
	// module.net.aws_subnet.private["a"].
	Address string
	// ModuleAddress is the module part of Address; empty in the root module.
	ModuleAddress string
	// Type and Name are the resource type and name, without index or module.
	Type, Name string
	// Mode is "managed" or "data".
	Mode string
	// Action is the classified action; see the Action constants.
	Action Action
	// CreateBeforeDestroy is set on a replace planned as [create, delete]
	// (lifecycle create_before_destroy).
	CreateBeforeDestroy bool
	// KeepsOld is set on a replace planned as [create, forget]: the new object
	// is created and the old one leaves the state without being destroyed
	// (a removed block with destroy = false). Such a change is not Dangerous.
	KeepsOld bool
	// ChangedAttributes are the top-level attribute names whose value differs
	// or becomes unknown, for updates and replaces, sorted.
	ChangedAttributes []string
	// Attributes describes each of ChangedAttributes, in the same order:
	// before and after of a scalar, the changed keys of a map, the count of
	// changed list elements, or only that it is sensitive. Nil for other
	// actions and for drift.
	Attributes []AttributeChange `json:",omitempty"`
	// ReplacePaths are the attributes forcing replacement, rendered like
	// engine_version, tags["a"] or ingress[0].cidr_blocks.
	ReplacePaths []string
	// PreviousAddress is set when the resource moved from another address.
	PreviousAddress string
	// Importing is set when the resource is being imported.
	Importing bool
	// ActionReason is Terraform's action_reason, such as
	// "replace_because_tainted" or "delete_because_no_resource_config".
	ActionReason string
	// Deposed is the deposed object key when the change is to a deposed
	// object (left over from a failed create_before_destroy); empty otherwise.
	Deposed string
	// DeferredReason is why Terraform deferred the change (a change in
	// Summary.Deferred), such as "resource_config_unknown".
	DeferredReason string `json:",omitempty"`
}

// Moved reports whether the change moves the resource from another address.
func (c Change) Moved() bool { return c.PreviousAddress != "" && c.PreviousAddress != c.Address }

// ActionInvocation is one action the plan invokes on apply. Its
// configuration values are never kept.
type ActionInvocation struct {
	// Address is the action's address, such as action.aws_lambda_invoke.x.
	Address string
	// Trigger is the address of the resource whose change triggers the
	// action, and Event the lifecycle event (before_create, after_update,
	// ...); both empty for an action invoked from the command line
	// (terraform apply -invoke).
	Trigger, Event string
}

// OutputChange is one root module output whose value changes.
type OutputChange struct {
	Name      string
	Action    Action // create, update or delete
	Sensitive bool   // any part of the old or new value is sensitive
	// Before and After are rendered values: ValueSensitive, ValueUnknown,
	// ValueAbsent, or compact JSON cut at MaxValueRunes. Sensitive or unknown
	// parts of a structured value appear as the placeholder string inside it.
	Before, After string
}

// ReasonMayReplace is the ActionReason of a replace the engine says only
// may happen (CloudFormation's Replacement: Conditional, decided by values
// known while it executes). It counts, and is guarded, as a replace.
const ReasonMayReplace = "replace_conditional"

// Summary is everything lockstep reports about a plan.
type Summary struct {
	// Add, Change and Destroy are exactly the numbers of Terraform's
	// "Plan: X to add, Y to change, Z to destroy." line: a replace counts as
	// one add and one destroy; reads, no-ops, moves, imports and forgets do
	// not count; deleted data sources are ignored.
	Add, Change, Destroy int
	// Replace counts replacements (each also counted in Add, and in Destroy
	// unless the old object is kept). Import is Terraform's "N to import":
	// every importing resource, also those updated while imported. Move
	// counts every moved resource, Forget every resource removed from the
	// state without being destroyed, Read every data source read during apply.
	Replace, Import, Move, Forget, Read int
	// Changes lists every resource change except pure no-ops, ordered by
	// action (delete, replace, create, update, import, move, forget, read),
	// then address, then deposed key.
	Changes []Change
	// Drift lists changes Terraform detected outside of Terraform since the
	// last apply (resource_drift), ordered like Changes, by Terraform's
	// rule: only the resources and attributes that relevant_attributes names
	// (those that contributed to the planned changes), except in a
	// refresh-only plan, which shows all drift, moves included.
	Drift []Change
	// RefreshOnly is set for a refresh-only plan (terraform plan
	// -refresh-only): it plans no resource changes, and applying it only
	// records the drift in the state. Terraform's JSON does not say so; a
	// plan that has drift and no resource_changes at all is one, because a
	// normal plan lists every resource in the state there.
	RefreshOnly bool `json:",omitempty"`
	// Deferred lists the changes Terraform deferred to a later plan (a
	// partial plan: deferred_changes), ordered like Changes; they are not
	// counted in Add, Change or Destroy.
	Deferred []Change `json:",omitempty"`
	// Actions lists the action invocations the plan makes on apply
	// (Terraform 1.14 action blocks: action_invocations), in plan order.
	Actions []ActionInvocation `json:",omitempty"`
	// Outputs lists the root outputs whose value changes, sorted by name.
	Outputs []OutputChange
	// Engine is the engine that made the plan, as the `engine` input
	// spells it (terraform, opentofu, ...); empty means Terraform.
	Engine string
	// EngineVersion is the version of the engine that made the plan.
	EngineVersion string
	// Secrets holds every sensitive value seen in the plan, deduplicated,
	// longest first, for ::add-mask:: and redaction. See Summarize for what is
	// collected and what is deliberately left out.
	Secrets []string
}

// CountAction adds one change of action a to the counts, as Terraform's
// "Plan:" line counts it: a replace is one add and one destroy (and one
// replace), an import counts as an import, a read as a read; moves and
// forgets count nowhere. Engines other than Terraform, whose changes carry
// no more than an action, count with it; Terraform's own changes count with
// count, which also weighs imports, moves and kept objects.
func (s *Summary) CountAction(a Action) {
	switch a {
	case ActionCreate:
		s.Add++
	case ActionUpdate:
		s.Change++
	case ActionDelete:
		s.Destroy++
	case ActionReplace:
		s.Replace++
		s.Add++
		s.Destroy++
	case ActionImport:
		s.Import++
	case ActionRead:
		s.Read++
	}
}

// Summarize classifies the plan's changes and counts them the way Terraform
// does, collects drift and output changes, and gathers the sensitive values.
//
// Secrets are collected from resource_changes, resource_drift and
// output_changes wherever before_sensitive or after_sensitive marks a value
// (at any depth), from sensitive outputs in the prior state and planned values,
// and from root variables declared sensitive. A marked string is collected as
// it is (and, when it spans lines, also line by line, because ::add-mask:: masks
// one line at a time); a marked number, or a marked object or list as a whole,
// is collected as its compact JSON, and the strings and numbers inside a marked
// object or list are collected too. Values that redact.WorthMasking refuses
// (shorter than three characters, only punctuation such as "{" or "],", the
// literals true, false and null) are left out on purpose: masking "1", "{" or
// "true" everywhere would make every log unreadable while protecting nothing.
//
// Summarize returns an error for a nil plan, a resource change without a
// change body, or an action combination it does not know, rather than
// miscount what will be destroyed.
func Summarize(p *tfjson.Plan) (*Summary, error) {
	if p == nil {
		return nil, errors.New("summarizing plan: plan is nil")
	}
	s := &Summary{EngineVersion: p.TerraformVersion}
	secrets := newSecretSet()

	for i, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil {
			return nil, fmt.Errorf("summarizing resource change %d: change is missing", i)
		}
		secrets.addMarked(rc.Change.Before, rc.Change.BeforeSensitive)
		secrets.addMarked(rc.Change.After, rc.Change.AfterSensitive)

		k, err := classify(rc)
		if err != nil {
			return nil, err
		}
		// Terraform renders nothing for deleted data sources and does not
		// count them.
		if k.action == ActionDelete && rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		if k.action == ActionNoOp {
			continue
		}
		c := newChange(rc, k, true)
		s.count(c)
		s.Changes = append(s.Changes, c)
	}

	s.RefreshOnly = len(p.ResourceChanges) == 0 && len(p.ResourceDrift) > 0
	relevant := relevantAttributes(p)
	for i, rc := range p.ResourceDrift {
		if rc == nil || rc.Change == nil {
			return nil, fmt.Errorf("summarizing resource drift %d: change is missing", i)
		}
		secrets.addMarked(rc.Change.Before, rc.Change.BeforeSensitive)
		secrets.addMarked(rc.Change.After, rc.Change.AfterSensitive)
		k, err := classify(rc)
		if err != nil {
			return nil, fmt.Errorf("summarizing drift: %w", err)
		}
		if k.action == ActionNoOp || k.action == ActionImport {
			continue
		}
		// Outside refresh-only mode Terraform shows moves with the planned
		// changes, not as drift, and only drift that contributed to them.
		if !s.RefreshOnly && k.action == ActionMove {
			continue
		}
		c := newChange(rc, k, false)
		if !s.RefreshOnly && relevant != nil && !relevant.keep(&c) {
			continue
		}
		s.Drift = append(s.Drift, c)
	}

	for i, dc := range p.DeferredChanges {
		if dc == nil || dc.ResourceChange == nil || dc.ResourceChange.Change == nil {
			return nil, fmt.Errorf("summarizing deferred change %d: change is missing", i)
		}
		rc := dc.ResourceChange
		secrets.addMarked(rc.Change.Before, rc.Change.BeforeSensitive)
		secrets.addMarked(rc.Change.After, rc.Change.AfterSensitive)
		k, err := classify(rc)
		if err != nil {
			return nil, fmt.Errorf("summarizing deferred change: %w", err)
		}
		c := newChange(rc, k, false)
		c.DeferredReason = dc.Reason
		s.Deferred = append(s.Deferred, c)
	}

	for i, ai := range p.ActionInvocations {
		if ai == nil {
			return nil, fmt.Errorf("summarizing action invocation %d: it is null", i)
		}
		secrets.addMarked(ai.ConfigValues, ai.ConfigSensitive)
		a := ActionInvocation{Address: ai.Address}
		if t := ai.LifecycleActionTrigger; t != nil {
			a.Trigger, a.Event = t.TriggeringResourceAddress, t.ActionTriggerEvent
		}
		s.Actions = append(s.Actions, a)
	}

	for name, oc := range p.OutputChanges {
		if oc == nil {
			continue
		}
		secrets.addMarked(oc.Before, oc.BeforeSensitive)
		secrets.addMarked(oc.After, oc.AfterSensitive)
		o, ok, err := newOutputChange(name, oc)
		if err != nil {
			return nil, err
		}
		if ok {
			s.Outputs = append(s.Outputs, o)
		}
	}

	addStateSecrets(secrets, p)
	addVariableSecrets(secrets, p)

	sortChanges(s.Changes)
	sortChanges(s.Drift)
	sortChanges(s.Deferred)
	slices.SortFunc(s.Outputs, func(a, b OutputChange) int { return cmp.Compare(a.Name, b.Name) })
	s.Secrets = secrets.list()
	return s, nil
}

// count adds one listed change to the counters, mirroring Terraform's
// jsonformat renderer.
func (s *Summary) count(c Change) {
	if c.Importing {
		s.Import++
	}
	if c.Moved() {
		s.Move++
	}
	switch c.Action {
	case ActionCreate:
		s.Add++
	case ActionUpdate:
		s.Change++
	case ActionDelete:
		s.Destroy++
	case ActionReplace:
		s.Replace++
		s.Add++
		if c.KeepsOld {
			s.Forget++
		} else {
			s.Destroy++
		}
	case ActionForget:
		s.Forget++
	case ActionRead:
		s.Read++
	}
}

// HasResourceChanges reports whether applying the plan would change any
// resource or the state's record of one, or invoke an action: a create,
// update, delete, replace, import, move or forget, or an action invocation.
// Data source reads and output-only changes do not count.
func (s *Summary) HasResourceChanges() bool {
	if s == nil {
		return false
	}
	if len(s.Actions) > 0 {
		return true
	}
	for _, c := range s.Changes {
		if c.Action != ActionRead {
			return true
		}
	}
	return false
}

// Dangerous returns the changes that destroy an object: deletes and replaces
// (except replaces that keep the old object), in Summary order.
func (s *Summary) Dangerous() []Change {
	if s == nil {
		return nil
	}
	var out []Change
	for _, c := range s.Changes {
		if IsDangerous(c) {
			out = append(out, c)
		}
	}
	return out
}

// IsDangerous reports whether c destroys an object: a delete, or a replace
// that does not keep the old object.
func IsDangerous(c Change) bool {
	return c.Action == ActionDelete || (c.Action == ActionReplace && !c.KeepsOld)
}

// ActionOrder is the rank of an action in Summary.Changes: delete first, read
// last. Unknown actions sort after read.
func ActionOrder(a Action) int {
	switch a {
	case ActionDelete:
		return 0
	case ActionReplace:
		return 1
	case ActionCreate:
		return 2
	case ActionUpdate:
		return 3
	case ActionImport:
		return 4
	case ActionMove:
		return 5
	case ActionForget:
		return 6
	case ActionRead:
		return 7
	default:
		return 8
	}
}

func sortChanges(cs []Change) {
	slices.SortStableFunc(cs, func(a, b Change) int {
		return cmp.Or(
			cmp.Compare(ActionOrder(a.Action), ActionOrder(b.Action)),
			CompareAddresses(a.Address, b.Address),
			cmp.Compare(a.Deposed, b.Deposed),
		)
	})
}

// CompareAddresses orders resource addresses as Terraform lists them:
// like text, except that numeric instance keys compare as numbers
// (del[2] before del[10]; module.a[9].x before module.a[10].x). String
// keys (["b"]) compare as text.
func CompareAddresses(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] == '[' && b[j] == '[' && i+1 < len(a) && j+1 < len(b) && isDigit(a[i+1]) && isDigit(b[j+1]) {
			ei, ej := i+1, j+1
			for ei < len(a) && isDigit(a[ei]) {
				ei++
			}
			for ej < len(b) && isDigit(b[ej]) {
				ej++
			}
			na, nb := strings.TrimLeft(a[i+1:ei], "0"), strings.TrimLeft(b[j+1:ej], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			i, j = ei, ej
			continue
		}
		if a[i] != b[j] {
			return cmp.Compare(a[i], b[j])
		}
		i++
		j++
	}
	return cmp.Compare(len(a)-i, len(b)-j)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Names lists the structural strings the summary names, which redaction
// leaves whole (see redact.Keep): every address and previous address, and
// the resource headers Terraform prints for them (resource "type" "name",
// data "type" "name").
func (s *Summary) Names() []string {
	if s == nil {
		return nil
	}
	var words []string
	for _, cs := range [][]Change{s.Changes, s.Drift, s.Deferred} {
		for _, c := range cs {
			words = append(words, c.Address, c.PreviousAddress)
			if c.Type != "" && c.Name != "" {
				kw := "resource"
				if c.Mode == string(tfjson.DataResourceMode) {
					kw = "data"
				}
				words = append(words, kw+" "+strconv.Quote(c.Type)+" "+strconv.Quote(c.Name))
			}
		}
	}
	for _, a := range s.Actions {
		words = append(words, a.Address, a.Trigger)
	}
	return words
}
