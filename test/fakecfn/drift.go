package fakecfn

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// Drift: a resource's expected properties are what the last execution
// wrote; its actual ones are those overlaid by [Server.SetActual].
// DetectStackDrift compares them for every resource of the stack.

func (s *Server) detectStackDrift(f form) (smithy.Serializable, *apiError) {
	st, err := s.liveStack(f)
	if err != nil {
		return nil, err
	}
	if st.tmpl == nil || st.inProgress() {
		status, _ := st.visibleStatus(false)
		return nil, validationError(fmt.Sprintf("Stack %s is in %s state and drift detection cannot be performed.", st.id, status)) // wording unconfirmed
	}
	now := s.now()
	s.seq++
	run := &driftRun{id: uuid(s.seq), when: now, pending: s.pendingN, status: types.StackDriftStatusInSync}
	for _, r := range st.resources {
		if r.physical == "" {
			continue
		}
		// compared in clear, shown with NoEcho values masked
		expected, actual := r.props, r.actualProps()
		expShown, actShown := r.shown, r.actualShown()
		d := types.StackResourceDrift{
			StackId: aws.String(st.id), LogicalResourceId: aws.String(r.logicalID),
			PhysicalResourceId: aws.String(r.physical), ResourceType: aws.String(r.rtype),
			ExpectedProperties: aws.String(toJSON(expShown)), ActualProperties: aws.String(toJSON(actShown)),
			StackResourceDriftStatus: types.StackResourceDriftStatusInSync, Timestamp: aws.Time(now),
			PropertyDifferences: []types.PropertyDifference{},
		}
		keys := map[string]bool{}
		for k := range expected {
			keys[k] = true
		}
		for k := range actual {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			ev, inE := expected[k]
			av, inA := actual[k]
			evShown, avShown := expShown[k], actShown[k]
			pd := types.PropertyDifference{PropertyPath: aws.String("/" + k)}
			switch {
			case inE && !inA:
				pd.DifferenceType, pd.ExpectedValue, pd.ActualValue = types.DifferenceTypeRemove, aws.String(renderValue(evShown)), aws.String("null")
			case !inE && inA:
				pd.DifferenceType, pd.ExpectedValue, pd.ActualValue = types.DifferenceTypeAdd, aws.String("null"), aws.String(renderValue(avShown))
			case !sameValue(ev, av):
				pd.DifferenceType, pd.ExpectedValue, pd.ActualValue = types.DifferenceTypeNotEqual, aws.String(renderValue(evShown)), aws.String(renderValue(avShown))
			default:
				continue
			}
			d.PropertyDifferences = append(d.PropertyDifferences, pd)
		}
		if len(d.PropertyDifferences) > 0 {
			d.StackResourceDriftStatus = types.StackResourceDriftStatusModified
			run.status = types.StackDriftStatusDrifted
			run.drifted++
		}
		run.results = append(run.results, d)
	}
	s.drifts[run.id] = run
	st.drift = run
	st.driftInfo = run.status
	return &cfn.DetectStackDriftOutput{StackDriftDetectionId: aws.String(run.id)}, nil
}

func (s *Server) describeStackDriftDetectionStatus(f form) (smithy.Serializable, *apiError) {
	id := f.str("StackDriftDetectionId")
	if id == "" {
		return nil, missing("StackDriftDetectionId")
	}
	run := s.drifts[id]
	if run == nil {
		return nil, validationError(fmt.Sprintf("Drift detection ID %s does not exist", id)) // wording unconfirmed
	}
	var st *stack
	for _, candidate := range s.stacksByID {
		if candidate.drift == run {
			st = candidate
		}
	}
	out := &cfn.DescribeStackDriftDetectionStatusOutput{
		StackDriftDetectionId: aws.String(run.id),
		Timestamp:             aws.Time(run.when),
		DetectionStatus:       types.StackDriftDetectionStatusDetectionInProgress,
	}
	if st != nil {
		out.StackId = aws.String(st.id)
	}
	if run.pending > 0 {
		run.pending--
		return out, nil
	}
	out.DetectionStatus = types.StackDriftDetectionStatusDetectionComplete
	out.StackDriftStatus = run.status
	out.DriftedStackResourceCount = aws.Int32(run.drifted)
	return out, nil
}

func (s *Server) describeStackResourceDrifts(f form) (smithy.Serializable, *apiError) {
	st, err := s.liveStack(f)
	if err != nil {
		return nil, err
	}
	out := &cfn.DescribeStackResourceDriftsOutput{StackResourceDrifts: []types.StackResourceDrift{}}
	if st.drift == nil {
		return out, nil
	}
	filters := f.list("StackResourceDriftStatusFilters")
	var all []types.StackResourceDrift
	for _, d := range st.drift.results {
		if len(filters) == 0 || slices.Contains(filters, string(d.StackResourceDriftStatus)) {
			all = append(all, d)
		}
	}
	size := s.pageSize
	if n := f.str("MaxResults"); n != "" {
		var m int
		if _, scanErr := fmt.Sscan(n, &m); scanErr == nil && m > 0 && m < size {
			size = m
		}
	}
	items, next, err := page(all, f.str("NextToken"), size)
	if err != nil {
		return nil, err
	}
	out.StackResourceDrifts, out.NextToken = items, next
	return out, nil
}

// resourceDriftInfo is a resource's drift status from the last detection.
func (s *Server) resourceDriftInfo(st *stack, r *resource) *types.StackResourceDriftInformation {
	info := &types.StackResourceDriftInformation{StackResourceDriftStatus: types.StackResourceDriftStatusNotChecked}
	if st.drift == nil {
		return info
	}
	for _, d := range st.drift.results {
		if aws.ToString(d.LogicalResourceId) == r.logicalID {
			info.StackResourceDriftStatus = d.StackResourceDriftStatus
			info.LastCheckTimestamp = aws.Time(st.drift.when)
		}
	}
	return info
}
