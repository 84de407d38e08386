package cloudformation

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// diffOf is the value-free record of one described ResourceChange; prefix
// is the address of the nested stack it belongs to ("" at the root).
// BeforeValue and AfterValue are never kept: they may hold secrets.
func diffOf(prefix string, rc *types.ResourceChange) resourceDiff {
	id := aws.ToString(rc.LogicalResourceId)
	d := resourceDiff{
		Address:     joinAddress(prefix, id),
		LogicalID:   id,
		PhysicalID:  aws.ToString(rc.PhysicalResourceId),
		Type:        aws.ToString(rc.ResourceType),
		Action:      string(rc.Action),
		Replacement: string(rc.Replacement),
	}
	for _, s := range rc.Scope {
		d.Scope = append(d.Scope, string(s))
	}
	for _, det := range rc.Details {
		dd := diffDetail{
			ChangeSource:  string(det.ChangeSource),
			Evaluation:    string(det.Evaluation),
			CausingEntity: aws.ToString(det.CausingEntity),
		}
		if t := det.Target; t != nil {
			dd.Attribute = string(t.Attribute)
			dd.Name = aws.ToString(t.Name)
			dd.RequiresRecreation = string(t.RequiresRecreation)
		}
		d.Details = append(d.Details, dd)
	}
	return d
}

func joinAddress(prefix, id string) string {
	if prefix == "" {
		return id
	}
	return prefix + "/" + id
}

// sortDiffs orders described changes by address, so that the saved plan
// and its fingerprint do not depend on the order of CloudFormation's pages.
func sortDiffs(ds []resourceDiff) {
	slices.SortStableFunc(ds, func(a, b resourceDiff) int { return cmp.Compare(a.Address, b.Address) })
}

// actionOf maps CloudFormation's action and replacement to lockstep's:
// Add is a create, Remove a delete, Import an import, and Modify (also
// Dynamic, whose effect CloudFormation decides while executing, and
// SyncWithActual) an update, or a replace when Replacement is True or
// Conditional: a change that may recreate the resource is treated as one
// that does.
func actionOf(d resourceDiff) (plan.Action, error) {
	switch types.ChangeAction(d.Action) {
	case types.ChangeActionAdd:
		return plan.ActionCreate, nil
	case types.ChangeActionRemove:
		return plan.ActionDelete, nil
	case types.ChangeActionImport:
		return plan.ActionImport, nil
	case types.ChangeActionModify, types.ChangeActionDynamic, types.ChangeActionSyncWithActual:
		switch types.Replacement(d.Replacement) {
		case types.ReplacementTrue, types.ReplacementConditional:
			return plan.ActionReplace, nil
		}
		return plan.ActionUpdate, nil
	}
	// An action this lockstep does not know could destroy: refuse to
	// summarise it rather than miscount.
	return "", fmt.Errorf("the change set changes %s (%s) with the action %q, which this lockstep does not know", d.Address, d.Type, d.Action)
}

// ActionReasonConditional marks a replace CloudFormation only says may
// happen (Replacement Conditional): it depends on values known while
// executing. lockstep treats it as a replace.
const ActionReasonConditional = plan.ReasonMayReplace

// changeOf is the plan.Change of one described change: its address is
// the logical ID (under its nested stacks), the changed attributes the
// properties (or other attributes, such as Tags or Metadata) its details
// name, and the replace paths those whose change recreates the resource.
func changeOf(d resourceDiff) (plan.Change, error) {
	act, err := actionOf(d)
	if err != nil {
		return plan.Change{}, err
	}
	c := plan.Change{Address: d.Address, Type: d.Type, Name: d.LogicalID, Mode: "managed", Action: act}
	if i := strings.LastIndex(d.Address, "/"); i > 0 {
		c.ModuleAddress = d.Address[:i]
	}
	if act == plan.ActionImport {
		c.Importing = true
	}
	if types.Replacement(d.Replacement) == types.ReplacementConditional {
		c.ActionReason = ActionReasonConditional
	}
	if act != plan.ActionUpdate && act != plan.ActionReplace {
		return c, nil
	}
	var changed, replace []string
	for _, det := range d.Details {
		name := det.Name
		if det.Attribute != string(types.ResourceAttributeProperties) || name == "" {
			name = det.Attribute
		}
		if name == "" {
			continue
		}
		changed = append(changed, name)
		if rr := types.RequiresRecreation(det.RequiresRecreation); rr == types.RequiresRecreationAlways || rr == types.RequiresRecreationConditionally {
			replace = append(replace, name)
		}
	}
	if len(changed) == 0 {
		// No details (a Dynamic change): the scope says what changes.
		changed = append(changed, d.Scope...)
	}
	c.ChangedAttributes = sortedSet(changed)
	if act == plan.ActionReplace {
		c.ReplacePaths = sortedSet(replace)
	}
	return c, nil
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// summarize counts the described changes the way Terraform's summary does
// (a replace is one add and one destroy), in pkg/plan's order.
func summarize(p *savedPlan) (*plan.Summary, error) {
	s := &plan.Summary{Engine: engine.CloudFormation, EngineVersion: APIVersion}
	for _, d := range p.Changes {
		c, err := changeOf(d)
		if err != nil {
			return nil, err
		}
		s.CountAction(c.Action)
		s.Changes = append(s.Changes, c)
	}
	slices.SortStableFunc(s.Changes, func(a, b plan.Change) int {
		return cmp.Or(cmp.Compare(plan.ActionOrder(a.Action), plan.ActionOrder(b.Action)), cmp.Compare(a.Address, b.Address))
	})
	return s, nil
}

// planText is the change set as people read it in the log: one line per
// change, with no values.
func planText(p *savedPlan, s *plan.Summary) string {
	var b strings.Builder
	if !p.HasChanges {
		fmt.Fprintf(&b, "CloudFormation found no changes for stack %s: the template and parameters match the deployed stack.\n", p.Stack)
		return b.String()
	}
	fmt.Fprintf(&b, "CloudFormation change set %s (%s) for stack %s:\n", p.ChangeSetName, p.ChangeSetType, p.Stack)
	if len(p.Changes) == 0 {
		b.WriteString("  no resource changes (the stack's outputs or other template sections change)\n")
	}
	for _, c := range s.Changes {
		fmt.Fprintf(&b, "%s %-8s %s (%s)", diffMark(c.Action), c.Action, c.Address, c.Type)
		switch {
		case c.ActionReason == ActionReasonConditional:
			b.WriteString(" may be replaced")
		case c.Action == plan.ActionReplace:
			b.WriteString(" is replaced")
		}
		if len(c.ReplacePaths) > 0 {
			fmt.Fprintf(&b, ", because of %s", strings.Join(c.ReplacePaths, ", "))
		}
		if len(c.ChangedAttributes) > 0 {
			fmt.Fprintf(&b, "; changes %s", strings.Join(c.ChangedAttributes, ", "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Change set: %d to add, %d to change, %d to destroy (%d replaced).\n", s.Add, s.Change, s.Destroy, s.Replace)
	return b.String()
}

// diffMark is Terraform's mark of an action at the start of a line, which
// the comment's diff block colours.
func diffMark(a plan.Action) string {
	switch a {
	case plan.ActionCreate:
		return "  +"
	case plan.ActionDelete:
		return "  -"
	case plan.ActionReplace:
		return "-/+"
	}
	return "  ~"
}
