package cloudformation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// StaleError is a saved plan apply refuses before executing anything: its
// change set is gone or no longer executable, or the template or
// parameters file changed since the plan. It is engine.ErrStalePlan.
type StaleError struct {
	Reason string
}

func (e *StaleError) Error() string {
	return "cloudformation refused the saved plan as stale: " + e.Reason + ": " + engine.ErrStalePlan.Error()
}

func (e *StaleError) Unwrap() error { return engine.ErrStalePlan }

// Apply executes exactly the saved plan's change set, by ARN, after
// checking that the template and parameters file are the planned ones and
// that the change set still exists, is CREATE_COMPLETE and AVAILABLE. Any
// of those failing is a *StaleError (engine.ErrStalePlan) and nothing is
// executed. The stack's events are logged as they come; the report says
// per planned resource whether it was applied, failed (with
// CloudFormation's reason) or was never reached.
func (a *Adapter) Apply(ctx context.Context, o engine.ApplyOptions) (*engine.ApplyReport, error) {
	report := &engine.ApplyReport{}
	sp, err := readPlanFile(a.abs(o.PlanFile))
	if err != nil {
		return report, err
	}
	summary, err := summarize(sp)
	if err != nil {
		return report, err
	}
	for _, c := range summary.Changes {
		report.Planned = append(report.Planned, engine.ResourceResult{Address: c.Address, Action: string(c.Action)})
	}
	if !sp.HasChanges {
		return report, nil
	}
	if sp.Stack != a.o.Stack {
		return report, fmt.Errorf("the saved plan is for the stack %s, not %s (the stack input)", sp.Stack, a.o.Stack)
	}
	in, err := a.readInputs()
	if err != nil {
		return report, err
	}
	if in.templateSHA256 != sp.TemplateSHA256 || sp.Template != a.o.Template {
		return report, &StaleError{fmt.Sprintf("the template %s is not the one planned (SHA-256 %s, planned %s of %s)", a.o.Template, short(in.templateSHA256), short(sp.TemplateSHA256), sp.Template)}
	}
	if in.parametersSHA256 != sp.ParametersSHA256 || sp.ParametersFile != a.o.ParametersFile {
		return report, &StaleError{fmt.Sprintf("the parameters file %q is not the one planned (%q)", a.o.ParametersFile, sp.ParametersFile)}
	}
	c, err := a.cfnClient(ctx)
	if err != nil {
		return report, err
	}
	if sp.Region != "" && sp.Region != a.region {
		return report, fmt.Errorf("the saved plan was made in the AWS region %s, and apply runs in %s: run both in the same region", sp.Region, a.region)
	}
	desc, err := c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: aws.String(sp.ChangeSetARN)})
	if changeSetMissing(err) {
		return report, &StaleError{fmt.Sprintf("the change set %s no longer exists (executing another change set of the stack deletes it, or it was deleted)", sp.ChangeSetName)}
	}
	if err != nil {
		return report, fmt.Errorf("describing the change set %s: %w", sp.ChangeSetName, err)
	}
	if desc.Status != types.ChangeSetStatusCreateComplete || desc.ExecutionStatus != types.ExecutionStatusAvailable {
		return report, &StaleError{fmt.Sprintf("the change set %s is %s with execution status %s, not CREATE_COMPLETE and AVAILABLE (%s)",
			sp.ChangeSetName, desc.Status, desc.ExecutionStatus, orNone(aws.ToString(desc.StatusReason)))}
	}
	if id := aws.ToString(desc.StackId); sp.StackID != "" && id != "" && id != sp.StackID {
		return report, &StaleError{fmt.Sprintf("the change set belongs to the stack %s, not to the planned %s", id, sp.StackID)}
	}

	f := &follower{a: a, c: c, stack: sp.Stack, stackID: sp.StackID, secrets: redact.New(a.secrets(sp.NoEcho), "***")}
	if err := f.mark(ctx); err != nil {
		return report, err
	}
	fmt.Fprintf(a.log, "Executing the change set %s (%s) of stack %s, rollback %s…\n", sp.ChangeSetName, sp.ChangeSetType, sp.Stack, onOff(a.o.Rollback))
	_, err = c.ExecuteChangeSet(ctx, &cfn.ExecuteChangeSetInput{
		ChangeSetName:   aws.String(sp.ChangeSetARN),
		DisableRollback: aws.Bool(!a.o.Rollback),
		// The SDK retries a request whose answer was lost; the token makes
		// CloudFormation take the retry for the execution it already
		// started, not refuse it as a second one.
		ClientRequestToken: aws.String(executionToken(sp.ChangeSetARN)),
	})
	var invalid *types.InvalidChangeSetStatusException
	if changeSetMissing(err) || errors.As(err, &invalid) {
		return report, &StaleError{fmt.Sprintf("CloudFormation refused to execute the change set %s: %v", sp.ChangeSetName, err)}
	}
	if err != nil {
		return report, fmt.Errorf("executing the change set %s: %w", sp.ChangeSetName, err)
	}
	status, err := f.follow(ctx)
	*report = *applyReport(report.Planned, f.events, sp.Stack, status, f.secrets)
	if err != nil {
		return report, fmt.Errorf("following the stack %s (CloudFormation goes on with the change set; see the stack's events): %w", sp.Stack, err)
	}
	if !succeeded(status) {
		msg := fmt.Sprintf("the change set %s of stack %s ended %s", sp.ChangeSetName, sp.Stack, status)
		if strings.Contains(string(status), "ROLLBACK") {
			msg += " (CloudFormation rolled it back, engine-rollback: true)"
		}
		if len(report.Failed) > 0 {
			msg += fmt.Sprintf("; %s failed: %s", report.Failed[0].Address, report.Failed[0].Error)
		}
		return report, errors.New(msg)
	}
	outs, err := a.Outputs(ctx)
	if err != nil {
		return report, err
	}
	report.Outputs = outs
	return report, nil
}

// executionToken is the ClientRequestToken of a change set's execution:
// lockstep- and the change set ARN's unique ID, which CloudFormation makes
// per change set (a change set executes at most once).
func executionToken(arn string) string {
	id := arn[strings.LastIndex(arn, "/")+1:]
	var b strings.Builder
	for _, r := range id {
		if r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	token := "lockstep-" + b.String()
	if len(token) > 128 {
		token = token[:128]
	}
	return token
}

func succeeded(s types.StackStatus) bool {
	return s == types.StackStatusCreateComplete || s == types.StackStatusUpdateComplete || s == types.StackStatusImportComplete
}

func onOff(b bool) string {
	if b {
		return "on (engine-rollback)"
	}
	return "off"
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// follower follows one execution's stack events.
type follower struct {
	a       *Adapter
	c       *cfn.Client
	stack   string
	stackID string
	secrets *redact.Replacer
	// seen is the newest event before (or during) the execution.
	seen   string
	events []types.StackEvent // this execution's, oldest first
}

// mark remembers the stack's newest event, so that only this execution's
// events are followed.
func (f *follower) mark(ctx context.Context) error {
	out, err := f.c.DescribeStackEvents(ctx, &cfn.DescribeStackEventsInput{StackName: aws.String(f.stack)})
	if err != nil {
		return fmt.Errorf("reading the events of stack %s: %w", f.stack, err)
	}
	if len(out.StackEvents) > 0 {
		f.seen = aws.ToString(out.StackEvents[0].EventId)
	}
	return nil
}

// maxQuietPolls is how many polls may pass without an event of this
// execution before the stack's status is believed anyway.
const maxQuietPolls = 60

// follow polls the stack until its status is final for this execution,
// logging each new event. It returns the stack's final status.
func (f *follower) follow(ctx context.Context) (types.StackStatus, error) {
	for polls := 0; ; polls++ {
		st, err := f.a.describeStack(ctx, f.c)
		if err != nil {
			return "", err
		}
		if st == nil {
			return "", fmt.Errorf("the stack %s no longer exists", f.stack)
		}
		if err := f.poll(ctx); err != nil {
			return "", err
		}
		started := slices.ContainsFunc(f.events, f.isStack)
		if !strings.HasSuffix(string(st.StackStatus), "_IN_PROGRESS") && (started || polls >= maxQuietPolls) {
			return st.StackStatus, nil
		}
		if err := sleep(ctx, f.a.o.PollInterval); err != nil {
			return st.StackStatus, err
		}
	}
}

// poll reads the events newer than the last one seen, pages of them
// newest first, and logs them oldest first.
func (f *follower) poll(ctx context.Context) error {
	var fresh []types.StackEvent
	pages := cfn.NewDescribeStackEventsPaginator(f.c, &cfn.DescribeStackEventsInput{StackName: aws.String(f.stack)})
pages:
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("reading the events of stack %s: %w", f.stack, err)
		}
		for _, ev := range page.StackEvents {
			if f.seen != "" && aws.ToString(ev.EventId) == f.seen {
				break pages
			}
			fresh = append(fresh, ev)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	f.seen = aws.ToString(fresh[0].EventId)
	slices.Reverse(fresh)
	for _, ev := range fresh {
		line := fmt.Sprintf("%s  %-28s %s %s", aws.ToTime(ev.Timestamp).UTC().Format("15:04:05"), ev.ResourceStatus, aws.ToString(ev.ResourceType), aws.ToString(ev.LogicalResourceId))
		if r := aws.ToString(ev.ResourceStatusReason); r != "" {
			line += ": " + f.secrets.Replace(r)
		}
		fmt.Fprintln(f.a.log, line)
	}
	f.events = append(f.events, fresh...)
	return nil
}

// isStack is whether an event is the stack's own (not a resource's).
func (f *follower) isStack(ev types.StackEvent) bool {
	return isStackEvent(ev, f.stack, f.stackID)
}

func isStackEvent(ev types.StackEvent, stack, stackID string) bool {
	if aws.ToString(ev.ResourceType) != "AWS::CloudFormation::Stack" || aws.ToString(ev.LogicalResourceId) != stack {
		return false
	}
	return stackID == "" || aws.ToString(ev.PhysicalResourceId) == "" || aws.ToString(ev.PhysicalResourceId) == stackID
}

// applyReport says, per planned change, what this execution's events
// show: applied (its resource reached *_COMPLETE before any rollback),
// failed (*_FAILED, with CloudFormation's reason, or still in progress when
// the stack stopped) or not reached (no event). When CloudFormation rolled
// the stack back, nothing stays applied, and the report's Errors say so.
// Failures of resources outside the plan are Errors too.
func applyReport(planned []engine.ResourceResult, events []types.StackEvent, stack string, final types.StackStatus, secrets *redact.Replacer) *engine.ApplyReport {
	r := &engine.ApplyReport{Planned: planned}
	done := map[string]bool{}
	started := map[string]bool{}
	failed := map[string]string{}
	var failedOrder []string
	rolledBack := false
	for _, ev := range events {
		if isStackEvent(ev, stack, "") {
			if strings.Contains(string(ev.ResourceStatus), "ROLLBACK_IN_PROGRESS") {
				rolledBack = true
			}
			continue
		}
		if rolledBack {
			continue // the rollback's own events
		}
		id := aws.ToString(ev.LogicalResourceId)
		switch s := string(ev.ResourceStatus); {
		case strings.HasSuffix(s, "_FAILED"):
			if _, ok := failed[id]; !ok {
				failed[id] = secrets.Replace(orNone(aws.ToString(ev.ResourceStatusReason)))
				failedOrder = append(failedOrder, id)
			}
		case strings.HasSuffix(s, "_COMPLETE"):
			done[id] = true
		case strings.HasSuffix(s, "_IN_PROGRESS"):
			started[id] = true
		}
	}
	inPlan := map[string]bool{}
	var applied []string
	for _, p := range planned {
		// A nested stack's changes go as its stack resource goes.
		id, _, _ := strings.Cut(p.Address, "/")
		inPlan[id] = true
		switch {
		case failed[id] != "":
			p.Error = failed[id]
			r.Failed = append(r.Failed, p)
		case done[id]:
			r.Applied = append(r.Applied, p)
			applied = append(applied, p.Address)
		case started[id]:
			p.Error = fmt.Sprintf("did not finish: the stack stopped %s", final)
			r.Failed = append(r.Failed, p)
		default:
			r.NotReached = append(r.NotReached, p)
		}
	}
	for _, id := range failedOrder {
		if !inPlan[id] {
			r.Errors = append(r.Errors, fmt.Sprintf("%s: %s", id, failed[id]))
		}
	}
	if rolledBack || strings.Contains(string(final), "ROLLBACK") {
		undone := "nothing had been applied"
		if len(applied) > 0 {
			undone = "the changes applied to " + strings.Join(applied, ", ") + " were undone"
		}
		msg := fmt.Sprintf("CloudFormation rolled the stack %s back (engine-rollback: true) and it is now %s: %s", stack, final, undone)
		if final == types.StackStatusRollbackComplete || final == types.StackStatusRollbackFailed {
			msg += "; a stack whose creation was rolled back cannot be updated: delete it before the next plan"
		}
		r.Errors = append(r.Errors, msg)
		r.Applied = nil
	}
	return r
}

// outputsOf are the stack's outputs as lockstep's, strings in JSON; an
// output showing a secret (a NoEcho parameter's value) is sensitive.
func outputsOf(outs []types.Output, secrets []string) map[string]engine.Output {
	res := make(map[string]engine.Output, len(outs))
	for _, o := range outs {
		v := aws.ToString(o.OutputValue)
		if slices.ContainsFunc(secrets, func(s string) bool { return strings.Contains(v, s) }) {
			res[aws.ToString(o.OutputKey)] = engine.Output{Sensitive: true}
			continue
		}
		raw, _ := json.Marshal(v)
		res[aws.ToString(o.OutputKey)] = engine.Output{Value: raw}
	}
	return res
}
