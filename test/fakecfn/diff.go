package fakecfn

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// defaultReplacement is the built-in table of property changes that replace
// a resource, taken from the "Update requires" lines of the AWS resource
// reference. Every other property updates in place (Never).
// [Server.SetReplacement] adds or overrides entries.
var defaultReplacement = map[string]types.RequiresRecreation{
	"AWS::S3::Bucket/BucketName":               types.RequiresRecreationAlways,
	"AWS::SSM::Parameter/Name":                 types.RequiresRecreationAlways,
	"AWS::SQS::Queue/QueueName":                types.RequiresRecreationAlways,
	"AWS::SQS::Queue/FifoQueue":                types.RequiresRecreationAlways,
	"AWS::SNS::Topic/TopicName":                types.RequiresRecreationAlways,
	"AWS::SNS::Topic/FifoTopic":                types.RequiresRecreationAlways,
	"AWS::DynamoDB::Table/TableName":           types.RequiresRecreationAlways,
	"AWS::Lambda::Function/FunctionName":       types.RequiresRecreationAlways,
	"AWS::IAM::Role/RoleName":                  types.RequiresRecreationAlways,
	"AWS::Logs::LogGroup/LogGroupName":         types.RequiresRecreationAlways,
	"AWS::EC2::Instance/ImageId":               types.RequiresRecreationAlways,
	"AWS::EC2::Instance/AvailabilityZone":      types.RequiresRecreationAlways,
	"AWS::EC2::Instance/InstanceType":          types.RequiresRecreationConditionally, // "Some interruptions" for EBS-backed, replacement for instance store
	"AWS::EC2::Instance/SecurityGroupIds":      types.RequiresRecreationConditionally, // replacement only outside a VPC
	"AWS::EC2::SecurityGroup/GroupName":        types.RequiresRecreationAlways,
	"AWS::EC2::SecurityGroup/VpcId":            types.RequiresRecreationAlways,
	"AWS::EC2::SecurityGroup/GroupDescription": types.RequiresRecreationAlways,
}

// changeInput is what a change set compares: the stack as it is (old, nil
// template for a new stack) and what the change set asks for.
type changeInput struct {
	st            *stack
	newT          *template
	newParams     map[string]string
	recreation    func(rtype, prop string) types.RequiresRecreation
	includeValues bool
}

// computeChanges diffs what is deployed (each resource's properties as the
// last execution wrote them) against the new template and parameters, the
// way a change set reports it: Add, Modify (with Details and Replacement)
// and Remove. Comparing against the deployed resources, not the last
// template, is what makes a retry after UPDATE_FAILED or CREATE_FAILED
// (without rollback) pick up the resources the failed run did not reach.
func computeChanges(in changeInput) []types.Change {
	st := in.st
	newNoEcho := map[string]bool{}
	for _, p := range in.newT.Params {
		if p.NoEcho {
			newNoEcho[p.Name] = true
		}
	}
	// resources created or replaced by this change set: references to them
	// are unknown until it runs.
	pendingIDs := map[string]bool{}
	newEval := st.evaluatorFor(in.newParams, newNoEcho, pendingIDs)

	var changes []types.Change
	ordered, _ := in.newT.order()
	for _, r := range ordered {
		cur := st.resource(r.LogicalID)
		if cur == nil || cur.physical == "" {
			pendingIDs[r.LogicalID] = true
			rc := &types.ResourceChange{
				Action:            types.ChangeActionAdd,
				LogicalResourceId: aws.String(r.LogicalID),
				ResourceType:      aws.String(r.Type),
				Scope:             []types.ResourceAttribute{},
				Details:           []types.ResourceChangeDetail{},
			}
			if in.includeValues {
				rc.AfterContext = aws.String(contextJSON(maskedEval(newEval).eval(r.Properties)))
			}
			changes = append(changes, types.Change{Type: types.ChangeTypeResource, ResourceChange: rc})
			continue
		}
		details := propertyDetails(in, r, cur, newEval)
		if len(details) == 0 {
			continue
		}
		rc := &types.ResourceChange{
			Action:             types.ChangeActionModify,
			LogicalResourceId:  aws.String(r.LogicalID),
			PhysicalResourceId: aws.String(cur.physical),
			ResourceType:       aws.String(r.Type),
			Details:            details,
			Replacement:        replacement(details),
			Scope:              scope(details),
		}
		if rc.Replacement == types.ReplacementTrue {
			pendingIDs[r.LogicalID] = true
			rc.PolicyAction = types.PolicyActionReplaceAndDelete
			if r.DeletionPolicy == "Retain" {
				rc.PolicyAction = types.PolicyActionReplaceAndRetain
			}
		}
		if in.includeValues {
			rc.BeforeContext = aws.String(contextJSON(cur.shown))
			rc.AfterContext = aws.String(contextJSON(maskedEval(newEval).eval(r.Properties)))
		}
		changes = append(changes, types.Change{Type: types.ChangeTypeResource, ResourceChange: rc})
	}
	for _, cur := range st.resources {
		if _, still := in.newT.resource(cur.logicalID); still || cur.physical == "" {
			continue
		}
		rc := &types.ResourceChange{
			Action:             types.ChangeActionRemove,
			LogicalResourceId:  aws.String(cur.logicalID),
			PhysicalResourceId: aws.String(cur.physical),
			ResourceType:       aws.String(cur.rtype),
			PolicyAction:       types.PolicyActionDelete,
			Scope:              []types.ResourceAttribute{},
			Details:            []types.ResourceChangeDetail{},
		}
		if cur.deletionPolicy == "Retain" {
			rc.PolicyAction = types.PolicyActionRetain
		}
		if in.includeValues {
			rc.BeforeContext = aws.String(contextJSON(cur.shown))
		}
		changes = append(changes, types.Change{Type: types.ChangeTypeResource, ResourceChange: rc})
	}
	return changes
}

func maskedEval(e *evaluator) *evaluator {
	c := *e
	c.mask = true
	return &c
}

// propertyDetails lists the property-level changes between a deployed
// resource and its new definition, sorted by property name.
func propertyDetails(in changeInput, r resourceDef, cur *resource, newEval *evaluator) []types.ResourceChangeDetail {
	keys := map[string]bool{}
	for k := range r.Properties {
		keys[k] = true
	}
	for k := range cur.raw {
		keys[k] = true
	}
	var details []types.ResourceChangeDetail
	for _, k := range sortedKeys(keys) {
		oldRaw, newRaw := cur.raw[k], r.Properties[k]
		oldVal, newVal := cur.props[k], newEval.eval(newRaw)
		if _, drop := newVal.(noValue); drop {
			newVal = nil
		}
		target := &types.ResourceTargetDefinition{
			Attribute:          types.ResourceAttributeProperties,
			Name:               aws.String(k),
			RequiresRecreation: in.recreation(r.Type, k),
		}
		if k == "Tags" {
			// tag changes are their own attribute and never replace
			target = &types.ResourceTargetDefinition{Attribute: types.ResourceAttributeTags, RequiresRecreation: types.RequiresRecreationNever}
		}
		if in.includeValues {
			if shown, ok := cur.shown[k]; ok {
				target.BeforeValue = aws.String(renderValue(shown))
			}
			if newRaw != nil {
				if _, unk := hasUnknown(newVal); !unk {
					target.AfterValue = aws.String(renderValue(maskedEval(newEval).eval(newRaw)))
				}
			}
		}
		d := types.ResourceChangeDetail{Target: target, Evaluation: types.EvaluationTypeStatic}
		switch {
		case !sameValue(oldRaw, newRaw):
			d.ChangeSource = types.ChangeSourceDirectModification
		case sameValue(oldVal, newVal) || oldVal == nil && newVal == nil:
			continue
		default:
			if u, unk := hasUnknown(newVal); unk {
				d.ChangeSource = types.ChangeSourceResourceReference
				d.Evaluation = types.EvaluationTypeDynamic
				d.CausingEntity = aws.String(u.cause)
			} else if p := changedParam(newRaw, in.st.params, newEval.params); p != "" {
				d.ChangeSource = types.ChangeSourceParameterReference
				d.CausingEntity = aws.String(p)
			} else {
				// same text, other value, no parameter changed: a resource it
				// refers to changed in an earlier run
				d.ChangeSource = types.ChangeSourceResourceReference
			}
		}
		details = append(details, d)
	}
	return details
}

// changedParam names the first parameter v refers to whose value differs.
func changedParam(v any, oldParams, newParams map[string]string) string {
	for _, name := range refs(v) {
		nv, isParam := newParams[name]
		if isParam && nv != oldParams[name] {
			return name
		}
	}
	return ""
}

// replacement is the resource-level verdict from the details: a static
// Always replaces (True); a Conditionally, or an Always that depends on a
// value known only at execution, may (Conditional).
func replacement(details []types.ResourceChangeDetail) types.Replacement {
	out := types.ReplacementFalse
	for _, d := range details {
		switch d.Target.RequiresRecreation {
		case types.RequiresRecreationAlways:
			if d.Evaluation == types.EvaluationTypeStatic {
				return types.ReplacementTrue
			}
			out = types.ReplacementConditional
		case types.RequiresRecreationConditionally:
			out = types.ReplacementConditional
		}
	}
	return out
}

func scope(details []types.ResourceChangeDetail) []types.ResourceAttribute {
	seen := map[types.ResourceAttribute]bool{}
	var out []types.ResourceAttribute
	for _, d := range details {
		if !seen[d.Target.Attribute] {
			seen[d.Target.Attribute] = true
			out = append(out, d.Target.Attribute)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// contextJSON renders BeforeContext/AfterContext: {"Properties": {...}}.
func contextJSON(props any) string {
	return toJSON(map[string]any{"Properties": jsonable(props)})
}

func toJSON(v any) string {
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return "{}"
	}
	return string(b)
}

// jsonable replaces the evaluator's markers with strings.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			out[k] = jsonable(c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = jsonable(c)
		}
		return out
	case unknown:
		return "{{" + strings.TrimSpace(x.cause) + "}}"
	case noValue:
		return nil
	default:
		return x
	}
}
