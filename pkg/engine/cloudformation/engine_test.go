package cloudformation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/engine/cloudformation"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/fakecfn"
)

// These tests run the adapter against test/fakecfn, a stateful fake of the
// CloudFormation API spoken to through the real SDK client.

const secret = "hunter2-very-secret"

const templateV1 = `AWSTemplateFormatVersion: "2010-09-09"
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
      BucketName: !Sub "shop-${Env}-data"
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: orders
      VisibilityTimeout: 30
  Param:
    Type: AWS::SSM::Parameter
    DependsOn: Queue
    Properties:
      Name: /shop/password
      Type: String
      Value: !Ref DbPassword
Outputs:
  BucketName:
    Value: !Ref Bucket
  Dsn:
    Value: !Sub "postgres://app:${DbPassword}@db"
`

type fixture struct {
	srv *fakecfn.Server
	dir string
	log *bytes.Buffer
	a   *cloudformation.Adapter
}

func newFixture(t *testing.T, o cloudformation.Options) *fixture {
	t.Helper()
	srv := fakecfn.New()
	t.Cleanup(srv.Close)
	f := &fixture{srv: srv, dir: t.TempDir(), log: &bytes.Buffer{}}
	f.write(t, "stack.yaml", templateV1)
	f.write(t, "params.json", `{"Env": "prod", "DbPassword": "`+secret+`"}`)
	cfg := srv.Config(context.Background())
	// The SDK's own retryer, without its waits.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	o.Dir, o.Template, o.ParametersFile, o.AWS, o.Log = f.dir, "stack.yaml", "params.json", &cfg, f.log
	if o.Stack == "" {
		o.Stack = "shop"
	}
	o.PollInterval = time.Millisecond
	a, err := cloudformation.New(o)
	require.NoError(t, err)
	require.NoError(t, a.Init(context.Background(), engine.InitOptions{}))
	f.a = a
	return f
}

func (f *fixture) write(t *testing.T, name, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, name), []byte(body), 0o600))
}

func (f *fixture) plan(t *testing.T, out string) *engine.Plan {
	t.Helper()
	p, err := f.a.Plan(context.Background(), engine.PlanOptions{Out: out})
	require.NoError(t, err)
	return p
}

func (f *fixture) apply(t *testing.T, planFile string) *engine.ApplyReport {
	t.Helper()
	r, err := f.a.Apply(context.Background(), engine.ApplyOptions{PlanFile: planFile})
	require.NoError(t, err)
	return r
}

func actions(s *plan.Summary) []string {
	var out []string
	for _, c := range s.Changes {
		out = append(out, string(c.Action)+" "+c.Address)
	}
	return out
}

func addresses(rs []engine.ResourceResult) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Action+" "+r.Address)
	}
	return out
}

func TestANewStackIsPlannedAndApplied(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	p := f.plan(t, "plan.json")
	assert.True(t, p.HasChanges)
	assert.Equal(t, []string{"create Bucket", "create Param", "create Queue"}, actions(p.Summary))
	assert.Equal(t, [3]int{3, 0, 0}, [3]int{p.Summary.Add, p.Summary.Change, p.Summary.Destroy})
	assert.Contains(t, p.Summary.Secrets, secret, "the NoEcho parameter's value is masked")
	assert.NotContains(t, p.Text, secret)
	assert.Contains(t, p.Text, "(CREATE) for stack shop")

	raw, err := os.ReadFile(filepath.Join(f.dir, "plan.json"))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), secret, "the saved plan holds no values")
	var saved map[string]any
	require.NoError(t, json.Unmarshal(raw, &saved))
	assert.Equal(t, "CREATE", saved["changeSetType"])
	assert.Regexp(t, `^lockstep-[0-9a-f]{12}$`, saved["changeSetName"])

	st, ok := f.srv.Stack("shop")
	require.True(t, ok)
	assert.Equal(t, "REVIEW_IN_PROGRESS", st.Status, "a plan creates nothing but the empty stack CloudFormation makes for a CREATE change set")

	read, err := f.a.ReadPlan(ctx, engine.ReadOptions{PlanFile: "plan.json"})
	require.NoError(t, err)
	assert.Equal(t, p.Summary, read.Summary)
	assert.Equal(t, p.Fingerprint, read.Fingerprint)
	assert.False(t, read.HasChanges, "ReadPlan does not set HasChanges (the record does)")

	r := f.apply(t, "plan.json")
	assert.ElementsMatch(t, []string{"create Bucket", "create Queue", "create Param"}, addresses(r.Applied))
	assert.Empty(t, r.Failed)
	assert.Empty(t, r.NotReached)
	st, _ = f.srv.Stack("shop")
	assert.Equal(t, "CREATE_COMPLETE", st.Status)
	assert.Contains(t, f.log.String(), "CREATE_COMPLETE")
	assert.Contains(t, f.log.String(), "AWS::SQS::Queue Queue")
	assert.NotContains(t, f.log.String(), secret)

	assert.Equal(t, engine.Output{Sensitive: true}, r.Outputs["Dsn"], "an output showing a NoEcho value is sensitive")
	assert.Equal(t, json.RawMessage(`"`+st.Resources["Bucket"].PhysicalID+`"`), r.Outputs["BucketName"].Value)
	outs, err := f.a.Outputs(ctx)
	require.NoError(t, err)
	assert.Equal(t, r.Outputs, outs)
}

func TestAReplacementShowsAsReplaceInTheComment(t *testing.T) {
	f := newFixture(t, cloudformation.Options{})
	f.plan(t, "plan.json")
	f.apply(t, "plan.json")

	f.write(t, "stack.yaml", strings.Replace(strings.Replace(templateV1, "QueueName: orders", "QueueName: orders-v2", 1), "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1))
	p := f.plan(t, "plan.json")
	assert.Equal(t, []string{"replace Queue"}, actions(p.Summary))
	c := p.Summary.Changes[0]
	assert.Equal(t, []string{"QueueName"}, c.ReplacePaths)
	assert.Equal(t, []string{"QueueName", "VisibilityTimeout"}, c.ChangedAttributes)
	assert.Equal(t, [4]int{1, 0, 1, 1}, [4]int{p.Summary.Add, p.Summary.Change, p.Summary.Destroy, p.Summary.Replace})
	require.Len(t, p.Summary.Dangerous(), 1)

	md := comment.Render(p.Summary, p.Text, comment.Meta{Directory: "infra", Environment: "prod", Engine: engine.CloudFormation}, comment.Options{})
	assert.Contains(t, md, "Queue")
	assert.Contains(t, md, "QueueName")
	assert.Contains(t, strings.ToLower(md), "replace")

	r := f.apply(t, "plan.json")
	assert.Equal(t, []string{"replace Queue"}, addresses(r.Applied))
	st, _ := f.srv.Stack("shop")
	assert.Equal(t, "UPDATE_COMPLETE", st.Status)
}

func TestAConditionalReplacementIsDangerous(t *testing.T) {
	f := newFixture(t, cloudformation.Options{})
	f.write(t, "params.json", `{}`)
	f.write(t, "stack.yaml", "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1\n      InstanceType: t3.micro\n")
	f.plan(t, "plan.json")
	f.apply(t, "plan.json")
	f.write(t, "stack.yaml", "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1\n      InstanceType: t3.large\n")
	p := f.plan(t, "plan.json")
	require.Len(t, p.Summary.Changes, 1)
	c := p.Summary.Changes[0]
	assert.Equal(t, plan.ActionReplace, c.Action)
	assert.Equal(t, cloudformation.ActionReasonConditional, c.ActionReason)
	assert.Equal(t, []string{"InstanceType"}, c.ReplacePaths)
	assert.Len(t, p.Summary.Dangerous(), 1, "a change that may replace is treated as one that does")
	assert.Contains(t, p.Text, "may be replaced")
}

func TestAnEmptyChangeSetIsNoChangesAndDeleted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	f.plan(t, "plan.json")
	f.apply(t, "plan.json")

	deletes := f.srv.CallCount("DeleteChangeSet")
	p := f.plan(t, "again.json")
	assert.False(t, p.HasChanges)
	assert.Empty(t, p.Summary.Changes)
	assert.Contains(t, p.Text, "no changes")
	assert.Equal(t, deletes+1, f.srv.CallCount("DeleteChangeSet"), "the empty change set is deleted")
	list, err := cfn.NewFromConfig(f.srv.Config(ctx)).ListChangeSets(ctx, &cfn.ListChangeSetsInput{StackName: aws.String("shop")})
	require.NoError(t, err)
	for _, cs := range list.Summaries {
		assert.Equal(t, "EXECUTE_COMPLETE", string(cs.ExecutionStatus), "only the executed change set is left: %s", aws.ToString(cs.ChangeSetName))
	}

	executes := f.srv.CallCount("ExecuteChangeSet")
	r, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "again.json"})
	require.NoError(t, err)
	assert.Empty(t, r.Applied)
	assert.Equal(t, executes, f.srv.CallCount("ExecuteChangeSet"))
}

func TestAChangeSetStaleAfterAnotherExecutionIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	f.plan(t, "plan.json")
	f.apply(t, "plan.json")

	f.write(t, "stack.yaml", strings.Replace(templateV1, "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1))
	f.plan(t, "first.json")
	f.write(t, "stack.yaml", strings.Replace(templateV1, "VisibilityTimeout: 30", "VisibilityTimeout: 90", 1))
	f.plan(t, "second.json")
	f.apply(t, "second.json") // CloudFormation deletes the stack's other change sets

	f.write(t, "stack.yaml", strings.Replace(templateV1, "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1))
	executes := f.srv.CallCount("ExecuteChangeSet")
	r, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "first.json"})
	require.ErrorIs(t, err, engine.ErrStalePlan)
	assert.Contains(t, err.Error(), "no longer exists")
	assert.Equal(t, executes, f.srv.CallCount("ExecuteChangeSet"), "ExecuteChangeSet was never called")
	assert.Empty(t, r.Applied)
	assert.Equal(t, []string{"update Queue"}, addresses(r.Planned))
	st, _ := f.srv.Stack("shop")
	assert.Equal(t, "90", strings.TrimSpace(toString(st.Resources["Queue"].Properties["VisibilityTimeout"])))
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

func TestATemplateEditedAfterThePlanIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	f.plan(t, "plan.json")
	f.write(t, "stack.yaml", templateV1+"\n# edited\n")
	_, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.ErrorIs(t, err, engine.ErrStalePlan)
	assert.Contains(t, err.Error(), "the template stack.yaml is not the one planned")
	assert.Zero(t, f.srv.CallCount("ExecuteChangeSet"))

	f.write(t, "stack.yaml", templateV1)
	f.write(t, "params.json", `{"Env": "staging", "DbPassword": "`+secret+`"}`)
	_, err = f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.ErrorIs(t, err, engine.ErrStalePlan)
	assert.Contains(t, err.Error(), "parameters file")
	assert.NotContains(t, err.Error(), secret)
	assert.Zero(t, f.srv.CallCount("ExecuteChangeSet"))
}

func TestTheSameContentPlannedAgainReplacesItsChangeSet(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	one := f.plan(t, "one.json")
	two := f.plan(t, "two.json")
	assert.Equal(t, one.Fingerprint, two.Fingerprint)
	var a, b map[string]any
	for name, m := range map[string]*map[string]any{"one.json": &a, "two.json": &b} {
		raw, err := os.ReadFile(filepath.Join(f.dir, name))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, m))
	}
	assert.Equal(t, a["changeSetName"], b["changeSetName"])
	assert.NotEqual(t, a["changeSetArn"], b["changeSetArn"], "deleted and created anew")
	assert.Equal(t, "CREATE", b["changeSetType"], "a stack left in REVIEW_IN_PROGRESS is planned with CREATE again")

	executes := f.srv.CallCount("ExecuteChangeSet")
	_, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "one.json"})
	require.ErrorIs(t, err, engine.ErrStalePlan)
	assert.Equal(t, executes, f.srv.CallCount("ExecuteChangeSet"))
	f.apply(t, "two.json")
}

func TestAFailingResourceWithoutRollback(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	f.srv.FailResource("shop", "Queue", "Queue orders already exists ("+secret+")")
	f.plan(t, "plan.json")
	r, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.Error(t, err)
	assert.False(t, errors.Is(err, engine.ErrStalePlan))
	assert.Contains(t, err.Error(), "ended CREATE_FAILED")
	require.Len(t, r.Failed, 1)
	assert.Equal(t, "Queue", r.Failed[0].Address)
	assert.Contains(t, r.Failed[0].Error, "Queue orders already exists")
	assert.NotContains(t, r.Failed[0].Error+err.Error()+f.log.String(), secret)
	assert.Equal(t, []string{"create Param"}, addresses(r.NotReached), "Param depends on Queue")
	st, _ := f.srv.Stack("shop")
	assert.Equal(t, "CREATE_FAILED", st.Status, "no rollback: the stack stays as far as it got")
	assert.NotContains(t, strings.Join(r.Errors, "\n"), "rolled")
	var call fakecfn.Call
	for _, c := range f.srv.Calls() {
		if c.Action == "ExecuteChangeSet" {
			call = c
		}
	}
	assert.Equal(t, "true", call.Params.Get("DisableRollback"))
	assert.True(t, strings.HasPrefix(call.Params.Get("ClientRequestToken"), "lockstep-"), "a retried execute is the same execution")
}

func TestAFailingResourceWithRollback(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{Rollback: true})
	f.plan(t, "plan.json")
	f.apply(t, "plan.json")

	f.write(t, "stack.yaml", strings.Replace(strings.Replace(templateV1, "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1), "shop-${Env}-data", "shop-${Env}-data2", 1))
	f.srv.FailResource("shop", "Queue", "rate of change too high")
	p := f.plan(t, "plan.json")
	assert.Equal(t, []string{"replace Bucket", "update Queue"}, actions(p.Summary))
	r, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "UPDATE_ROLLBACK_COMPLETE")
	require.Len(t, r.Failed, 1)
	assert.Equal(t, "Queue", r.Failed[0].Address)
	assert.Contains(t, r.Failed[0].Error, "rate of change too high")
	assert.Empty(t, r.Applied, "rolled back: nothing stays applied")
	require.NotEmpty(t, r.Errors)
	assert.Contains(t, r.Errors[len(r.Errors)-1], "CloudFormation rolled the stack shop back")
	st, _ := f.srv.Stack("shop")
	assert.Equal(t, "UPDATE_ROLLBACK_COMPLETE", st.Status)
}

func TestPagingAndPendingOperations(t *testing.T) {
	f := newFixture(t, cloudformation.Options{})
	f.srv.SetPageSize(1)
	f.srv.SetPending(2)
	p := f.plan(t, "plan.json")
	assert.Equal(t, []string{"create Bucket", "create Param", "create Queue"}, actions(p.Summary), "every page described")
	r := f.apply(t, "plan.json")
	assert.Len(t, r.Applied, 3)
	assert.Greater(t, f.srv.CallCount("DescribeStackEvents"), 3, "events read page by page")
	st, _ := f.srv.Stack("shop")
	assert.Equal(t, "CREATE_COMPLETE", st.Status)
	n := 0
	for _, line := range strings.Split(f.log.String(), "\n") {
		if strings.Contains(line, "CREATE_COMPLETE") && strings.HasSuffix(line, "AWS::SQS::Queue Queue") {
			n++
		}
	}
	assert.Equal(t, 1, n, "each event logged once:\n%s", f.log.String())
}

func TestValidateIsOffline(t *testing.T) {
	dir := t.TempDir()
	a, err := cloudformation.New(cloudformation.Options{Dir: dir, Template: "stack.yaml", Stack: "shop", ParametersFile: "params.json"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stack.yaml"), []byte(templateV1), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "params.json"), []byte(`{"Env":"x","Typo":"y"}`), 0o600))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	require.NoError(t, a.Init(context.Background(), engine.InitOptions{NoBackend: true}))
	diags, err := a.Validate(context.Background())
	require.NoError(t, err)
	require.Len(t, diags, 1)
	assert.Equal(t, "params.json", diags[0].File)
	assert.Contains(t, diags[0].Summary, "Typo")
}

func TestAFailedChangeSetIsAnErrorWithoutSecrets(t *testing.T) {
	f := newFixture(t, cloudformation.Options{})
	f.write(t, "params.json", `{"Env": "prod", "DbPassword": "`+secret+`", "Nope": "x"}`)
	p, err := f.a.Plan(context.Background(), engine.PlanOptions{Out: "plan.json"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Nope")
	assert.NotContains(t, err.Error(), secret)
	if p != nil {
		assert.NotContains(t, p.Text, secret)
	}
	assert.NoFileExists(t, filepath.Join(f.dir, "plan.json"))
}

func TestInitWithoutARegionSaysSo(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	a, err := cloudformation.New(cloudformation.Options{Dir: t.TempDir(), Template: "stack.yaml", Stack: "shop"})
	require.NoError(t, err)
	err = a.Init(context.Background(), engine.InitOptions{})
	require.ErrorContains(t, err, "no AWS region is set: set AWS_REGION")
}

func TestThrottlingIsRetried(t *testing.T) {
	f := newFixture(t, cloudformation.Options{})
	f.srv.Throttle("CreateChangeSet", 2)
	f.srv.Throttle("ExecuteChangeSet", 1)
	f.plan(t, "plan.json")
	assert.Equal(t, 3, f.srv.CallCount("CreateChangeSet"))
	r := f.apply(t, "plan.json")
	assert.Len(t, r.Applied, 3)
	assert.Equal(t, 2, f.srv.CallCount("ExecuteChangeSet"), "throttled once, then retried by the SDK")
}

func TestAnObsoleteChangeSetIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	f.plan(t, "plan.json")
	f.apply(t, "plan.json")
	f.write(t, "stack.yaml", strings.Replace(templateV1, "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1))
	f.plan(t, "plan.json")
	f.srv.UpdatedElsewhere("shop")

	executes := f.srv.CallCount("ExecuteChangeSet")
	_, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.ErrorIs(t, err, engine.ErrStalePlan)
	assert.Contains(t, err.Error(), "execution status OBSOLETE")
	assert.Equal(t, executes, f.srv.CallCount("ExecuteChangeSet"))
}

// After a failed apply (no rollback), the next plan fixes forward from
// where the stack stands.
func TestAFailedStackIsFixedForward(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cloudformation.Options{})
	f.srv.FailResource("shop", "Queue", "boom")
	f.plan(t, "plan.json")
	_, err := f.a.Apply(ctx, engine.ApplyOptions{PlanFile: "plan.json"})
	require.Error(t, err)

	f.srv.ClearFailure("shop", "Queue")
	p := f.plan(t, "plan.json")
	raw, err := os.ReadFile(filepath.Join(f.dir, "plan.json"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"changeSetType": "UPDATE"`)
	// (How a resource left CREATE_FAILED shows in the next change set is
	// the fake's model; the one never reached is created.)
	assert.Contains(t, actions(p.Summary), "create Param", "what the failed apply did not reach")
	r := f.apply(t, "plan.json")
	assert.Empty(t, r.Failed)
	st, _ := f.srv.Stack("shop")
	assert.Equal(t, "UPDATE_COMPLETE", st.Status)
}

func TestAPlanIsAppliedInItsOwnRegionOnly(t *testing.T) {
	f := newFixture(t, cloudformation.Options{})
	f.plan(t, "plan.json")
	cfg := f.srv.Config(context.Background())
	cfg.Region = "eu-west-1"
	a, err := cloudformation.New(cloudformation.Options{Dir: f.dir, Template: "stack.yaml", ParametersFile: "params.json", Stack: "shop", AWS: &cfg, PollInterval: time.Millisecond})
	require.NoError(t, err)
	_, err = a.Apply(context.Background(), engine.ApplyOptions{PlanFile: "plan.json"})
	require.ErrorContains(t, err, "the saved plan was made in the AWS region us-east-1, and apply runs in eu-west-1")
	assert.Zero(t, f.srv.CallCount("ExecuteChangeSet"))
}
