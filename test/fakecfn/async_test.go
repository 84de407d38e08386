package fakecfn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/lockstep-ci/lockstep/test/fakecfn"
)

// manyQueues is a template with n queues Q1..Qn.
func manyQueues(n int, timeout int) string {
	var b strings.Builder
	b.WriteString("Resources:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  Q%d:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: %d\n", i, timeout)
	}
	return b.String()
}

func TestPaginatorsPageChangesAndEvents(t *testing.T) {
	s, c := newClient(t)
	s.SetPageSize(2)
	createChangeSet(t, c, "app", "create", manyQueues(5, 30), types.ChangeSetTypeCreate, nil)

	p := cfn.NewDescribeChangeSetPaginator(c, &cfn.DescribeChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("create")})
	var ids []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Changes) > 2 {
			t.Fatalf("page of %d changes with page size 2", len(out.Changes))
		}
		for _, ch := range out.Changes {
			ids = append(ids, aws.ToString(ch.ResourceChange.LogicalResourceId))
		}
	}
	if pages != 3 {
		t.Fatalf("%d pages, want 3", pages)
	}
	equalLists(t, "changes across pages", ids, []string{"Q1", "Q2", "Q3", "Q4", "Q5"})

	execute(t, c, "app", "create", false)
	got := events(t, c, "app") // 1 + 1 + 5*3 + 1 = 18 events, 9 pages
	if len(got) != 18 || got[0] != "app REVIEW_IN_PROGRESS" || got[17] != "app CREATE_COMPLETE" || got[14] != "Q5 CREATE_IN_PROGRESS" {
		t.Fatalf("events across pages: %v", got)
	}
	if n := s.CallCount("DescribeStackEvents"); n != 9 {
		t.Fatalf("%d DescribeStackEvents calls, want 9 pages", n)
	}
	res, err := cfn.NewListStackResourcesPaginator(c, &cfn.ListStackResourcesInput{StackName: aws.String("app")}).NextPage(context.Background())
	if err != nil || len(res.StackResourceSummaries) != 2 || res.NextToken == nil {
		t.Fatalf("ListStackResources first page: %v %+v", err, res)
	}
}

func TestThrottlingIsRetriedBySDK(t *testing.T) {
	s := fakecfn.New()
	defer s.Close()
	cfg := s.Config(context.Background())
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	c := cfn.NewFromConfig(cfg)
	s.Throttle("DescribeStacks", 2)
	if _, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{}); err != nil {
		t.Fatalf("DescribeStacks after two throttles: %v", err)
	}
	if n := s.CallCount("DescribeStacks"); n != 3 {
		t.Fatalf("%d attempts, want 3 (two throttled, one answered)", n)
	}

	s.Throttle("DescribeStacks", 3) // more than the SDK's 3 attempts
	_, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" || ae.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("exhausted retries: %v", err)
	}

	s.Unavailable(1)
	if _, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{}); err != nil {
		t.Fatalf("a 500 is retried too: %v", err)
	}
	s.Drop(1)
	before := s.CallCount("DescribeStacks")
	if _, err := c.DescribeStacks(context.Background(), &cfn.DescribeStacksInput{}); err != nil {
		t.Fatalf("a dropped connection is retried: %v", err)
	}
	if n := s.CallCount("DescribeStacks") - before; n != 2 {
		t.Fatalf("%d attempts after a dropped connection, want 2", n)
	}
}

func TestWaitersWithPendingOperations(t *testing.T) {
	s, c := newClient(t)
	ctx := context.Background()
	createStack(t, c, "app", manyQueues(1, 30), nil)
	s.SetPending(3)

	createChangeSet(t, c, "app", "update", manyQueues(1, 60), types.ChangeSetTypeUpdate, nil)
	first := describe(t, c, "app", "update")
	if first.Status != types.ChangeSetStatusCreatePending || first.ExecutionStatus != types.ExecutionStatusUnavailable || len(first.Changes) != 0 {
		t.Fatalf("first describe: %s %s %d changes", first.Status, first.ExecutionStatus, len(first.Changes))
	}
	_, err := c.ExecuteChangeSet(ctx, &cfn.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("update")})
	var invalid *types.InvalidChangeSetStatusException
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "current status of [CREATE_IN_PROGRESS]") {
		t.Fatalf("executing a change set still being created: %v", err)
	}

	before := s.CallCount("DescribeChangeSet")
	csWaiter := cfn.NewChangeSetCreateCompleteWaiter(c, func(o *cfn.ChangeSetCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 2*time.Millisecond
	})
	if err := csWaiter.Wait(ctx, &cfn.DescribeChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("update")}, time.Minute); err != nil {
		t.Fatalf("change set waiter: %v", err)
	}
	if n := s.CallCount("DescribeChangeSet") - before; n != 3 {
		t.Fatalf("waiter described %d times, want 3 (two pending, then complete)", n)
	}

	execute(t, c, "app", "update", false)
	if st := describeStack(t, c, "app"); st.StackStatus != types.StackStatusUpdateInProgress {
		t.Fatalf("stack right after execute: %s", st.StackStatus)
	}
	if got := events(t, c, "app"); got[len(got)-1] != "app UPDATE_IN_PROGRESS" {
		t.Fatalf("events while pending end with %q", got[len(got)-1])
	}
	if cs := describe(t, c, "app", "update"); cs.ExecutionStatus != types.ExecutionStatusExecuteInProgress {
		t.Fatalf("change set while executing: %s", cs.ExecutionStatus)
	}
	stackWaiter := cfn.NewStackUpdateCompleteWaiter(c, func(o *cfn.StackUpdateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 2*time.Millisecond
	})
	if err := stackWaiter.Wait(ctx, &cfn.DescribeStacksInput{StackName: aws.String("app")}, time.Minute); err != nil {
		t.Fatalf("stack waiter: %v", err)
	}
	if got := events(t, c, "app"); got[len(got)-1] != "app UPDATE_COMPLETE" {
		t.Fatalf("events after the waiter end with %q", got[len(got)-1])
	}
}

func TestDriftDetection(t *testing.T) {
	s, c := newClient(t)
	ctx := context.Background()
	createStack(t, c, "app", bucketV1, params("Secret", "x"))
	s.SetActual("app", "Param", "Value", "changed-by-hand")

	det, err := c.DetectStackDrift(ctx, &cfn.DetectStackDriftInput{StackName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	status, err := c.DescribeStackDriftDetectionStatus(ctx, &cfn.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: det.StackDriftDetectionId})
	if err != nil || status.DetectionStatus != types.StackDriftDetectionStatusDetectionComplete ||
		status.StackDriftStatus != types.StackDriftStatusDrifted || aws.ToInt32(status.DriftedStackResourceCount) != 1 {
		t.Fatalf("detection status: %v %+v", err, status)
	}
	drifts, err := c.DescribeStackResourceDrifts(ctx, &cfn.DescribeStackResourceDriftsInput{StackName: aws.String("app"),
		StackResourceDriftStatusFilters: []types.StackResourceDriftStatus{types.StackResourceDriftStatusModified}})
	if err != nil || len(drifts.StackResourceDrifts) != 1 {
		t.Fatalf("resource drifts: %v %+v", err, drifts)
	}
	d := drifts.StackResourceDrifts[0]
	if aws.ToString(d.LogicalResourceId) != "Param" || d.StackResourceDriftStatus != types.StackResourceDriftStatusModified ||
		len(d.PropertyDifferences) != 1 {
		t.Fatalf("drift %+v", d)
	}
	pd := d.PropertyDifferences[0]
	if aws.ToString(pd.PropertyPath) != "/Value" || aws.ToString(pd.ExpectedValue) != "lockstep-dev-data" ||
		aws.ToString(pd.ActualValue) != "changed-by-hand" || pd.DifferenceType != types.DifferenceTypeNotEqual {
		t.Fatalf("difference %+v", pd)
	}
	if st := describeStack(t, c, "app"); st.DriftInformation.StackDriftStatus != types.StackDriftStatusDrifted {
		t.Fatalf("stack drift info %+v", st.DriftInformation)
	}

	s.SetPending(1)
	det, err = c.DetectStackDrift(ctx, &cfn.DetectStackDriftInput{StackName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	status, _ = c.DescribeStackDriftDetectionStatus(ctx, &cfn.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: det.StackDriftDetectionId})
	if status.DetectionStatus != types.StackDriftDetectionStatusDetectionInProgress {
		t.Fatalf("pending detection: %s", status.DetectionStatus)
	}
}

// What an engine must expect: ExecuteChangeSet took effect, the answer was
// lost, and the SDK's retry is refused because the change set already ran.
func TestExecuteAppliedThenDroppedIsRetriedIntoInvalidChangeSetStatus(t *testing.T) {
	s := fakecfn.New()
	defer s.Close()
	cfg := s.Config(context.Background())
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	c := cfn.NewFromConfig(cfg)
	createStack(t, c, "app", manyQueues(1, 30), nil)
	createChangeSet(t, c, "app", "update", manyQueues(1, 60), types.ChangeSetTypeUpdate, nil)
	s.DropAfterApply("ExecuteChangeSet", 1)
	_, err := c.ExecuteChangeSet(context.Background(), &cfn.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("update")})
	var invalid *types.InvalidChangeSetStatusException
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "[EXECUTE_COMPLETE]") {
		t.Fatalf("retried execute: %v", err)
	}
	if n := s.CallCount("ExecuteChangeSet"); n != 3 { // the create's, the dropped one, the retry
		t.Fatalf("%d ExecuteChangeSet calls", n)
	}
	if st := describeStack(t, c, "app"); st.StackStatus != types.StackStatusUpdateComplete {
		t.Fatalf("the first attempt did not apply: %s", st.StackStatus)
	}
}
