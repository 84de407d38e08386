package fakecfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/lockstep-ci/lockstep/test/fakecfn"
)

const bucketV1 = `
AWSTemplateFormatVersion: "2010-09-09"
Description: lockstep fake test stack
Parameters:
  Env:
    Type: String
    Default: dev
  Secret:
    Type: String
    NoEcho: true
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "lockstep-${Env}-data"
      Tags:
        - Key: env
          Value: !Ref Env
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /lockstep/bucket
      Type: String
      Value: !Ref Bucket
Outputs:
  BucketName:
    Value: !Ref Bucket
  BucketArn:
    Value: !GetAtt Bucket.Arn
  ParamName:
    Description: the parameter
    Value: !Ref Param
`

func newClient(t *testing.T) (*fakecfn.Server, *cfn.Client) {
	t.Helper()
	s := fakecfn.New()
	t.Cleanup(s.Close)
	return s, cfn.NewFromConfig(s.Config(context.Background()))
}

func params(kv ...string) []types.Parameter {
	var out []types.Parameter
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Parameter{ParameterKey: aws.String(kv[i]), ParameterValue: aws.String(kv[i+1])})
	}
	return out
}

func createChangeSet(t *testing.T, c *cfn.Client, stack, name, body string, csType types.ChangeSetType, p []types.Parameter) *cfn.CreateChangeSetOutput {
	t.Helper()
	out, err := c.CreateChangeSet(context.Background(), &cfn.CreateChangeSetInput{
		StackName: aws.String(stack), ChangeSetName: aws.String(name), ChangeSetType: csType,
		TemplateBody: aws.String(body), Parameters: p, IncludeNestedStacks: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("CreateChangeSet %s: %v", name, err)
	}
	return out
}

func describe(t *testing.T, c *cfn.Client, stack, name string) *cfn.DescribeChangeSetOutput {
	t.Helper()
	out, err := c.DescribeChangeSet(context.Background(), &cfn.DescribeChangeSetInput{StackName: aws.String(stack), ChangeSetName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeChangeSet %s: %v", name, err)
	}
	return out
}

func execute(t *testing.T, c *cfn.Client, stack, name string, disableRollback bool) {
	t.Helper()
	_, err := c.ExecuteChangeSet(context.Background(), &cfn.ExecuteChangeSetInput{StackName: aws.String(stack), ChangeSetName: aws.String(name), DisableRollback: aws.Bool(disableRollback)})
	if err != nil {
		t.Fatalf("ExecuteChangeSet %s: %v", name, err)
	}
}

func describeStack(t *testing.T, c *cfn.Client, stack string) types.Stack {
	t.Helper()
	out, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatalf("DescribeStacks %s: %v", stack, err)
	}
	if len(out.Stacks) != 1 {
		t.Fatalf("DescribeStacks %s: %d stacks", stack, len(out.Stacks))
	}
	return out.Stacks[0]
}

// events lists the stack's events oldest first as "LogicalId STATUS", read
// through the SDK paginator (the API gives them newest first).
func events(t *testing.T, c *cfn.Client, stack string) []string {
	t.Helper()
	var newestFirst []string
	p := cfn.NewDescribeStackEventsPaginator(c, &cfn.DescribeStackEventsInput{StackName: aws.String(stack)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("DescribeStackEvents: %v", err)
		}
		for _, e := range out.StackEvents {
			newestFirst = append(newestFirst, aws.ToString(e.LogicalResourceId)+" "+string(e.ResourceStatus))
		}
	}
	out := make([]string, len(newestFirst))
	for i, e := range newestFirst {
		out[len(newestFirst)-1-i] = e
	}
	return out
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func outputsOf(st types.Stack) map[string]string {
	m := map[string]string{}
	for _, o := range st.Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}

func equalLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestCreateStackThroughChangeSet(t *testing.T) {
	s, c := newClient(t)
	ctx := context.Background()

	if _, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: aws.String("app")}); apiCode(err) != "ValidationError" ||
		!strings.Contains(err.Error(), "Stack with id app does not exist") {
		t.Fatalf("DescribeStacks of a missing stack: %v", err)
	}

	created := createChangeSet(t, c, "app", "create-1", bucketV1, types.ChangeSetTypeCreate, params("Secret", "hunter2"))
	if !strings.HasPrefix(aws.ToString(created.Id), "arn:aws:cloudformation:us-east-1:123456789012:changeSet/create-1/") ||
		!strings.HasPrefix(aws.ToString(created.StackId), "arn:aws:cloudformation:us-east-1:123456789012:stack/app/") {
		t.Fatalf("ids: %s %s", aws.ToString(created.Id), aws.ToString(created.StackId))
	}
	if st := describeStack(t, c, "app"); st.StackStatus != types.StackStatusReviewInProgress {
		t.Fatalf("stack after CREATE change set: %s, want REVIEW_IN_PROGRESS", st.StackStatus)
	}

	cs := describe(t, c, "app", "create-1")
	if cs.Status != types.ChangeSetStatusCreateComplete || cs.ExecutionStatus != types.ExecutionStatusAvailable {
		t.Fatalf("change set %s/%s", cs.Status, cs.ExecutionStatus)
	}
	var got []string
	for _, ch := range cs.Changes {
		rc := ch.ResourceChange
		got = append(got, string(rc.Action)+" "+aws.ToString(rc.LogicalResourceId)+" "+aws.ToString(rc.ResourceType))
	}
	equalLists(t, "changes", got, []string{"Add Bucket AWS::S3::Bucket", "Add Param AWS::SSM::Parameter"})
	for _, p := range cs.Parameters {
		if aws.ToString(p.ParameterKey) == "Secret" && aws.ToString(p.ParameterValue) != "****" {
			t.Fatalf("NoEcho parameter shown as %q", aws.ToString(p.ParameterValue))
		}
	}

	execute(t, c, "app", "create-1", false)
	st := describeStack(t, c, "app")
	if st.StackStatus != types.StackStatusCreateComplete {
		t.Fatalf("stack status %s", st.StackStatus)
	}
	out := outputsOf(st)
	if out["BucketName"] != "lockstep-dev-data" || out["BucketArn"] != "arn:aws:s3:us-east-1:123456789012:lockstep-dev-data" || out["ParamName"] != "/lockstep/bucket" {
		t.Fatalf("outputs %v", out)
	}
	equalLists(t, "events", events(t, c, "app"), []string{
		"app REVIEW_IN_PROGRESS",
		"app CREATE_IN_PROGRESS",
		"Bucket CREATE_IN_PROGRESS",
		"Bucket CREATE_IN_PROGRESS",
		"Bucket CREATE_COMPLETE",
		"Param CREATE_IN_PROGRESS",
		"Param CREATE_IN_PROGRESS",
		"Param CREATE_COMPLETE",
		"app CREATE_COMPLETE",
	})

	snap, ok := s.Stack("app")
	if !ok || snap.Resources["Param"].Properties["Value"] != "lockstep-dev-data" || snap.Parameters["Secret"] != "hunter2" {
		t.Fatalf("snapshot %+v", snap)
	}
	tmpl, err := c.GetTemplate(ctx, &cfn.GetTemplateInput{StackName: aws.String("app")})
	if err != nil || aws.ToString(tmpl.TemplateBody) != bucketV1 {
		t.Fatalf("GetTemplate: %v %q", err, aws.ToString(tmpl.TemplateBody))
	}
	res, err := c.DescribeStackResources(ctx, &cfn.DescribeStackResourcesInput{StackName: aws.String("app")})
	if err != nil || len(res.StackResources) != 2 || aws.ToString(res.StackResources[0].PhysicalResourceId) != "lockstep-dev-data" ||
		res.StackResources[1].ResourceStatus != types.ResourceStatusCreateComplete {
		t.Fatalf("DescribeStackResources: %v %+v", err, res)
	}
	cs = describe(t, c, "app", "create-1")
	if cs.ExecutionStatus != types.ExecutionStatusExecuteComplete || cs.Status != types.ChangeSetStatusCreateComplete {
		t.Fatalf("executed change set %s/%s", cs.Status, cs.ExecutionStatus)
	}
}

const bucketV2 = `
Parameters:
  Env:
    Type: String
    Default: dev
  Secret:
    Type: String
    NoEcho: true
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "lockstep-${Env}-data2"
      Tags:
        - Key: env
          Value: !Ref Env
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /lockstep/bucket
      Type: String
      Value: !Ref Bucket
  Queue:
    Type: AWS::SQS::Queue
Outputs:
  BucketName:
    Value: !Ref Bucket
`

func createStack(t *testing.T, c *cfn.Client, stack, body string, p []types.Parameter) {
	t.Helper()
	createChangeSet(t, c, stack, "create", body, types.ChangeSetTypeCreate, p)
	execute(t, c, stack, "create", false)
	if st := describeStack(t, c, stack); st.StackStatus != types.StackStatusCreateComplete {
		t.Fatalf("creating %s: %s", stack, st.StackStatus)
	}
}

func TestUpdateWithReplacement(t *testing.T) {
	s, c := newClient(t)
	createStack(t, c, "app", bucketV1, params("Secret", "hunter2"))

	secretKept := []types.Parameter{{ParameterKey: aws.String("Secret"), UsePreviousValue: aws.Bool(true)}}
	createChangeSet(t, c, "app", "update-1", bucketV2, types.ChangeSetTypeUpdate, secretKept)
	out, err := c.DescribeChangeSet(context.Background(), &cfn.DescribeChangeSetInput{
		StackName: aws.String("app"), ChangeSetName: aws.String("update-1"), IncludePropertyValues: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]*types.ResourceChange{}
	var order []string
	for _, ch := range out.Changes {
		id := aws.ToString(ch.ResourceChange.LogicalResourceId)
		changes[id] = ch.ResourceChange
		order = append(order, string(ch.ResourceChange.Action)+" "+id)
	}
	equalLists(t, "changes", order, []string{"Modify Bucket", "Modify Param", "Add Queue"})

	b := changes["Bucket"]
	if b.Replacement != types.ReplacementTrue || aws.ToString(b.PhysicalResourceId) != "lockstep-dev-data" || len(b.Details) != 1 {
		t.Fatalf("bucket change %+v", b)
	}
	d := b.Details[0]
	if aws.ToString(d.Target.Name) != "BucketName" || d.Target.Attribute != types.ResourceAttributeProperties ||
		d.Target.RequiresRecreation != types.RequiresRecreationAlways || d.ChangeSource != types.ChangeSourceDirectModification ||
		d.Evaluation != types.EvaluationTypeStatic || aws.ToString(d.Target.BeforeValue) != "lockstep-dev-data" ||
		aws.ToString(d.Target.AfterValue) != "lockstep-dev-data2" {
		t.Fatalf("bucket detail %+v target %+v", d, d.Target)
	}
	if len(b.Scope) != 1 || b.Scope[0] != types.ResourceAttributeProperties {
		t.Fatalf("bucket scope %v", b.Scope)
	}
	var before map[string]map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(b.BeforeContext)), &before); err != nil || before["Properties"]["BucketName"] != "lockstep-dev-data" {
		t.Fatalf("BeforeContext %q: %v", aws.ToString(b.BeforeContext), err)
	}

	p := changes["Param"]
	if p.Replacement != types.ReplacementFalse || len(p.Details) != 1 || p.Details[0].ChangeSource != types.ChangeSourceResourceReference ||
		p.Details[0].Evaluation != types.EvaluationTypeDynamic || aws.ToString(p.Details[0].CausingEntity) != "Bucket" ||
		aws.ToString(p.Details[0].Target.Name) != "Value" {
		t.Fatalf("param change %+v, detail %+v", p, p.Details)
	}

	execute(t, c, "app", "update-1", false)
	st := describeStack(t, c, "app")
	if st.StackStatus != types.StackStatusUpdateComplete || outputsOf(st)["BucketName"] != "lockstep-dev-data2" {
		t.Fatalf("after update: %s %v", st.StackStatus, outputsOf(st))
	}
	snap, _ := s.Stack("app")
	if snap.Resources["Param"].Properties["Value"] != "lockstep-dev-data2" || snap.Resources["Bucket"].PhysicalID != "lockstep-dev-data2" ||
		!strings.HasPrefix(snap.Resources["Queue"].PhysicalID, "https://sqs.us-east-1.amazonaws.com/123456789012/app-Queue-") ||
		snap.Parameters["Secret"] != "hunter2" {
		t.Fatalf("after update: %+v", snap)
	}
	all := events(t, c, "app")
	equalLists(t, "update events", all[9:], []string{
		"app UPDATE_IN_PROGRESS",
		"Bucket UPDATE_IN_PROGRESS",
		"Bucket UPDATE_IN_PROGRESS",
		"Bucket UPDATE_COMPLETE",
		"Param UPDATE_IN_PROGRESS",
		"Param UPDATE_COMPLETE",
		"Queue CREATE_IN_PROGRESS",
		"Queue CREATE_IN_PROGRESS",
		"Queue CREATE_COMPLETE",
		"app UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
		"Bucket DELETE_IN_PROGRESS",
		"Bucket DELETE_COMPLETE",
		"app UPDATE_COMPLETE",
	})
}

func TestParameterChangeIsParameterReference(t *testing.T) {
	_, c := newClient(t)
	createStack(t, c, "app", bucketV1, params("Secret", "a"))
	createChangeSet(t, c, "app", "tags", bucketV1, types.ChangeSetTypeUpdate, params("Secret", "a", "Env", "prod"))
	cs := describe(t, c, "app", "tags")
	rc := cs.Changes[0].ResourceChange
	if aws.ToString(rc.LogicalResourceId) != "Bucket" || rc.Replacement != types.ReplacementTrue || len(rc.Details) != 2 {
		t.Fatalf("bucket change %+v", rc)
	}
	name, tags := rc.Details[0], rc.Details[1]
	if name.ChangeSource != types.ChangeSourceParameterReference || aws.ToString(name.CausingEntity) != "Env" ||
		name.Target.RequiresRecreation != types.RequiresRecreationAlways {
		t.Fatalf("name detail %+v %+v", name, name.Target)
	}
	if tags.Target.Attribute != types.ResourceAttributeTags || tags.Target.RequiresRecreation != types.RequiresRecreationNever {
		t.Fatalf("tags detail %+v", tags.Target)
	}
	if len(rc.Scope) != 2 || rc.Scope[0] != types.ResourceAttributeProperties || rc.Scope[1] != types.ResourceAttributeTags {
		t.Fatalf("scope %v", rc.Scope)
	}
	if rc.Details[0].Target.BeforeValue != nil {
		t.Fatal("values shown without IncludePropertyValues")
	}
}

func TestEmptyChangeSetFails(t *testing.T) {
	_, c := newClient(t)
	createStack(t, c, "app", bucketV1, params("Secret", "a"))
	createChangeSet(t, c, "app", "noop", bucketV1, types.ChangeSetTypeUpdate, params("Secret", "a"))
	cs := describe(t, c, "app", "noop")
	if cs.Status != types.ChangeSetStatusFailed || cs.ExecutionStatus != types.ExecutionStatusUnavailable ||
		aws.ToString(cs.StatusReason) != "The submitted information didn't contain changes. Submit different information to create a change set." ||
		len(cs.Changes) != 0 {
		t.Fatalf("empty change set: %s %s %q %d", cs.Status, cs.ExecutionStatus, aws.ToString(cs.StatusReason), len(cs.Changes))
	}
	_, err := c.ExecuteChangeSet(context.Background(), &cfn.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("noop")})
	var invalid *types.InvalidChangeSetStatusException
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "cannot be executed in its current status of [FAILED]") {
		t.Fatalf("executing a FAILED change set: %v", err)
	}
}

func TestStaleChangeSetIsGoneAfterAnotherExecutes(t *testing.T) {
	s, c := newClient(t)
	ctx := context.Background()
	createStack(t, c, "app", bucketV1, params("Secret", "a"))
	reviewed := createChangeSet(t, c, "app", "reviewed", bucketV2, types.ChangeSetTypeUpdate, params("Secret", "a"))
	createChangeSet(t, c, "app", "other", bucketV2, types.ChangeSetTypeUpdate, params("Secret", "b"))

	_, err := c.CreateChangeSet(ctx, &cfn.CreateChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("other"),
		TemplateBody: aws.String(bucketV2), Parameters: params("Secret", "c")})
	var exists *types.AlreadyExistsException
	if !errors.As(err, &exists) || !strings.Contains(err.Error(), "ChangeSet other cannot be created due to a mismatch with existing attribute Parameters") {
		t.Fatalf("name collision: %v", err)
	}
	again := createChangeSet(t, c, "app", "reviewed", bucketV2, types.ChangeSetTypeUpdate, params("Secret", "a"))
	if aws.ToString(again.Id) != aws.ToString(reviewed.Id) {
		t.Fatalf("the same request again made another change set: %s, first %s", aws.ToString(again.Id), aws.ToString(reviewed.Id))
	}

	list, err := c.ListChangeSets(ctx, &cfn.ListChangeSetsInput{StackName: aws.String("app")})
	if err != nil || len(list.Summaries) != 3 {
		t.Fatalf("ListChangeSets: %v %+v", err, list)
	}

	execute(t, c, "app", "other", false)
	_, err = c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: reviewed.Id})
	var notFound *types.ChangeSetNotFoundException
	if !errors.As(err, &notFound) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("stale change set: %v", err)
	}
	_, err = c.ExecuteChangeSet(ctx, &cfn.ExecuteChangeSetInput{ChangeSetName: reviewed.Id})
	if !errors.As(err, &notFound) {
		t.Fatalf("executing a stale change set: %v", err)
	}
	if snap, _ := s.Stack("app"); snap.Parameters["Secret"] != "b" {
		t.Fatalf("the executed change set's parameters were not applied: %v", snap.Parameters)
	}
	list, err = c.ListChangeSets(ctx, &cfn.ListChangeSetsInput{StackName: aws.String("app")})
	if err != nil || len(list.Summaries) != 1 || aws.ToString(list.Summaries[0].ChangeSetName) != "other" ||
		list.Summaries[0].ExecutionStatus != types.ExecutionStatusExecuteComplete {
		t.Fatalf("ListChangeSets after execute: %v %+v", err, list)
	}

	createChangeSet(t, c, "app", "later", bucketV1, types.ChangeSetTypeUpdate, params("Secret", "b"))
	if _, err := c.DeleteChangeSet(ctx, &cfn.DeleteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("later")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("later")}); !errors.As(err, &notFound) {
		t.Fatalf("deleted change set: %v", err)
	}
}

func TestExecuteTwiceIsInvalidChangeSetStatus(t *testing.T) {
	_, c := newClient(t)
	createStack(t, c, "app", bucketV1, params("Secret", "a"))
	_, err := c.ExecuteChangeSet(context.Background(), &cfn.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("create")})
	var invalid *types.InvalidChangeSetStatusException
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "current execution status of [EXECUTE_COMPLETE]") {
		t.Fatalf("second execute: %v", err)
	}
}

func TestCreateChangeSetRefusals(t *testing.T) {
	_, c := newClient(t)
	ctx := context.Background()
	role := "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: deployer\n"
	cases := []struct {
		name, body, csType, wantCode, wantMsg string
		p                                     []types.Parameter
	}{
		{"update of a missing stack", bucketV1, "UPDATE", "ValidationError", "Stack [nope] does not exist", nil},
		{"unknown parameter", bucketV1, "CREATE", "ValidationError", "Parameters: [Nope] do not exist in the template", params("Secret", "x", "Nope", "1")},
		{"missing parameter", bucketV1, "CREATE", "ValidationError", "Parameters: [Secret] must have values", nil},
		{"capabilities", role, "CREATE", "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]", nil},
		{"allowed values", "Parameters:\n  Env:\n    Type: String\n    AllowedValues: [dev, prod]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n",
			"CREATE", "ValidationError", "Parameter 'Env' must be one of AllowedValues", params("Env", "test")},
		{"template too large", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n" + strings.Repeat("#", 51200), "CREATE", "ValidationError",
			"Member must have length less than or equal to 51200", nil},
		{"bad YAML", "Resources: [", "CREATE", "ValidationError", "Template format error: YAML not well-formed.", nil},
		{"bad JSON", `{"Resources": `, "CREATE", "ValidationError", "Template format error: JSON not well-formed.", nil},
		{"no resources", "Description: x\n", "CREATE", "ValidationError", "Template format error: At least one Resources member must be defined.", nil},
		{"unresolved", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Nope\n", "CREATE", "ValidationError",
			"Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateChangeSet(ctx, &cfn.CreateChangeSetInput{StackName: aws.String("nope"), ChangeSetName: aws.String("cs"),
				ChangeSetType: types.ChangeSetType(tc.csType), TemplateBody: aws.String(tc.body), Parameters: tc.p})
			if apiCode(err) != tc.wantCode || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got %v, want %s %q", err, tc.wantCode, tc.wantMsg)
			}
		})
	}
	if _, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: aws.String("nope")}); apiCode(err) != "ValidationError" {
		t.Fatalf("a refused CREATE change set left a stack behind: %v", err)
	}
}

func TestValidateTemplate(t *testing.T) {
	_, c := newClient(t)
	out, err := c.ValidateTemplate(context.Background(), &cfn.ValidateTemplateInput{TemplateBody: aws.String(bucketV1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Description) != "lockstep fake test stack" || len(out.Parameters) != 2 ||
		aws.ToString(out.Parameters[0].DefaultValue) != "dev" || !aws.ToBool(out.Parameters[1].NoEcho) {
		t.Fatalf("ValidateTemplate: %+v", out)
	}
	jsonBody := `{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}}}`
	out, err = c.ValidateTemplate(context.Background(), &cfn.ValidateTemplateInput{TemplateBody: aws.String(jsonBody)})
	if err != nil || len(out.Capabilities) != 1 || out.Capabilities[0] != types.CapabilityCapabilityIam ||
		aws.ToString(out.CapabilitiesReason) != "The following resource(s) require capabilities: [AWS::IAM::Role]" {
		t.Fatalf("ValidateTemplate JSON: %v %+v", err, out)
	}
}

func TestChangeSetIsObsoleteAfterAnUpdateElsewhere(t *testing.T) {
	s, c := newClient(t)
	createStack(t, c, "app", bucketV1, params("Secret", "a"))
	createChangeSet(t, c, "app", "reviewed", bucketV2, types.ChangeSetTypeUpdate, params("Secret", "a"))
	s.UpdatedElsewhere("app")
	if cs := describe(t, c, "app", "reviewed"); cs.ExecutionStatus != types.ExecutionStatusObsolete || cs.Status != types.ChangeSetStatusCreateComplete {
		t.Fatalf("change set after an update elsewhere: %s/%s", cs.Status, cs.ExecutionStatus)
	}
	_, err := c.ExecuteChangeSet(context.Background(), &cfn.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("reviewed")})
	var invalid *types.InvalidChangeSetStatusException
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "current execution status of [OBSOLETE]") {
		t.Fatalf("executing an obsolete change set: %v", err)
	}
	if s.CallCount("ExecuteChangeSet") != 2 { // the create, and the refused one
		t.Fatalf("calls %d", s.CallCount("ExecuteChangeSet"))
	}
}

func TestReplacementTableAndHook(t *testing.T) {
	s, c := newClient(t)
	body := func(itype, sg string) string {
		return "Resources:\n  VM:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1\n      InstanceType: " + itype +
			"\n      Monitoring: " + sg + "\n"
	}
	createStack(t, c, "vm", body("t3.micro", "false"), nil)
	replacementOf := func(name, b string) (types.Replacement, types.RequiresRecreation) {
		t.Helper()
		createChangeSet(t, c, "vm", name, b, types.ChangeSetTypeUpdate, nil)
		rc := describe(t, c, "vm", name).Changes[0].ResourceChange
		return rc.Replacement, rc.Details[0].Target.RequiresRecreation
	}
	if r, rr := replacementOf("itype", body("t3.large", "false")); r != types.ReplacementConditional || rr != types.RequiresRecreationConditionally {
		t.Fatalf("InstanceType: %s %s", r, rr)
	}
	if r, rr := replacementOf("monitoring", body("t3.micro", "true")); r != types.ReplacementFalse || rr != types.RequiresRecreationNever {
		t.Fatalf("Monitoring: %s %s", r, rr)
	}
	s.SetReplacement("AWS::EC2::Instance", "Monitoring", "Always")
	if r, rr := replacementOf("monitoring2", body("t3.micro", "true")); r != types.ReplacementTrue || rr != types.RequiresRecreationAlways {
		t.Fatalf("Monitoring after SetReplacement: %s %s", r, rr)
	}
}

const secretV1 = `
Parameters:
  Secret:
    Type: String
    NoEcho: true
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Ref Secret
`

func TestNoEchoValuesNeverLeaveTheServer(t *testing.T) {
	s, c := newClient(t)
	createStack(t, c, "app", secretV1, params("Secret", "old-s3cret"))
	createChangeSet(t, c, "app", "rotate", secretV1, types.ChangeSetTypeUpdate, params("Secret", "new-s3cret"))
	out, err := c.DescribeChangeSet(context.Background(), &cfn.DescribeChangeSetInput{StackName: aws.String("app"),
		ChangeSetName: aws.String("rotate"), IncludePropertyValues: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	rc := out.Changes[0].ResourceChange
	d := rc.Details[0]
	if d.ChangeSource != types.ChangeSourceParameterReference || aws.ToString(d.CausingEntity) != "Secret" ||
		aws.ToString(d.Target.BeforeValue) != "****" || aws.ToString(d.Target.AfterValue) != "****" {
		t.Fatalf("detail %+v target %+v", d, d.Target)
	}
	raw, _ := json.Marshal(out)
	st := describeStack(t, c, "app")
	rawStack, _ := json.Marshal(st)
	for _, secret := range []string{"old-s3cret", "new-s3cret"} {
		if strings.Contains(string(raw), secret) || strings.Contains(string(rawStack), secret) {
			t.Fatalf("%s leaked: %s %s", secret, raw, rawStack)
		}
	}
	s.SetActual("app", "Param", "Value", "edited")
	if _, err := c.DetectStackDrift(context.Background(), &cfn.DetectStackDriftInput{StackName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	drifts, err := c.DescribeStackResourceDrifts(context.Background(), &cfn.DescribeStackResourceDriftsInput{StackName: aws.String("app")})
	if err != nil || len(drifts.StackResourceDrifts) != 1 || aws.ToString(drifts.StackResourceDrifts[0].PropertyDifferences[0].ExpectedValue) != "****" {
		t.Fatalf("drift of a NoEcho value: %v %+v", err, drifts)
	}
	if raw, _ := json.Marshal(drifts); strings.Contains(string(raw), "old-s3cret") {
		t.Fatalf("drift leaked the secret: %s", raw)
	}
	// UsePreviousTemplate with a new value works without resending the template
	_, err = c.CreateChangeSet(context.Background(), &cfn.CreateChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("again"),
		UsePreviousTemplate: aws.Bool(true), Parameters: params("Secret", "third")})
	if err != nil {
		t.Fatal(err)
	}
	if cs := describe(t, c, "app", "again"); cs.Status != types.ChangeSetStatusCreateComplete || len(cs.Changes) != 1 {
		t.Fatalf("UsePreviousTemplate change set %s %d", cs.Status, len(cs.Changes))
	}
}

func TestMarkupInValuesIsEscaped(t *testing.T) {
	_, c := newClient(t)
	body := "Description: \"a < b & c > d\"\nResources:\n  Q:\n    Type: AWS::SQS::Queue\nOutputs:\n  O:\n    Value: \"<x>&amp;</x>\"\n"
	createStack(t, c, "app", body, nil)
	st := describeStack(t, c, "app")
	if aws.ToString(st.Description) != "a < b & c > d" || outputsOf(st)["O"] != "<x>&amp;</x>" {
		t.Fatalf("description %q outputs %v", aws.ToString(st.Description), outputsOf(st))
	}
	tmpl, err := c.GetTemplate(context.Background(), &cfn.GetTemplateInput{StackName: aws.String("app")})
	if err != nil || aws.ToString(tmpl.TemplateBody) != body {
		t.Fatalf("GetTemplate: %v %q", err, aws.ToString(tmpl.TemplateBody))
	}
}
