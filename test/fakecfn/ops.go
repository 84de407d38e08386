package fakecfn

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// handlers are the operations the fake answers; any other Action gets
// InvalidAction.
var handlers = map[string]handler{
	"ValidateTemplate":                  (*Server).validateTemplate,
	"DescribeStacks":                    (*Server).describeStacks,
	"CreateChangeSet":                   (*Server).createChangeSet,
	"DescribeChangeSet":                 (*Server).describeChangeSet,
	"ListChangeSets":                    (*Server).listChangeSets,
	"DeleteChangeSet":                   (*Server).deleteChangeSet,
	"ExecuteChangeSet":                  (*Server).executeChangeSet,
	"DescribeStackEvents":               (*Server).describeStackEvents,
	"DescribeStackResources":            (*Server).describeStackResources,
	"ListStackResources":                (*Server).listStackResources,
	"GetTemplate":                       (*Server).getTemplate,
	"DetectStackDrift":                  (*Server).detectStackDrift,
	"DescribeStackDriftDetectionStatus": (*Server).describeStackDriftDetectionStatus,
	"DescribeStackResourceDrifts":       (*Server).describeStackResourceDrifts,
	"DeleteStack":                       (*Server).deleteStack,
}

func missing(name string) *apiError {
	// the shape of AWS's constraint errors for a missing required member
	return validationError(fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name)))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func noStack(nameOrID string) *apiError {
	return validationError(fmt.Sprintf("Stack with id %s does not exist", nameOrID))
}

// liveStack finds a stack for the operations that need one.
func (s *Server) liveStack(f form) (*stack, *apiError) {
	name := f.str("StackName")
	if name == "" {
		return nil, missing("StackName")
	}
	st := s.findStack(name)
	if st == nil || st.status == types.StackStatusDeleteComplete && st.id != name {
		return nil, noStack(name)
	}
	return st, nil
}

func (s *Server) validateTemplate(f form) (smithy.Serializable, *apiError) {
	t, err := templateFrom(f)
	if err != nil {
		return nil, err
	}
	out := &cfn.ValidateTemplateOutput{Parameters: []types.TemplateParameter{}}
	if t.Description != "" {
		out.Description = aws.String(t.Description)
	}
	for _, p := range t.Params {
		tp := types.TemplateParameter{ParameterKey: aws.String(p.Name), NoEcho: aws.Bool(p.NoEcho), DefaultValue: p.Default}
		if p.Description != "" {
			tp.Description = aws.String(p.Description)
		}
		out.Parameters = append(out.Parameters, tp)
	}
	if c, rtypes := t.capabilitiesNeeded(); c != "" {
		out.Capabilities = []types.Capability{types.Capability(c)}
		out.CapabilitiesReason = aws.String(fmt.Sprintf("The following resource(s) require capabilities: [%s]", strings.Join(rtypes, ", ")))
	}
	return out, nil
}

func templateFrom(f form) (*template, *apiError) {
	if f.str("TemplateURL") != "" {
		return nil, validationError("fakecfn: TemplateURL is not supported, send TemplateBody")
	}
	body := f.str("TemplateBody")
	if body == "" {
		return nil, validationError("Either Template URL or Template Body must be specified.")
	}
	return parseTemplate(body)
}

func (s *Server) describeStacks(f form) (smithy.Serializable, *apiError) {
	name := f.str("StackName")
	out := &cfn.DescribeStacksOutput{Stacks: []types.Stack{}}
	if name != "" {
		st := s.findStack(name)
		if st == nil || st.status == types.StackStatusDeleteComplete && st.id != name {
			return nil, noStack(name)
		}
		out.Stacks = append(out.Stacks, st.describe())
		return out, nil
	}
	var all []*stack
	for _, st := range s.stacks {
		all = append(all, st)
	}
	slices.SortFunc(all, func(a, b *stack) int { return a.created.Compare(b.created) })
	pageItems, next, err := page(all, f.str("NextToken"), s.pageSize)
	if err != nil {
		return nil, err
	}
	for _, st := range pageItems {
		out.Stacks = append(out.Stacks, st.describe())
	}
	out.NextToken = next
	return out, nil
}

var changeSetName = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func (s *Server) createChangeSet(f form) (smithy.Serializable, *apiError) {
	stackName, csName := f.str("StackName"), f.str("ChangeSetName")
	switch {
	case stackName == "":
		return nil, missing("StackName")
	case csName == "":
		return nil, missing("ChangeSetName")
	case !changeSetName.MatchString(csName):
		return nil, validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", csName))
	}
	csType := types.ChangeSetType(f.str("ChangeSetType"))
	if csType == "" {
		csType = types.ChangeSetTypeUpdate
	}
	st := s.findStack(stackName)
	if st != nil && st.status == types.StackStatusDeleteComplete {
		st = nil
	}
	switch csType {
	case types.ChangeSetTypeCreate:
		if st != nil && st.status != types.StackStatusReviewInProgress {
			return nil, validationError(fmt.Sprintf("Stack [%s] already exists and cannot be created again with the changeSet [%s].", stackName, csName))
		}
	case types.ChangeSetTypeUpdate:
		if st == nil || st.status == types.StackStatusReviewInProgress {
			return nil, validationError(fmt.Sprintf("Stack [%s] does not exist", stackName))
		}
		if st.inProgress() || !updatable(st.status) {
			status, _ := st.visibleStatus(false)
			return nil, validationError(fmt.Sprintf("Stack:%s is in %s state and can not be updated.", st.id, status))
		}
	default:
		return nil, validationError(fmt.Sprintf("fakecfn: ChangeSetType %s is not supported", csType))
	}
	var existing *changeSet
	if st != nil {
		for _, cs := range sortedChangeSets(s.changeSets, st) {
			if cs.name == csName {
				existing = cs
			}
		}
	}

	var t *template
	var body string
	if f.flag("UsePreviousTemplate") {
		if st == nil || st.tmpl == nil {
			return nil, validationError("UsePreviousTemplate can only be used with an existing stack") // wording unconfirmed
		}
		t, body = st.tmpl, st.body
	} else {
		var err *apiError
		if t, err = templateFrom(f); err != nil {
			return nil, err
		}
		body = f.str("TemplateBody")
	}
	var previous map[string]string
	if st != nil {
		previous = st.params
	}
	params, err := resolveParams(t, f.structs("Parameters"), previous)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		// The same request again is answered with the change set it made; a
		// different one is refused naming the first attribute that differs
		// (AWS's wording, e.g. "... mismatch with existing attribute
		// ClientToken"; which attributes it compares, in which order, is
		// unconfirmed).
		mismatch := ""
		switch {
		case existing.body != body:
			mismatch = "Template"
		case !maps.Equal(existing.params, params):
			mismatch = "Parameters"
		case existing.token != f.str("ClientToken"):
			mismatch = "ClientToken"
		}
		if mismatch == "" {
			return &cfn.CreateChangeSetOutput{Id: aws.String(existing.id), StackId: aws.String(st.id)}, nil
		}
		return nil, &apiError{status: http.StatusBadRequest, code: "AlreadyExistsException", sender: true,
			message: fmt.Sprintf("ChangeSet %s cannot be created due to a mismatch with existing attribute %s", csName, mismatch)}
	}
	capabilities := f.list("Capabilities")
	if need, _ := t.capabilitiesNeeded(); need != "" && !slices.Contains(capabilities, need) &&
		!(need == "CAPABILITY_IAM" && slices.Contains(capabilities, "CAPABILITY_NAMED_IAM")) {
		return nil, &apiError{status: http.StatusBadRequest, code: "InsufficientCapabilitiesException",
			message: fmt.Sprintf("Requires capabilities : [%s]", need), sender: true}
	}
	if st != nil {
		for _, r := range t.Resources {
			if cur := st.resource(r.LogicalID); cur != nil && cur.rtype != r.Type {
				return nil, validationError(fmt.Sprintf("Update of resource type is not permitted. The new template modifies resource type of the following resources: [%s]", r.LogicalID))
			}
		}
	}

	now := s.now()
	if st == nil {
		s.seq++
		st = &stack{
			id:      fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", Region, AccountID, stackName, uuid(s.seq)),
			name:    stackName,
			status:  types.StackStatusReviewInProgress,
			reason:  reasonUserInitiated,
			created: now,
			params:  map[string]string{},
		}
		s.stacks[stackName], s.stacksByID[st.id] = st, st
		s.stackEvent(st, types.StackStatusReviewInProgress, reasonUserInitiated)
	}
	s.seq++
	cs := &changeSet{
		id:            fmt.Sprintf("arn:aws:cloudformation:%s:%s:changeSet/%s/%s", Region, AccountID, csName, uuid(s.seq)),
		name:          csName,
		stack:         st,
		csType:        csType,
		tmpl:          t,
		body:          body,
		params:        params,
		status:        types.ChangeSetStatusCreateComplete,
		exec:          types.ExecutionStatusAvailable,
		created:       now,
		capabilities:  capabilities,
		description:   f.str("Description"),
		includeNested: f.flag("IncludeNestedStacks"),
		baseVersion:   st.version,
		pending:       s.pendingN,
		onFailure:     types.OnStackFailure(f.str("OnStackFailure")),
		token:         f.str("ClientToken"),
	}
	for _, tag := range f.structs("Tags") {
		cs.tags = append(cs.tags, types.Tag{Key: aws.String(tag["Key"]), Value: aws.String(tag["Value"])})
	}
	cs.changes = computeChanges(changeInput{st: st, newT: t, newParams: params, recreation: s.requiresRecreation, includeValues: true})
	if len(cs.changes) == 0 {
		cs.status = types.ChangeSetStatusFailed
		cs.exec = types.ExecutionStatusUnavailable
		// AWS's current wording; older stacks answered "No updates are to be performed."
		cs.reason = "The submitted information didn't contain changes. Submit different information to create a change set."
	}
	s.changeSets[cs.id] = cs
	return &cfn.CreateChangeSetOutput{Id: aws.String(cs.id), StackId: aws.String(st.id)}, nil
}

// updatable is whether a stack in status may get an UPDATE change set.
func updatable(status types.StackStatus) bool {
	switch status {
	case types.StackStatusCreateComplete, types.StackStatusUpdateComplete, types.StackStatusUpdateRollbackComplete,
		types.StackStatusUpdateFailed, types.StackStatusCreateFailed, types.StackStatusImportComplete:
		return true
	}
	return false
}

// resolveParams gives every template parameter its value: the one passed,
// the previous one (UsePreviousValue), or the default.
func resolveParams(t *template, given []map[string]string, previous map[string]string) (map[string]string, *apiError) {
	out := map[string]string{}
	var unknownKeys []string
	for _, p := range given {
		key := p["ParameterKey"]
		if _, ok := t.param(key); !ok {
			unknownKeys = append(unknownKeys, key)
			continue
		}
		if p["UsePreviousValue"] == "true" {
			prev, ok := previous[key]
			if !ok {
				return nil, validationError(fmt.Sprintf("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", key))
			}
			out[key] = prev
			continue
		}
		out[key] = p["ParameterValue"]
	}
	if len(unknownKeys) > 0 {
		return nil, validationError(fmt.Sprintf("Parameters: [%s] do not exist in the template", strings.Join(unknownKeys, ", ")))
	}
	var missingKeys []string
	for _, p := range t.Params {
		if _, ok := out[p.Name]; ok {
			continue
		}
		if p.Default != nil {
			out[p.Name] = *p.Default
			continue
		}
		missingKeys = append(missingKeys, p.Name)
	}
	if len(missingKeys) > 0 {
		return nil, validationError(fmt.Sprintf("Parameters: [%s] must have values", strings.Join(missingKeys, ", ")))
	}
	for _, p := range t.Params {
		if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, out[p.Name]) {
			return nil, validationError(fmt.Sprintf("Parameter '%s' must be one of AllowedValues", p.Name))
		}
	}
	return out, nil
}

// findChangeSet resolves ChangeSetName (a name with StackName, or an ARN).
func (s *Server) findChangeSet(f form) (*changeSet, *apiError) {
	name := f.str("ChangeSetName")
	if name == "" {
		return nil, missing("ChangeSetName")
	}
	notFound := &apiError{status: http.StatusNotFound, code: "ChangeSetNotFound", message: fmt.Sprintf("ChangeSet [%s] does not exist", name), sender: true}
	if strings.HasPrefix(name, "arn:") {
		if cs := s.changeSets[name]; cs != nil {
			return cs, nil
		}
		return nil, notFound
	}
	stackName := f.str("StackName")
	if stackName == "" {
		return nil, validationError("StackName must be specified if ChangeSetName is not specified as an ARN.")
	}
	st := s.findStack(stackName)
	if st == nil {
		return nil, notFound
	}
	for _, cs := range sortedChangeSets(s.changeSets, st) {
		if cs.name == name {
			return cs, nil
		}
	}
	return nil, notFound
}

// visible is the change set's status and execution status as a describe
// shows them; consume counts a pending describe.
func (cs *changeSet) visible(consume bool) (types.ChangeSetStatus, types.ExecutionStatus, bool) {
	if cs.pending > 0 {
		status := types.ChangeSetStatusCreateInProgress
		if consume {
			if !cs.described {
				status = types.ChangeSetStatusCreatePending
			}
			cs.described = true
			cs.pending--
		}
		return status, types.ExecutionStatusUnavailable, false
	}
	exec := cs.exec
	switch {
	case cs.executed && cs.stack.pending > 0:
		exec = types.ExecutionStatusExecuteInProgress
	case exec == types.ExecutionStatusAvailable && cs.stack.version != cs.baseVersion:
		exec = types.ExecutionStatusObsolete
	}
	return cs.status, exec, true
}

func (s *Server) describeChangeSet(f form) (smithy.Serializable, *apiError) {
	cs, err := s.findChangeSet(f)
	if err != nil {
		return nil, err
	}
	status, exec, ready := cs.visible(true)
	out := &cfn.DescribeChangeSetOutput{
		ChangeSetId:           aws.String(cs.id),
		ChangeSetName:         aws.String(cs.name),
		StackId:               aws.String(cs.stack.id),
		StackName:             aws.String(cs.stack.name),
		Status:                status,
		ExecutionStatus:       exec,
		CreationTime:          aws.Time(cs.created),
		IncludeNestedStacks:   aws.Bool(cs.includeNested),
		Parameters:            paramList(cs.tmpl, cs.params),
		Tags:                  cs.tags,
		NotificationARNs:      []string{},
		RollbackConfiguration: &types.RollbackConfiguration{},
		Changes:               []types.Change{},
	}
	for _, c := range cs.capabilities {
		out.Capabilities = append(out.Capabilities, types.Capability(c))
	}
	if cs.description != "" {
		out.Description = aws.String(cs.description)
	}
	if cs.reason != "" && ready {
		out.StatusReason = aws.String(cs.reason)
	}
	if !ready {
		return out, nil
	}
	changes, next, perr := page(cs.changes, f.str("NextToken"), s.pageSize)
	if perr != nil {
		return nil, perr
	}
	values := f.flag("IncludePropertyValues")
	for _, c := range changes {
		out.Changes = append(out.Changes, withoutValues(c, values))
	}
	out.NextToken = next
	return out, nil
}

// withoutValues drops the property values that only IncludePropertyValues
// asks for.
func withoutValues(c types.Change, keep bool) types.Change {
	if keep || c.ResourceChange == nil {
		return c
	}
	rc := *c.ResourceChange
	rc.BeforeContext, rc.AfterContext = nil, nil
	rc.Details = make([]types.ResourceChangeDetail, len(c.ResourceChange.Details))
	for i, d := range c.ResourceChange.Details {
		t := *d.Target
		t.BeforeValue, t.AfterValue = nil, nil
		d.Target = &t
		rc.Details[i] = d
	}
	c.ResourceChange = &rc
	return c
}

func (s *Server) listChangeSets(f form) (smithy.Serializable, *apiError) {
	st, err := s.liveStack(f)
	if err != nil {
		return nil, err
	}
	all := sortedChangeSets(s.changeSets, st)
	items, next, err := page(all, f.str("NextToken"), s.pageSize)
	if err != nil {
		return nil, err
	}
	out := &cfn.ListChangeSetsOutput{Summaries: []types.ChangeSetSummary{}, NextToken: next}
	for _, cs := range items {
		status, exec, ready := cs.visible(false)
		sum := types.ChangeSetSummary{
			ChangeSetId: aws.String(cs.id), ChangeSetName: aws.String(cs.name),
			StackId: aws.String(st.id), StackName: aws.String(st.name),
			Status: status, ExecutionStatus: exec, CreationTime: aws.Time(cs.created),
			IncludeNestedStacks: aws.Bool(cs.includeNested),
		}
		if cs.description != "" {
			sum.Description = aws.String(cs.description)
		}
		if cs.reason != "" && ready {
			sum.StatusReason = aws.String(cs.reason)
		}
		out.Summaries = append(out.Summaries, sum)
	}
	return out, nil
}

func (s *Server) deleteChangeSet(f form) (smithy.Serializable, *apiError) {
	cs, err := s.findChangeSet(f)
	if err != nil {
		return nil, err
	}
	if _, exec, _ := cs.visible(false); exec == types.ExecutionStatusExecuteInProgress {
		// the answer the CDK reports for this case
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidChangeSetStatus",
			message: "An operation on this ChangeSet is currently in progress.  Please attempt this operation again later.", sender: true}
	}
	delete(s.changeSets, cs.id)
	return &cfn.DeleteChangeSetOutput{}, nil
}

func (s *Server) executeChangeSet(f form) (smithy.Serializable, *apiError) {
	cs, err := s.findChangeSet(f)
	if err != nil {
		return nil, err
	}
	status, exec, _ := cs.visible(false)
	if status != types.ChangeSetStatusCreateComplete {
		// wording from AWS answers quoted in public issues (sam-cli, nova)
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidChangeSetStatus",
			message: fmt.Sprintf("ChangeSet [%s] cannot be executed in its current status of [%s]", cs.id, status), sender: true}
	}
	if exec != types.ExecutionStatusAvailable {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidChangeSetStatus",
			message: fmt.Sprintf("ChangeSet [%s] cannot be executed in its current execution status of [%s]", cs.id, exec), sender: true}
	}
	st := cs.stack
	if st.inProgress() {
		vs, _ := st.visibleStatus(false)
		return nil, validationError(fmt.Sprintf("Stack:%s is in %s state and can not be updated.", st.id, vs))
	}
	// executing a change set deletes every other change set of the stack
	for _, other := range sortedChangeSets(s.changeSets, st) {
		if other != cs {
			delete(s.changeSets, other.id)
		}
	}
	if f.flag("DisableRollback") && cs.onFailure != "" {
		return nil, validationError("You can't specify both OnStackFailure and DisableRollback.") // wording unconfirmed; false is let through
	}
	disableRollback := f.flag("DisableRollback") || cs.onFailure == types.OnStackFailureDoNothing
	cs.executed = true
	cs.exec = types.ExecutionStatusExecuteInProgress
	s.token = f.str("ClientRequestToken")
	s.execute(st, cs, disableRollback)
	s.token = ""
	if cs.onFailure == types.OnStackFailureDelete && st.status == types.StackStatusRollbackComplete {
		s.deleteStack(form{"StackName": {st.name}})
	}
	return &cfn.ExecuteChangeSetOutput{}, nil
}

func (s *Server) describeStackEvents(f form) (smithy.Serializable, *apiError) {
	st, err := s.liveStack(f)
	if err != nil {
		return nil, err
	}
	events := st.visibleEventList()
	newestFirst := make([]types.StackEvent, len(events))
	for i, e := range events {
		newestFirst[len(events)-1-i] = e
	}
	items, next, err := page(newestFirst, f.str("NextToken"), s.pageSize)
	if err != nil {
		return nil, err
	}
	return &cfn.DescribeStackEventsOutput{StackEvents: items, NextToken: next}, nil
}

func (s *Server) describeStackResources(f form) (smithy.Serializable, *apiError) {
	st, err := s.liveStack(f)
	if err != nil {
		return nil, err
	}
	out := &cfn.DescribeStackResourcesOutput{StackResources: []types.StackResource{}}
	want := f.str("LogicalResourceId")
	for _, r := range st.resources {
		if want != "" && r.logicalID != want {
			continue
		}
		sr := types.StackResource{
			LogicalResourceId: aws.String(r.logicalID), ResourceType: aws.String(r.rtype),
			ResourceStatus: r.status, StackId: aws.String(st.id), StackName: aws.String(st.name),
			Timestamp: aws.Time(r.updated), DriftInformation: s.resourceDriftInfo(st, r),
		}
		if r.physical != "" {
			sr.PhysicalResourceId = aws.String(r.physical)
		}
		if r.reason != "" {
			sr.ResourceStatusReason = aws.String(r.reason)
		}
		out.StackResources = append(out.StackResources, sr)
	}
	return out, nil
}

func (s *Server) listStackResources(f form) (smithy.Serializable, *apiError) {
	st, err := s.liveStack(f)
	if err != nil {
		return nil, err
	}
	items, next, err := page(st.resources, f.str("NextToken"), s.pageSize)
	if err != nil {
		return nil, err
	}
	out := &cfn.ListStackResourcesOutput{StackResourceSummaries: []types.StackResourceSummary{}, NextToken: next}
	for _, r := range items {
		sum := types.StackResourceSummary{
			LogicalResourceId: aws.String(r.logicalID), ResourceType: aws.String(r.rtype),
			ResourceStatus: r.status, LastUpdatedTimestamp: aws.Time(r.updated),
		}
		if di := s.resourceDriftInfo(st, r); di != nil {
			sum.DriftInformation = &types.StackResourceDriftInformationSummary{
				StackResourceDriftStatus: di.StackResourceDriftStatus, LastCheckTimestamp: di.LastCheckTimestamp,
			}
		}
		if r.physical != "" {
			sum.PhysicalResourceId = aws.String(r.physical)
		}
		if r.reason != "" {
			sum.ResourceStatusReason = aws.String(r.reason)
		}
		out.StackResourceSummaries = append(out.StackResourceSummaries, sum)
	}
	return out, nil
}

func (s *Server) getTemplate(f form) (smithy.Serializable, *apiError) {
	if f.str("ChangeSetName") != "" {
		cs, err := s.findChangeSet(f)
		if err != nil {
			return nil, err
		}
		return &cfn.GetTemplateOutput{TemplateBody: aws.String(cs.body),
			StagesAvailable: []types.TemplateStage{types.TemplateStageOriginal, types.TemplateStageProcessed}}, nil
	}
	st, err := s.liveStack(f)
	if err != nil {
		return nil, err
	}
	if st.tmpl == nil {
		return nil, noStack(f.str("StackName")) // a stack in REVIEW_IN_PROGRESS has no template yet (unconfirmed)
	}
	return &cfn.GetTemplateOutput{TemplateBody: aws.String(st.body),
		StagesAvailable: []types.TemplateStage{types.TemplateStageOriginal, types.TemplateStageProcessed}}, nil
}

func (s *Server) deleteStack(f form) (smithy.Serializable, *apiError) {
	name := f.str("StackName")
	if name == "" {
		return nil, missing("StackName")
	}
	st := s.findStack(name)
	if st == nil || st.status == types.StackStatusDeleteComplete {
		return &cfn.DeleteStackOutput{}, nil // deleting a stack that is not there succeeds
	}
	s.stackEvent(st, types.StackStatusDeleteInProgress, reasonUserInitiated)
	for i := len(st.resources) - 1; i >= 0; i-- {
		r := st.resources[i]
		s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusDeleteInProgress, "")
		s.resourceEvent(st, r.logicalID, r.physical, r.rtype, types.ResourceStatusDeleteComplete, "")
	}
	s.stackEvent(st, types.StackStatusDeleteComplete, "")
	st.resources, st.outputs = nil, nil
	st.status, st.reason = types.StackStatusDeleteComplete, ""
	for _, cs := range sortedChangeSets(s.changeSets, st) {
		delete(s.changeSets, cs.id)
	}
	delete(s.stacks, st.name)
	return &cfn.DeleteStackOutput{}, nil
}
