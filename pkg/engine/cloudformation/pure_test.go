package cloudformation

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

func TestParseParameters(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string // key -> value ("<previous>" for UsePreviousValue)
		wantErr string
	}{
		{name: "list", in: `[{"ParameterKey":"B","ParameterValue":"2"},{"ParameterKey":"A","ParameterValue":"1"}]`, want: map[string]string{"A": "1", "B": "2"}},
		{name: "previous value", in: `[{"ParameterKey":"A","UsePreviousValue":true}]`, want: map[string]string{"A": "<previous>"}},
		{name: "object", in: `{"Name":"x","Count":3,"On":true,"Subnets":["a","b"]}`, want: map[string]string{"Name": "x", "Count": "3", "On": "true", "Subnets": "a,b"}},
		{name: "empty", in: " ", wantErr: "is empty"},
		{name: "not json", in: "Name: x", wantErr: "is not JSON"},
		{name: "unknown field", in: `[{"Key":"A","Value":"1"}]`, wantErr: `unknown field "Key"`},
		{name: "no key", in: `[{"ParameterValue":"1"}]`, wantErr: "entry 1 has no ParameterKey"},
		{name: "no value", in: `[{"ParameterKey":"A"}]`, wantErr: "parameter A has neither a ParameterValue"},
		{name: "object value", in: `{"A":{"b":1}}`, wantErr: "parameter A is neither a string"},
		{name: "list of numbers", in: `{"A":[1]}`, wantErr: "parameter A is a list holding something other than strings"},
		{name: "twice", in: `[{"ParameterKey":"A","ParameterValue":"1"},{"ParameterKey":"A","ParameterValue":"2"}]`, wantErr: "gives parameter A twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseParameters("params.json", []byte(tt.in))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "params.json", "the error names the file")
				return
			}
			require.NoError(t, err)
			m := map[string]string{}
			var keys []string
			for _, p := range got {
				keys = append(keys, *p.ParameterKey)
				if aws.ToBool(p.UsePreviousValue) {
					m[*p.ParameterKey] = "<previous>"
					assert.Nil(t, p.ParameterValue)
					continue
				}
				m[*p.ParameterKey] = *p.ParameterValue
			}
			assert.Equal(t, tt.want, m)
			assert.IsIncreasing(t, keys, "sorted by key")
		})
	}
}

const goodTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: dev
  DbPassword:
    Type: String
    NoEcho: true
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "shop-${Env}"
      Tags:
        - Key: env
          Value: !Ref Env
  Param:
    Type: AWS::SSM::Parameter
    DependsOn: Bucket
    Properties:
      Type: String
      Value: !GetAtt Bucket.Arn
  Custom:
    Type: Custom::Thing
    Properties:
      Anything: goes
Outputs:
  BucketName:
    Value: !Ref Bucket
  Arn:
    Value: {"Fn::GetAtt": ["Bucket", "Arn"]}
`

func check(t *testing.T, body string) []engine.Diagnostic {
	t.Helper()
	tpl, err := parseTemplate([]byte(body))
	require.NoError(t, err)
	spec, err := loadSpec()
	require.NoError(t, err)
	return checkTemplate("stack.yaml", tpl, spec)
}

func TestCheckTemplateAcceptsAGoodOne(t *testing.T) {
	assert.Empty(t, check(t, goodTemplate))
	tpl, err := parseTemplate([]byte(goodTemplate))
	require.NoError(t, err)
	assert.Equal(t, []string{"DbPassword"}, tpl.noEcho())
}

func TestCheckTemplateFindsProblemsWithTheirLines(t *testing.T) {
	body := `Resources:
  Bucket:
    Type: AWS::S3::Buckett
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueNam: orders
      RedrivePolicy: {}
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Value: !Ref Missing
      Tier: Standard
      Tags: {any: thing}
  Other:
    Type: Acme::Widget::Thing
    Dependson: Queue
Outputs:
  X:
    Value: !GetAtt Nope.Arn
Extra: 1
`
	type at struct {
		Warning bool
		Line    int
		Summary string
	}
	var got []at
	for _, d := range check(t, body) {
		assert.Equal(t, "stack.yaml", d.File)
		got = append(got, at{d.Warning, d.Line, d.Summary})
	}
	assert.ElementsMatch(t, []at{
		{false, 21, "unknown template section Extra"},
		{false, 3, "resource Bucket has an unknown type AWS::S3::Buckett"},
		{false, 7, "Queue.Properties has an unknown property QueueNam (AWS::SQS::Queue)"},
		{false, 11, "Param.Properties is missing the required property Type (AWS::SSM::Parameter)"},
		{false, 12, "Ref to Missing, which the template does not declare"},
		{true, 16, "resource Other has the type Acme::Widget::Thing, which lockstep cannot check"},
		{false, 17, "resource Other has an unknown attribute Dependson"},
		{false, 20, "Fn::GetAtt of Nope, which is not a resource of the template"},
	}, got)
	for _, d := range check(t, body) {
		switch {
		case strings.Contains(d.Summary, "Buckett"):
			assert.Contains(t, d.Detail, "did you mean AWS::S3::Bucket?")
		case strings.Contains(d.Summary, "QueueNam"):
			assert.Contains(t, d.Detail, "did you mean QueueName?")
		case strings.Contains(d.Summary, "Dependson"):
			assert.Contains(t, d.Detail, "did you mean DependsOn?")
		}
	}
}

func TestCheckTemplateJSONAndSyntax(t *testing.T) {
	json := "{\n\t\"Resources\": {\n\t\t\"T\": {\"Type\": \"AWS::SNS::Topic\", \"Properties\": {\"TopicNme\": \"x\"}}\n\t}\n}\n"
	diags := check(t, json)
	require.Len(t, diags, 1)
	assert.Contains(t, diags[0].Summary, "unknown property TopicNme")

	_, err := parseTemplate([]byte("Resources:\n  A: [\n"))
	require.Error(t, err)
	d := syntaxDiagnostic("stack.yaml", err)
	assert.Equal(t, "the template does not parse as JSON or YAML", d.Summary)
	assert.Positive(t, d.Line)

	assert.Equal(t, "the template has no resources", check(t, "Description: nothing\n")[0].Summary)
}

func TestChangeOfMapsActionsAndReplacement(t *testing.T) {
	detail := func(attr, name, rr string) diffDetail {
		return diffDetail{Attribute: attr, Name: name, RequiresRecreation: rr}
	}
	tests := []struct {
		name string
		in   resourceDiff
		want plan.Change
	}{
		{"add", resourceDiff{Address: "B", LogicalID: "B", Type: "AWS::S3::Bucket", Action: "Add"},
			plan.Change{Address: "B", Name: "B", Type: "AWS::S3::Bucket", Mode: "managed", Action: plan.ActionCreate}},
		{"remove", resourceDiff{Address: "B", LogicalID: "B", Type: "T", Action: "Remove"},
			plan.Change{Address: "B", Name: "B", Type: "T", Mode: "managed", Action: plan.ActionDelete}},
		{"import", resourceDiff{Address: "B", LogicalID: "B", Type: "T", Action: "Import"},
			plan.Change{Address: "B", Name: "B", Type: "T", Mode: "managed", Action: plan.ActionImport, Importing: true}},
		{"modify in place", resourceDiff{Address: "Q", LogicalID: "Q", Type: "T", Action: "Modify", Replacement: "False",
			Details: []diffDetail{detail("Properties", "VisibilityTimeout", "Never"), detail("Tags", "", "Never")}},
			plan.Change{Address: "Q", Name: "Q", Type: "T", Mode: "managed", Action: plan.ActionUpdate, ChangedAttributes: []string{"Tags", "VisibilityTimeout"}}},
		{"replace", resourceDiff{Address: "Q", LogicalID: "Q", Type: "T", Action: "Modify", Replacement: "True",
			Details: []diffDetail{detail("Properties", "QueueName", "Always"), detail("Properties", "DelaySeconds", "Never")}},
			plan.Change{Address: "Q", Name: "Q", Type: "T", Mode: "managed", Action: plan.ActionReplace, ChangedAttributes: []string{"DelaySeconds", "QueueName"}, ReplacePaths: []string{"QueueName"}}},
		{"conditional replace", resourceDiff{Address: "I", LogicalID: "I", Type: "T", Action: "Modify", Replacement: "Conditional",
			Details: []diffDetail{detail("Properties", "InstanceType", "Conditionally")}},
			plan.Change{Address: "I", Name: "I", Type: "T", Mode: "managed", Action: plan.ActionReplace, ActionReason: ActionReasonConditional, ChangedAttributes: []string{"InstanceType"}, ReplacePaths: []string{"InstanceType"}}},
		{"dynamic uses the scope", resourceDiff{Address: "Net/Sub", LogicalID: "Sub", Type: "T", Action: "Dynamic", Scope: []string{"Properties"}},
			plan.Change{Address: "Net/Sub", ModuleAddress: "Net", Name: "Sub", Type: "T", Mode: "managed", Action: plan.ActionUpdate, ChangedAttributes: []string{"Properties"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := changeOf(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := changeOf(resourceDiff{Address: "X", Action: "Obliterate"})
	require.ErrorContains(t, err, `the action "Obliterate"`)
}

func TestConditionalReplacementIsDangerous(t *testing.T) {
	s, err := summarize(&savedPlan{Changes: []resourceDiff{
		{Address: "A", LogicalID: "A", Type: "T", Action: "Add"},
		{Address: "I", LogicalID: "I", Type: "T", Action: "Modify", Replacement: "Conditional"},
		{Address: "Q", LogicalID: "Q", Type: "T", Action: "Modify", Replacement: "False"},
		{Address: "Z", LogicalID: "Z", Type: "T", Action: "Remove"},
	}})
	require.NoError(t, err)
	assert.Equal(t, [5]int{2, 1, 2, 1, 0}, [5]int{s.Add, s.Change, s.Destroy, s.Replace, s.Import})
	var dangerous []string
	for _, c := range s.Dangerous() {
		dangerous = append(dangerous, c.Address)
	}
	assert.Equal(t, []string{"Z", "I"}, dangerous)
	assert.Equal(t, engine.CloudFormation, s.Engine)
}

func TestDiffOfKeepsNoValues(t *testing.T) {
	rc := &types.ResourceChange{
		Action: types.ChangeActionModify, LogicalResourceId: aws.String("P"), ResourceType: aws.String("AWS::SSM::Parameter"),
		Replacement: types.ReplacementFalse, Scope: []types.ResourceAttribute{types.ResourceAttributeProperties},
		BeforeContext: aws.String(`{"Value":"old-secret"}`), AfterContext: aws.String(`{"Value":"new-secret"}`),
		Details: []types.ResourceChangeDetail{{
			ChangeSource: types.ChangeSourceParameterReference, Evaluation: types.EvaluationTypeStatic, CausingEntity: aws.String("DbPassword"),
			Target: &types.ResourceTargetDefinition{Attribute: types.ResourceAttributeProperties, Name: aws.String("Value"), RequiresRecreation: types.RequiresRecreationNever,
				BeforeValue: aws.String("old-secret"), AfterValue: aws.String("new-secret")},
		}},
	}
	d := diffOf("", rc)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "secret")
	assert.Equal(t, diffDetail{Attribute: "Properties", Name: "Value", RequiresRecreation: "Never", ChangeSource: "ParameterReference", Evaluation: "Static", CausingEntity: "DbPassword"}, d.Details[0])
}

func TestSavedPlanRoundTripsDeterministically(t *testing.T) {
	sp := &savedPlan{Format: planFormat, Stack: "shop", Template: "stack.yaml", TemplateSHA256: strings.Repeat("a", 64), ContentSHA256: strings.Repeat("b", 64),
		HasChanges: true, ChangeSetName: "lockstep-bbbbbbbbbbbb", ChangeSetARN: "arn:aws:cloudformation:us-east-1:1:changeSet/x/y", ChangeSetType: "UPDATE",
		Changes: []resourceDiff{{Address: "A", LogicalID: "A", Type: "T", Action: "Add"}}}
	one, err := sp.encode()
	require.NoError(t, err)
	two, err := sp.encode()
	require.NoError(t, err)
	assert.Equal(t, one, two)
	back, err := decodePlan(one)
	require.NoError(t, err)
	assert.Equal(t, sp, back)
	assert.Equal(t, fingerprint(sp), fingerprint(back))

	other := *sp
	other.ChangeSetARN = "arn:aws:cloudformation:us-east-1:1:changeSet/x/z"
	assert.Equal(t, fingerprint(sp), fingerprint(&other), "the same changes planned again have the same fingerprint")
	other.TemplateSHA256 = strings.Repeat("c", 64)
	assert.NotEqual(t, fingerprint(sp), fingerprint(&other))

	_, err = decodePlan([]byte(`{"format":"lockstep-cloudformation-plan/v0","stack":"s","templateSha256":"x","changes":[]}`))
	require.ErrorContains(t, err, "re-run the plan with this lockstep")
	_, err = decodePlan([]byte(`{"resourcePlans":{}}`))
	require.ErrorContains(t, err, "unknown field")
}

func TestChangeSetName(t *testing.T) {
	c := contentSHA256("shop", "UPDATE", "t", "p")
	assert.Equal(t, "lockstep-"+c[:12], changeSetName(c))
	assert.NotEqual(t, c, contentSHA256("shop", "CREATE", "t", "p"))
	assert.NotEqual(t, c, contentSHA256("shop", "UPDATE", "t", ""))
}

func event(id, logical, typ string, status types.ResourceStatus, reason string) types.StackEvent {
	ev := types.StackEvent{EventId: aws.String(id), LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ), ResourceStatus: status, Timestamp: aws.Time(time.Unix(0, 0))}
	if reason != "" {
		ev.ResourceStatusReason = aws.String(reason)
	}
	return ev
}

func TestApplyReport(t *testing.T) {
	planned := []engine.ResourceResult{{Address: "Topic", Action: "replace"}, {Address: "Bucket", Action: "create"}, {Address: "Queue", Action: "update"}, {Address: "Net/Sub", Action: "update"}, {Address: "Net", Action: "update"}}
	const stackType = "AWS::CloudFormation::Stack"
	events := []types.StackEvent{
		event("1", "shop", stackType, "UPDATE_IN_PROGRESS", "User Initiated"),
		event("2", "Topic", "AWS::SNS::Topic", "UPDATE_IN_PROGRESS", ""),
		event("3", "Topic", "AWS::SNS::Topic", "UPDATE_COMPLETE", ""),
		event("4", "Net", stackType, "UPDATE_IN_PROGRESS", ""),
		event("5", "Bucket", "AWS::S3::Bucket", "CREATE_IN_PROGRESS", ""),
		event("6", "Bucket", "AWS::S3::Bucket", "CREATE_FAILED", "Bucket hunter2 already exists"),
		event("7", "Net", stackType, "UPDATE_FAILED", "Resource update cancelled"),
		event("8", "Old", "AWS::SNS::Topic", "DELETE_FAILED", "access denied"),
		event("9", "shop", stackType, "UPDATE_FAILED", "The following resource(s) failed to create: [Bucket]."),
	}
	r := applyReport(planned, events, "shop", types.StackStatusUpdateFailed, redact.New([]string{"hunter2"}, "***"))
	assert.Equal(t, []engine.ResourceResult{{Address: "Topic", Action: "replace"}}, r.Applied)
	assert.Equal(t, []engine.ResourceResult{
		{Address: "Bucket", Action: "create", Error: "Bucket *** already exists"},
		{Address: "Net/Sub", Action: "update", Error: "Resource update cancelled"},
		{Address: "Net", Action: "update", Error: "Resource update cancelled"},
	}, r.Failed)
	assert.Equal(t, []engine.ResourceResult{{Address: "Queue", Action: "update"}}, r.NotReached)
	assert.Equal(t, []string{"Old: access denied"}, r.Errors)

	// With CloudFormation's rollback, what was applied was undone.
	events = append(events[:8],
		event("10", "shop", stackType, "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Bucket]."),
		event("11", "Topic", "AWS::SNS::Topic", "UPDATE_COMPLETE", ""),
		event("12", "shop", stackType, "UPDATE_ROLLBACK_COMPLETE", ""))
	r = applyReport(planned, events, "shop", types.StackStatusUpdateRollbackComplete, redact.New(nil, "***"))
	assert.Empty(t, r.Applied)
	assert.Len(t, r.Failed, 3)
	require.Len(t, r.Errors, 2)
	assert.Equal(t, "CloudFormation rolled the stack shop back (engine-rollback: true) and it is now UPDATE_ROLLBACK_COMPLETE: the changes applied to Topic were undone", r.Errors[1])
}

func TestOutputsRedactNoEchoValues(t *testing.T) {
	outs := outputsOf([]types.Output{
		{OutputKey: aws.String("Url"), OutputValue: aws.String("https://shop.example")},
		{OutputKey: aws.String("Dsn"), OutputValue: aws.String("postgres://app:hunter2@db")},
	}, []string{"hunter2"})
	assert.Equal(t, map[string]engine.Output{
		"Url": {Value: json.RawMessage(`"https://shop.example"`)},
		"Dsn": {Sensitive: true},
	}, outs)
}

func TestNewRefusesBadInputs(t *testing.T) {
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Dir: ".", Template: "t.yaml"}, "the stack input is empty"},
		{Options{Dir: ".", Template: "t.yaml", Stack: "--profile"}, `the stack input "--profile" is not a CloudFormation stack name`},
		{Options{Dir: ".", Template: "t.yaml", Stack: "9lives"}, "is not a CloudFormation stack name"},
		{Options{Dir: ".", Stack: "shop"}, "the template input is empty"},
	} {
		_, err := New(tt.o)
		assert.ErrorContains(t, err, tt.want)
	}
}

// JSON that YAML refuses (an escaped slash) is still checked, without
// lines.
func TestCheckTemplateJSONThatYAMLRefuses(t *testing.T) {
	diags := check(t, `{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "a\/b", "TopicNme": "x"}}}}`)
	require.Len(t, diags, 1)
	assert.Contains(t, diags[0].Summary, "unknown property TopicNme")
	assert.Zero(t, diags[0].Line)
}

func TestCheckTemplateNestedProperties(t *testing.T) {
	diags := check(t, `Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      Tags:
        - Key: a
          Vaule: b
      VersioningConfiguration:
        Stat: Enabled
`)
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d %s", d.Line, d.Summary))
	}
	assert.ElementsMatch(t, []string{
		"7 Bucket.Properties.Tags[0] has an unknown property Vaule (AWS::S3::Bucket)",
		"6 Bucket.Properties.Tags[0] is missing the required property Value (AWS::S3::Bucket)",
		"9 Bucket.Properties.VersioningConfiguration has an unknown property Stat (AWS::S3::Bucket)",
		"8 Bucket.Properties.VersioningConfiguration is missing the required property Status (AWS::S3::Bucket)",
	}, got)
}

func TestExecutionToken(t *testing.T) {
	assert.Equal(t, "lockstep-1a2b3c4d-5e6f-7a8b-9c0d-112233445566",
		executionToken("arn:aws:cloudformation:us-east-1:123456789012:changeSet/lockstep-0123456789ab/1a2b3c4d-5e6f-7a8b-9c0d-112233445566"))
	assert.Equal(t, "lockstep-abc", executionToken("weird/a_b:c"))
}
