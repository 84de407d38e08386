package fakecfn

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// stack is one CloudFormation stack as the fake keeps it.
type stack struct {
	id, name        string
	status          types.StackStatus
	reason          string
	created         time.Time
	updated         time.Time
	tmpl            *template // nil while REVIEW_IN_PROGRESS
	body            string
	params          map[string]string // resolved values, defaults included
	capabilities    []string
	tags            []types.Tag
	disableRollback bool
	resources       []*resource // current template order
	outputs         []types.Output
	events          []types.StackEvent // oldest first
	version         int                // bumped by every execution: change sets made before are obsolete

	// pending describes of the stack still report pendingStatus and only
	// the first visibleEvents events.
	pending       int
	pendingStatus types.StackStatus
	visibleEvents int

	drift     *driftRun
	driftInfo types.StackDriftStatus
}

// resource is a resource of a stack: what the template asked for (props,
// resolved) and what is "actually" there (props overlaid by SetActual).
type resource struct {
	logicalID, rtype, physical string
	deletionPolicy             string
	raw                        map[string]any // Properties as written in the template the resource was last deployed with
	props                      map[string]any // raw, evaluated at that deployment
	shown                      map[string]any // props with NoEcho parameter values as "****": what may leave the server
	actual                     map[string]any // out-of-band changes; a nil value: the property is gone
	status                     types.ResourceStatus
	reason                     string
	updated                    time.Time
}

type changeSet struct {
	id, name      string
	stack         *stack
	csType        types.ChangeSetType
	tmpl          *template
	body          string
	params        map[string]string
	paramList     []types.Parameter
	changes       []types.Change
	status        types.ChangeSetStatus
	exec          types.ExecutionStatus
	reason        string
	created       time.Time
	capabilities  []string
	description   string
	includeNested bool
	tags          []types.Tag
	baseVersion   int
	pending       int  // describes that still show it being created
	described     bool // CREATE_PENDING only on the first describe
	executed      bool
	onFailure     types.OnStackFailure
	token         string // ClientToken of the request that made it
}

type driftRun struct {
	id      string
	results []types.StackResourceDrift
	status  types.StackDriftStatus
	drifted int32
	when    time.Time
	pending int
}

func (st *stack) resource(id string) *resource {
	for _, r := range st.resources {
		if r.logicalID == id {
			return r
		}
	}
	return nil
}

func (st *stack) noEcho() map[string]bool {
	out := map[string]bool{}
	if st.tmpl != nil {
		for _, p := range st.tmpl.Params {
			if p.NoEcho {
				out[p.Name] = true
			}
		}
	}
	return out
}

// inProgress reports whether the stack is in an *_IN_PROGRESS status (or
// still pretends to be).
func (st *stack) inProgress() bool {
	return st.pending > 0 || strings.HasSuffix(string(st.status), "_IN_PROGRESS") && st.status != types.StackStatusReviewInProgress
}

// visibleStatus is what a describe shows; it counts down the pending describes.
func (st *stack) visibleStatus(consume bool) (types.StackStatus, string) {
	if st.pending > 0 {
		if consume {
			st.pending--
		}
		return st.pendingStatus, "User Initiated"
	}
	return st.status, st.reason
}

func (st *stack) visibleEventList() []types.StackEvent {
	if st.pending > 0 && st.visibleEvents < len(st.events) {
		return st.events[:st.visibleEvents]
	}
	return st.events
}

// describe renders the stack for DescribeStacks.
func (st *stack) describe() types.Stack {
	status, reason := st.visibleStatus(true)
	out := types.Stack{
		StackId:         aws.String(st.id),
		StackName:       aws.String(st.name),
		StackStatus:     status,
		CreationTime:    aws.Time(st.created),
		DisableRollback: aws.Bool(st.disableRollback),
		Tags:            st.tags,
		DriftInformation: &types.StackDriftInformation{
			StackDriftStatus: types.StackDriftStatusNotChecked,
		},
		EnableTerminationProtection: aws.Bool(false),
	}
	if st.driftInfo != "" {
		out.DriftInformation.StackDriftStatus = st.driftInfo
		out.DriftInformation.LastCheckTimestamp = aws.Time(st.drift.when)
	}
	if reason != "" {
		out.StackStatusReason = aws.String(reason)
	}
	if !st.updated.IsZero() {
		out.LastUpdatedTime = aws.Time(st.updated)
	}
	for _, c := range st.capabilities {
		out.Capabilities = append(out.Capabilities, types.Capability(c))
	}
	if st.tmpl != nil {
		if st.tmpl.Description != "" {
			out.Description = aws.String(st.tmpl.Description)
		}
		out.Parameters = paramList(st.tmpl, st.params)
	}
	if st.pending == 0 && !strings.HasSuffix(string(status), "_IN_PROGRESS") {
		out.Outputs = st.outputs
	}
	return out
}

// paramList renders parameters as DescribeStacks and DescribeChangeSet show
// them: template order, NoEcho values as "****".
func paramList(t *template, values map[string]string) []types.Parameter {
	var out []types.Parameter
	for _, p := range t.Params {
		v, ok := values[p.Name]
		if !ok {
			continue
		}
		if p.NoEcho {
			v = masked
		}
		out = append(out, types.Parameter{ParameterKey: aws.String(p.Name), ParameterValue: aws.String(v)})
	}
	return out
}

// physicalID makes the fake's physical ID of a new resource: the custom
// name when the template gives one, else "<stack>-<LogicalId>-<suffix>" in
// the shape the resource type uses (a URL for queues, an ARN for topics).
func physicalID(stackName string, r resourceDef, props map[string]any, seq int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%d", stackName, r.LogicalID, seq)
	suffix := strings.ToUpper(fmt.Sprintf("%013x", h.Sum64()))[:13]
	generated := fmt.Sprintf("%s-%s-%s", stackName, r.LogicalID, suffix)
	named := func(prop string) string {
		if v, ok := props[prop].(string); ok && v != "" {
			return v
		}
		return ""
	}
	switch r.Type {
	case "AWS::S3::Bucket":
		if n := named("BucketName"); n != "" {
			return n
		}
		return strings.ToLower(generated)
	case "AWS::SSM::Parameter":
		if n := named("Name"); n != "" {
			return n
		}
		return fmt.Sprintf("CFN-%s-%s", r.LogicalID, suffix)
	case "AWS::SQS::Queue":
		n := named("QueueName")
		if n == "" {
			n = generated
		}
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", Region, AccountID, n)
	case "AWS::SNS::Topic":
		n := named("TopicName")
		if n == "" {
			n = generated
		}
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", Region, AccountID, n)
	}
	for _, prop := range []string{"FunctionName", "TableName", "RoleName", "LogGroupName", "Name"} {
		if n := named(prop); n != "" {
			return n
		}
	}
	return generated
}

// evaluatorFor evaluates templates against the stack's current resources;
// the IDs in pendingIDs are not known yet.
func (st *stack) evaluatorFor(params map[string]string, noEcho map[string]bool, pendingIDs map[string]bool) *evaluator {
	return &evaluator{
		stackName: st.name, stackID: st.id, params: params, noEcho: noEcho,
		resource: func(id string) (string, string, bool) {
			if pendingIDs[id] {
				return "", "", false
			}
			r := st.resource(id)
			if r == nil {
				return "", "", false
			}
			return r.physical, r.rtype, true
		},
	}
}

// computeOutputs evaluates the template's outputs against the current
// resources, in template order.
func (st *stack) computeOutputs() {
	st.outputs = nil
	if st.tmpl == nil {
		return
	}
	ev := st.evaluatorFor(st.params, st.noEcho(), nil)
	// No masking here: AWS shows an output that refers to a NoEcho parameter
	// in clear text (its docs warn against such outputs), so callers must
	// mask it themselves.
	for _, o := range st.tmpl.Outputs {
		out := types.Output{OutputKey: aws.String(o.Key), OutputValue: aws.String(renderValue(ev.eval(o.Value)))}
		if o.Description != "" {
			out.Description = aws.String(o.Description)
		}
		if o.ExportName != nil {
			out.ExportName = aws.String(renderValue(ev.eval(o.ExportName)))
		}
		st.outputs = append(st.outputs, out)
	}
}

// renderValue renders an evaluated value as a string: scalars as they are,
// lists comma-joined (how CloudFormation shows a list output), the rest as
// JSON.
func renderValue(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, c := range x {
			parts[i] = renderValue(c)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		return toJSON(x)
	case unknown:
		return "{{unknown " + x.cause + "}}"
	default:
		return scalarString(x)
	}
}

// actualProps is what drift detection sees: the expected properties with
// SetActual's changes applied.
func (r *resource) actualProps() map[string]any { return overlay(r.props, r.actual) }

// actualShown is actualProps with NoEcho values masked.
func (r *resource) actualShown() map[string]any { return overlay(r.shown, r.actual) }

func overlay(base, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func sortedChangeSets(all map[string]*changeSet, st *stack) []*changeSet {
	var out []*changeSet
	for _, cs := range all {
		if cs.stack == st {
			out = append(out, cs)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.Before(out[j].created)
		}
		return out[i].id < out[j].id
	})
	return out
}
