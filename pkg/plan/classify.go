package plan

import (
	"fmt"

	tfjson "github.com/hashicorp/terraform-json"
)

// kind is the classification of one resource change.
type kind struct {
	action              Action
	createBeforeDestroy bool
	keepsOld            bool
}

// classify maps a resource change's actions to an Action using the
// tfjson.Actions helpers. A no-op that imports is an import, a no-op that
// moves is a move; an update that also imports or moves stays an update.
func classify(rc *tfjson.ResourceChange) (kind, error) {
	a := rc.Change.Actions
	switch {
	case a.Create():
		return kind{action: ActionCreate}, nil
	case a.Update():
		return kind{action: ActionUpdate}, nil
	case a.Delete():
		return kind{action: ActionDelete}, nil
	case a.Replace():
		return kind{action: ActionReplace, createBeforeDestroy: a.CreateBeforeDestroy()}, nil
	case createThenForget(a):
		return kind{action: ActionReplace, createBeforeDestroy: true, keepsOld: true}, nil
	case a.Read():
		return kind{action: ActionRead}, nil
	case a.Forget():
		return kind{action: ActionForget}, nil
	case a.NoOp():
		switch {
		case rc.Change.Importing != nil:
			return kind{action: ActionImport}, nil
		case rc.PreviousAddress != "" && rc.PreviousAddress != rc.Address:
			return kind{action: ActionMove}, nil
		}
		return kind{action: ActionNoOp}, nil
	}
	return kind{}, fmt.Errorf("classifying %s: unsupported actions %q", rc.Address, []tfjson.Action(a))
}

// createThenForget matches ["create","forget"]: a replacement whose old object
// is forgotten instead of destroyed. terraform-json v0.29 has no helper for it;
// Terraform counts it as one to add and nothing to destroy.
func createThenForget(a tfjson.Actions) bool {
	return len(a) == 2 && a[0] == tfjson.ActionCreate && a[1] == tfjson.ActionForget
}

// newChange builds the Change for a classified resource change. It copies
// names and flags, and for a planned update or replace (values is set) the
// non-sensitive values of the changed attributes.
func newChange(rc *tfjson.ResourceChange, k kind, values bool) Change {
	c := Change{
		Address:             rc.Address,
		ModuleAddress:       rc.ModuleAddress,
		Type:                rc.Type,
		Name:                rc.Name,
		Mode:                string(rc.Mode),
		Action:              k.action,
		CreateBeforeDestroy: k.createBeforeDestroy,
		KeepsOld:            k.keepsOld,
		PreviousAddress:     rc.PreviousAddress,
		Importing:           rc.Change.Importing != nil,
		ActionReason:        string(rc.ActionReason),
		Deposed:             rc.DeposedKey,
	}
	if c.PreviousAddress == c.Address {
		c.PreviousAddress = ""
	}
	if k.action == ActionUpdate || k.action == ActionReplace {
		c.ChangedAttributes = changedAttributes(rc.Change.Before, rc.Change.After, rc.Change.AfterUnknown)
		if values {
			c.Attributes = attributeChanges(c.ChangedAttributes, rc.Change)
		}
	}
	if k.action == ActionReplace {
		c.ReplacePaths = renderPaths(rc.Change.ReplacePaths)
	}
	return c
}
