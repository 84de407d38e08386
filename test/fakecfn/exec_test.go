package fakecfn_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

const threeV1 = `{
	"Parameters": {"Label": {"Type": "String", "Default": "one"}},
	"Resources": {
		"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
		"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Label"}}},
		"Param": {"Type": "AWS::SSM::Parameter", "DependsOn": "Topic",
			"Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Queue", "Arn"]}}}
	},
	"Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}}
}`

// threeV2 changes the queue in place and adds a log group.
const threeV2 = `{
	"Parameters": {"Label": {"Type": "String", "Default": "one"}},
	"Resources": {
		"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
		"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Ref": "Label"}}},
		"Param": {"Type": "AWS::SSM::Parameter", "DependsOn": "Topic",
			"Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Queue", "Arn"]}}},
		"Extra": {"Type": "AWS::Logs::LogGroup"}
	},
	"Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}}
}`

func cfnUpdate(stack, name, body string) *cfn.CreateChangeSetInput {
	return &cfn.CreateChangeSetInput{StackName: aws.String(stack), ChangeSetName: aws.String(name),
		ChangeSetType: types.ChangeSetTypeUpdate, TemplateBody: aws.String(body)}
}

// eventReasons maps "LogicalId STATUS" to the event's reason (the last one).
func eventReasons(t *testing.T, c *cfn.Client, stack string) map[string]string {
	t.Helper()
	out, err := c.DescribeStackEvents(t.Context(), &cfn.DescribeStackEventsInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for i := len(out.StackEvents) - 1; i >= 0; i-- {
		e := out.StackEvents[i]
		m[aws.ToString(e.LogicalResourceId)+" "+string(e.ResourceStatus)] = aws.ToString(e.ResourceStatusReason)
	}
	return m
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestCreateFailureRollsBack(t *testing.T) {
	s, c := newClient(t)
	s.FailResource("app", "Topic", "Resource handler returned message: \"Access Denied\"")
	createChangeSet(t, c, "app", "create", threeV1, types.ChangeSetTypeCreate, nil)
	execute(t, c, "app", "create", false)

	st := describeStack(t, c, "app")
	if st.StackStatus != types.StackStatusRollbackComplete {
		t.Fatalf("status %s", st.StackStatus)
	}
	equalLists(t, "events", events(t, c, "app"), []string{
		"app REVIEW_IN_PROGRESS",
		"app CREATE_IN_PROGRESS",
		"Queue CREATE_IN_PROGRESS",
		"Queue CREATE_IN_PROGRESS",
		"Queue CREATE_COMPLETE",
		"Topic CREATE_IN_PROGRESS",
		"Topic CREATE_FAILED",
		"app ROLLBACK_IN_PROGRESS",
		"Topic DELETE_COMPLETE",
		"Queue DELETE_IN_PROGRESS",
		"Queue DELETE_COMPLETE",
		"app ROLLBACK_COMPLETE",
	})
	snap, _ := s.Stack("app")
	if len(snap.Resources) != 0 {
		t.Fatalf("resources left after rollback: %+v", snap.Resources)
	}
	reasons := eventReasons(t, c, "app")
	if reasons["Topic CREATE_FAILED"] != "Resource handler returned message: \"Access Denied\"" ||
		reasons["app ROLLBACK_IN_PROGRESS"] != "The following resource(s) failed to create: [Topic]. Rollback requested by user." {
		t.Fatalf("reasons %v", reasons)
	}
	cs := describe(t, c, "app", "create")
	if cs.ExecutionStatus != types.ExecutionStatusExecuteFailed {
		t.Fatalf("execution status %s", cs.ExecutionStatus)
	}
	createChangeSet(t, c, "other", "x", threeV1, types.ChangeSetTypeCreate, nil) // other stacks are not affected
	_, err := c.CreateChangeSet(t.Context(), cfnUpdate("app", "again", threeV1))
	if apiCode(err) != "ValidationError" || !strings.Contains(err.Error(), "is in ROLLBACK_COMPLETE state and can not be updated.") {
		t.Fatalf("update of a ROLLBACK_COMPLETE stack: %v", err)
	}
}

func TestCreateFailureWithoutRollback(t *testing.T) {
	s, c := newClient(t)
	s.FailResource("app", "Topic", "boom")
	createChangeSet(t, c, "app", "create", threeV1, types.ChangeSetTypeCreate, nil)
	execute(t, c, "app", "create", true)
	st := describeStack(t, c, "app")
	if st.StackStatus != types.StackStatusCreateFailed || aws.ToString(st.StackStatusReason) != "The following resource(s) failed to create: [Topic]. " ||
		!aws.ToBool(st.DisableRollback) {
		t.Fatalf("status %s %q", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	snap, _ := s.Stack("app")
	if snap.Resources["Queue"].Status != "CREATE_COMPLETE" || snap.Resources["Topic"].Status != "CREATE_FAILED" {
		t.Fatalf("resources %+v", snap.Resources)
	}
	if _, ok := snap.Resources["Param"]; ok {
		t.Fatal("a resource after the failing one was created")
	}
	got := events(t, c, "app")
	equalLists(t, "last events", got[len(got)-3:], []string{"Topic CREATE_IN_PROGRESS", "Topic CREATE_FAILED", "app CREATE_FAILED"})
}

func TestUpdateFailureRollsBack(t *testing.T) {
	s, c := newClient(t)
	createStack(t, c, "app", threeV1, nil)
	before, _ := s.Stack("app")

	s.FailResource("app", "Param", "Parameter limit exceeded")
	if _, err := c.CreateChangeSet(t.Context(), cfnUpdate("app", "update", threeV2)); err != nil {
		t.Fatal(err)
	}
	cs := describe(t, c, "app", "update")
	var got []string
	for _, ch := range cs.Changes {
		got = append(got, string(ch.ResourceChange.Action)+" "+aws.ToString(ch.ResourceChange.LogicalResourceId)+" "+string(ch.ResourceChange.Replacement))
	}
	equalLists(t, "changes", got, []string{"Modify Queue False", "Add Extra "})

	// the queue's change does not touch Param (its ARN stays); force one with a parameter change instead
	if _, err := c.DeleteChangeSet(t.Context(), &cfn.DeleteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("update")}); err != nil {
		t.Fatal(err)
	}
	in := cfnUpdate("app", "update", strings.Replace(threeV2, `"Value": {"Fn::GetAtt": ["Queue", "Arn"]}`, `"Value": {"Ref": "Label"}`, 1))
	in.Parameters = params("Label", "two")
	if _, err := c.CreateChangeSet(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	execute(t, c, "app", "update", false)

	st := describeStack(t, c, "app")
	if st.StackStatus != types.StackStatusUpdateRollbackComplete {
		t.Fatalf("status %s", st.StackStatus)
	}
	all := events(t, c, "app")
	equalLists(t, "update events", all[12:], []string{
		"app UPDATE_IN_PROGRESS",
		"Queue UPDATE_IN_PROGRESS",
		"Queue UPDATE_COMPLETE",
		"Topic UPDATE_IN_PROGRESS",
		"Topic UPDATE_COMPLETE",
		"Param UPDATE_IN_PROGRESS",
		"Param UPDATE_FAILED",
		"app UPDATE_ROLLBACK_IN_PROGRESS",
		"Topic UPDATE_IN_PROGRESS",
		"Topic UPDATE_COMPLETE",
		"Queue UPDATE_IN_PROGRESS",
		"Queue UPDATE_COMPLETE",
		"Param UPDATE_IN_PROGRESS",
		"Param UPDATE_COMPLETE",
		"app UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
		"app UPDATE_ROLLBACK_COMPLETE",
	})
	after, _ := s.Stack("app")
	if after.Template != threeV1 || after.Parameters["Label"] != "one" {
		t.Fatalf("template or parameters not restored: %v", after.Parameters)
	}
	for id, r := range before.Resources {
		a := after.Resources[id]
		if a.PhysicalID != r.PhysicalID || !sameJSON(a.Properties, r.Properties) {
			t.Fatalf("%s not restored: before %+v after %+v", id, r, a)
		}
	}
	if _, ok := after.Resources["Extra"]; ok {
		t.Fatal("the added resource survived the rollback")
	}
	if reasons := eventReasons(t, c, "app"); reasons["app UPDATE_ROLLBACK_IN_PROGRESS"] != "The following resource(s) failed to update: [Param]. " {
		t.Fatalf("reasons %v", reasons)
	}
}

func TestUpdateFailureWithoutRollback(t *testing.T) {
	s, c := newClient(t)
	createStack(t, c, "app", threeV1, nil)
	before, _ := s.Stack("app")
	s.FailResource("app", "Topic", "boom")
	in := cfnUpdate("app", "update", threeV2)
	in.Parameters = params("Label", "two")
	if _, err := c.CreateChangeSet(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	execute(t, c, "app", "update", true)
	st := describeStack(t, c, "app")
	if st.StackStatus != types.StackStatusUpdateFailed || aws.ToString(st.StackStatusReason) != "The following resource(s) failed to update: [Topic]. " {
		t.Fatalf("status %s %q", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	after, _ := s.Stack("app")
	if after.Resources["Queue"].Properties["VisibilityTimeout"] != 60 {
		t.Fatalf("the queue's update before the failure was undone: %+v", after.Resources["Queue"])
	}
	if after.Resources["Topic"].Status != "UPDATE_FAILED" || after.Resources["Topic"].Properties["DisplayName"] != "one" {
		t.Fatalf("topic %+v", after.Resources["Topic"])
	}
	if _, ok := after.Resources["Extra"]; ok {
		t.Fatal("a resource after the failing one was created")
	}
	if !sameJSON(after.Resources["Param"], before.Resources["Param"]) {
		t.Fatalf("a resource not reached changed: %+v", after.Resources["Param"])
	}
	// the stack can be updated again from UPDATE_FAILED
	s.ClearFailure("app", "Topic")
	in.ChangeSetName = aws.String("retry")
	if _, err := c.CreateChangeSet(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	var retry []string
	for _, ch := range describe(t, c, "app", "retry").Changes {
		retry = append(retry, string(ch.ResourceChange.Action)+" "+aws.ToString(ch.ResourceChange.LogicalResourceId))
	}
	// the queue is done; the topic that failed and the log group not reached are still to do
	equalLists(t, "retry changes", retry, []string{"Modify Topic", "Add Extra"})
	execute(t, c, "app", "retry", false)
	if st := describeStack(t, c, "app"); st.StackStatus != types.StackStatusUpdateComplete {
		t.Fatalf("retry: %s", st.StackStatus)
	}
	if snap, _ := s.Stack("app"); snap.Resources["Topic"].Properties["DisplayName"] != "two" || snap.Resources["Extra"].PhysicalID == "" {
		t.Fatalf("after the retry: %+v", snap.Resources)
	}
}

func TestRetryAfterCreateFailedCreatesWhatIsMissing(t *testing.T) {
	s, c := newClient(t)
	s.FailResource("app", "Topic", "boom")
	createChangeSet(t, c, "app", "create", threeV1, types.ChangeSetTypeCreate, nil)
	execute(t, c, "app", "create", true)
	s.ClearFailure("app", "Topic")
	if _, err := c.CreateChangeSet(t.Context(), cfnUpdate("app", "retry", threeV1)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range describe(t, c, "app", "retry").Changes {
		got = append(got, string(ch.ResourceChange.Action)+" "+aws.ToString(ch.ResourceChange.LogicalResourceId))
	}
	equalLists(t, "retry changes", got, []string{"Add Topic", "Add Param"})
	execute(t, c, "app", "retry", false)
	st := describeStack(t, c, "app")
	if st.StackStatus != types.StackStatusUpdateComplete || !strings.HasPrefix(outputsOf(st)["TopicArn"], "arn:aws:sns:us-east-1:123456789012:app-Topic-") {
		t.Fatalf("after the retry: %s %v", st.StackStatus, outputsOf(st))
	}
}

func TestRemovedResourceIsDeletedAtCleanup(t *testing.T) {
	s, c := newClient(t)
	createStack(t, c, "app", threeV2, nil)
	if _, err := c.CreateChangeSet(t.Context(), cfnUpdate("app", "shrink", threeV1)); err != nil {
		t.Fatal(err)
	}
	cs := describe(t, c, "app", "shrink")
	last := cs.Changes[len(cs.Changes)-1].ResourceChange
	if last.Action != types.ChangeActionRemove || aws.ToString(last.LogicalResourceId) != "Extra" || last.PolicyAction != types.PolicyActionDelete {
		t.Fatalf("remove change %+v", last)
	}
	execute(t, c, "app", "shrink", false)
	got := events(t, c, "app")
	equalLists(t, "cleanup", got[len(got)-4:], []string{
		"app UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "Extra DELETE_IN_PROGRESS", "Extra DELETE_COMPLETE", "app UPDATE_COMPLETE"})
	if snap, _ := s.Stack("app"); len(snap.Resources) != 3 {
		t.Fatalf("resources %+v", snap.Resources)
	}
}

func TestExecutionEventsCarryTheClientRequestToken(t *testing.T) {
	s, c := newClient(t)
	s.FailResource("app", "Topic", "boom")
	_, err := c.CreateChangeSet(t.Context(), &cfn.CreateChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("create"),
		ChangeSetType: types.ChangeSetTypeCreate, TemplateBody: aws.String(threeV1), OnStackFailure: types.OnStackFailureDoNothing})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteChangeSet(t.Context(), &cfn.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("create"),
		ClientRequestToken: aws.String("lockstep-run-7")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeStackEvents(t.Context(), &cfn.DescribeStackEventsInput{StackName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]int{}
	for _, e := range out.StackEvents {
		tokens[aws.ToString(e.ClientRequestToken)]++
	}
	if tokens["lockstep-run-7"] != len(out.StackEvents)-1 || tokens[""] != 1 { // all but REVIEW_IN_PROGRESS
		t.Fatalf("tokens %v", tokens)
	}
	// OnStackFailure DO_NOTHING is DisableRollback
	if st := describeStack(t, c, "app"); st.StackStatus != types.StackStatusCreateFailed {
		t.Fatalf("status %s", st.StackStatus)
	}
}

func TestOnStackFailureDeleteRemovesTheStack(t *testing.T) {
	s, c := newClient(t)
	s.FailResource("app", "Queue", "boom")
	_, err := c.CreateChangeSet(t.Context(), &cfn.CreateChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("create"),
		ChangeSetType: types.ChangeSetTypeCreate, TemplateBody: aws.String(threeV1), OnStackFailure: types.OnStackFailureDelete})
	if err != nil {
		t.Fatal(err)
	}
	execute(t, c, "app", "create", false)
	if _, err := c.DescribeStacks(t.Context(), &cfn.DescribeStacksInput{StackName: aws.String("app")}); apiCode(err) != "ValidationError" {
		t.Fatalf("stack after a failed create with OnStackFailure DELETE: %v", err)
	}
	if _, ok := s.Stack("app"); ok {
		t.Fatal("the stack is still live")
	}
}

func TestUpdateFailingAddRollsBack(t *testing.T) {
	s, c := newClient(t)
	createStack(t, c, "app", threeV1, nil)
	s.FailResource("app", "Extra", "log group limit")
	if _, err := c.CreateChangeSet(t.Context(), cfnUpdate("app", "update", threeV2)); err != nil {
		t.Fatal(err)
	}
	execute(t, c, "app", "update", false)
	all := events(t, c, "app")
	equalLists(t, "update events", all[12:], []string{
		"app UPDATE_IN_PROGRESS",
		"Queue UPDATE_IN_PROGRESS",
		"Queue UPDATE_COMPLETE",
		"Extra CREATE_IN_PROGRESS",
		"Extra CREATE_FAILED",
		"app UPDATE_ROLLBACK_IN_PROGRESS",
		"Queue UPDATE_IN_PROGRESS",
		"Queue UPDATE_COMPLETE",
		"app UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
		"Extra DELETE_COMPLETE",
		"app UPDATE_ROLLBACK_COMPLETE",
	})
	snap, _ := s.Stack("app")
	if _, ok := snap.Resources["Extra"]; ok || snap.Resources["Queue"].Properties["VisibilityTimeout"] != 30 {
		t.Fatalf("after rollback: %+v", snap.Resources)
	}
	if reasons := eventReasons(t, c, "app"); reasons["app UPDATE_ROLLBACK_IN_PROGRESS"] != "The following resource(s) failed to create: [Extra]. " {
		t.Fatalf("reason %q", reasons["app UPDATE_ROLLBACK_IN_PROGRESS"])
	}
}
