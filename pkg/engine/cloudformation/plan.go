package cloudformation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// emptyReasons are CloudFormation's StatusReason for a change set with
// nothing to change: the current wording and an older one.
var emptyReasons = []string{"didn't contain changes", "No updates are to be performed"}

func emptyChangeSet(reason string) bool {
	for _, r := range emptyReasons {
		if strings.Contains(reason, r) {
			return true
		}
	}
	return false
}

// Plan validates the template with CloudFormation, creates the change set
// lockstep-<12 hex of the planned content> for the stack, waits for it,
// describes it and writes the saved plan to o.Out. A change set with no
// changes is deleted and the plan has none.
//
// A failed plan's text and error are logged unmasked by the caller: the
// NoEcho values are taken out of them here (CloudFormation's messages
// rarely quote a value, but a resource's reason may).
func (a *Adapter) Plan(ctx context.Context, o engine.PlanOptions) (*engine.Plan, error) {
	p, err := a.plan(ctx, o)
	if err != nil {
		r := redact.New(a.secretsOf(), "***")
		if p != nil {
			p.Text = r.Replace(p.Text)
		}
		return p, errors.New(r.Replace(err.Error()))
	}
	return p, nil
}

func (a *Adapter) plan(ctx context.Context, o engine.PlanOptions) (*engine.Plan, error) {
	if len(o.VarFiles) > 0 {
		return nil, errors.New("var-files is for Terraform and OpenTofu: a CloudFormation stack's parameters come from parameters-file")
	}
	if o.Out == "" {
		return nil, errors.New("the saved plan's path is empty")
	}
	in, err := a.readInputs()
	if err != nil {
		return nil, err
	}
	if len(in.template) > maxTemplateBody {
		return nil, fmt.Errorf("the template %s is %d bytes, over CloudFormation's %d for a template given inline (lockstep does not upload templates to S3)", a.o.Template, len(in.template), maxTemplateBody)
	}
	c, err := a.cfnClient(ctx)
	if err != nil {
		return nil, err
	}
	vt, err := c.ValidateTemplate(ctx, &cfn.ValidateTemplateInput{TemplateBody: aws.String(string(in.template))})
	if err != nil {
		return nil, fmt.Errorf("CloudFormation refused the template %s: %w", a.o.Template, err)
	}
	var noEcho []string
	for _, p := range vt.Parameters {
		if aws.ToBool(p.NoEcho) {
			noEcho = append(noEcho, aws.ToString(p.ParameterKey))
		}
	}
	// The template's own declaration too: the masking must not depend on
	// what ValidateTemplate chose to report.
	if t, err := parseTemplate(in.template); err == nil {
		for _, n := range t.noEcho() {
			if !contains(noEcho, n) {
				noEcho = append(noEcho, n)
			}
		}
	}
	slices.Sort(noEcho)

	// The capabilities the template needs, as CloudFormation says: the
	// reviewed change set is the acknowledgement. A transform (SAM, a
	// macro) needs CAPABILITY_AUTO_EXPAND, which ValidateTemplate does not
	// list but names the transform.
	capabilities := slices.Clone(vt.Capabilities)
	if len(vt.DeclaredTransforms) > 0 && !slices.Contains(capabilities, types.CapabilityCapabilityAutoExpand) {
		capabilities = append(capabilities, types.CapabilityCapabilityAutoExpand)
	}

	csType, err := a.changeSetType(ctx, c)
	if err != nil {
		return nil, err
	}
	content := contentSHA256(a.o.Stack, string(csType), in.templateSHA256, in.parametersSHA256)
	sp := &savedPlan{
		Format: planFormat, Stack: a.o.Stack, Region: a.region,
		Template: a.o.Template, TemplateSHA256: in.templateSHA256,
		ParametersFile: a.o.ParametersFile, ParametersSHA256: in.parametersSHA256,
		ContentSHA256: content, NoEcho: noEcho, Changes: []resourceDiff{},
	}
	name := changeSetName(content)
	if o.Scratch {
		// Its own name: a drift check must never replace (and so make
		// stale) the change set of a plan that waits for approval.
		name = scratchChangeSetName(content)
	}
	if err := a.deleteChangeSet(ctx, c, name); err != nil {
		return nil, err
	}
	created, err := a.createChangeSet(ctx, c, &cfn.CreateChangeSetInput{
		StackName:           aws.String(a.o.Stack),
		ChangeSetName:       aws.String(name),
		ChangeSetType:       csType,
		TemplateBody:        aws.String(string(in.template)),
		Parameters:          in.parameters,
		Capabilities:        capabilities,
		IncludeNestedStacks: aws.Bool(true),
		Description:         aws.String("lockstep plan of " + a.o.Template),
	})
	if err != nil {
		return nil, err
	}
	arn := aws.ToString(created.Id)
	desc, err := a.waitChangeSet(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	switch {
	case desc.Status == types.ChangeSetStatusFailed && emptyChangeSet(aws.ToString(desc.StatusReason)):
		// Nothing to change: the change set is of no use, and an empty
		// CREATE change set's stack stays in REVIEW_IN_PROGRESS for the
		// next plan.
		if _, err := c.DeleteChangeSet(ctx, &cfn.DeleteChangeSetInput{ChangeSetName: aws.String(arn)}); err != nil && !changeSetMissing(err) {
			return nil, fmt.Errorf("deleting the empty change set %s: %w", name, err)
		}
	case desc.Status != types.ChangeSetStatusCreateComplete:
		return &engine.Plan{Text: fmt.Sprintf("CloudFormation could not create the change set %s for stack %s: %s\n", name, a.o.Stack, aws.ToString(desc.StatusReason))},
			fmt.Errorf("CloudFormation could not create the change set %s for stack %s (%s): %s", name, a.o.Stack, desc.Status, aws.ToString(desc.StatusReason))
	default:
		sp.HasChanges = true
		sp.ChangeSetName, sp.ChangeSetARN, sp.ChangeSetType = name, arn, string(csType)
		sp.StackID = aws.ToString(created.StackId)
		if sp.Changes, err = a.describeChanges(ctx, c, "", arn, 0); err != nil {
			return nil, err
		}
	}
	if o.Scratch && sp.ChangeSetARN != "" {
		// Looked at, never executed: it goes now.
		if _, err := c.DeleteChangeSet(ctx, &cfn.DeleteChangeSetInput{ChangeSetName: aws.String(sp.ChangeSetARN)}); err != nil && !changeSetMissing(err) {
			return nil, fmt.Errorf("deleting the drift check's change set %s: %w", name, err)
		}
	}
	raw, err := sp.encode()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(a.abs(o.Out), raw, 0o600); err != nil {
		return nil, fmt.Errorf("writing the saved CloudFormation plan: %w", err)
	}
	p, err := a.summaryOf(sp)
	if err != nil {
		return nil, err
	}
	p.HasChanges = sp.HasChanges
	p.Text = planText(sp, p.Summary)
	if o.Scratch && csType == types.ChangeSetTypeUpdate {
		drift, note, err := a.detectDrift(ctx, c)
		if err != nil {
			return nil, err
		}
		p.Summary.Drift = drift
		p.Text += note
	}
	return p, nil
}

// scratchChangeSetName is the drift check's change set: lockstep-drift-<12
// hex>, never the name of a reviewed plan's.
func scratchChangeSetName(content string) string { return "lockstep-drift-" + content[:12] }

// detectDrift asks CloudFormation which of the stack's resources changed
// outside it (DetectStackDrift, then every MODIFIED or DELETED resource
// drift), as changes: an update naming the top-level properties that
// differ, or a delete for a resource that is gone. Only property names are
// kept, never the expected or actual values. A detection that failed for
// some resources (CloudFormation still reports the others) is a note in
// the plan text.
func (a *Adapter) detectDrift(ctx context.Context, c *cfn.Client) ([]plan.Change, string, error) {
	det, err := c.DetectStackDrift(ctx, &cfn.DetectStackDriftInput{StackName: aws.String(a.o.Stack)})
	if err != nil {
		return nil, "", fmt.Errorf("starting CloudFormation's drift detection of %s: %w", a.o.Stack, err)
	}
	note := ""
	for {
		st, err := c.DescribeStackDriftDetectionStatus(ctx, &cfn.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: det.StackDriftDetectionId})
		if err != nil {
			return nil, "", fmt.Errorf("reading CloudFormation's drift detection of %s: %w", a.o.Stack, err)
		}
		if st.DetectionStatus == types.StackDriftDetectionStatusDetectionFailed {
			note = fmt.Sprintf("\nCloudFormation could not check every resource of %s for drift: %s\n", a.o.Stack, aws.ToString(st.DetectionStatusReason))
		}
		if st.DetectionStatus != types.StackDriftDetectionStatusDetectionInProgress {
			break
		}
		if err := sleep(ctx, a.o.PollInterval); err != nil {
			return nil, "", err
		}
	}
	var out []plan.Change
	pages := cfn.NewDescribeStackResourceDriftsPaginator(c, &cfn.DescribeStackResourceDriftsInput{
		StackName:                       aws.String(a.o.Stack),
		StackResourceDriftStatusFilters: []types.StackResourceDriftStatus{types.StackResourceDriftStatusModified, types.StackResourceDriftStatusDeleted},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("reading the drifted resources of %s: %w", a.o.Stack, err)
		}
		for _, d := range page.StackResourceDrifts {
			id := aws.ToString(d.LogicalResourceId)
			ch := plan.Change{Address: id, Name: id, Type: aws.ToString(d.ResourceType), Mode: "managed", Action: plan.ActionUpdate}
			if d.StackResourceDriftStatus == types.StackResourceDriftStatusDeleted {
				ch.Action = plan.ActionDelete
			}
			seen := map[string]bool{}
			for _, pd := range d.PropertyDifferences {
				if name := topProperty(aws.ToString(pd.PropertyPath)); name != "" && !seen[name] {
					seen[name] = true
					ch.ChangedAttributes = append(ch.ChangedAttributes, name)
				}
			}
			slices.Sort(ch.ChangedAttributes)
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(x, y plan.Change) int { return strings.Compare(x.Address, y.Address) })
	return out, note, nil
}

// topProperty is the top-level property of a drift's JSON pointer path:
// "/Properties/Tags/0/Value" and "/Tags/0/Value" are "Tags".
func topProperty(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) > 1 && parts[0] == "Properties" {
		parts = parts[1:]
	}
	return parts[0]
}

// ReadPlan summarises a saved plan from its own file, without AWS.
func (a *Adapter) ReadPlan(_ context.Context, o engine.ReadOptions) (*engine.Plan, error) {
	sp, err := readPlanFile(a.abs(o.PlanFile))
	if err != nil {
		return nil, err
	}
	return a.summaryOf(sp)
}

func (a *Adapter) summaryOf(sp *savedPlan) (*engine.Plan, error) {
	s, err := summarize(sp)
	if err != nil {
		return nil, err
	}
	s.Secrets = a.secrets(sp.NoEcho)
	return &engine.Plan{Summary: s, Fingerprint: fingerprint(sp)}, nil
}

// changeSetType is CREATE for a stack that does not exist or that an
// earlier plan left in REVIEW_IN_PROGRESS (created for a change set never
// executed), UPDATE otherwise. A stack CloudFormation cannot update now is
// an error saying why.
func (a *Adapter) changeSetType(ctx context.Context, c *cfn.Client) (types.ChangeSetType, error) {
	st, err := a.describeStack(ctx, c)
	if err != nil {
		return "", err
	}
	if st == nil || st.StackStatus == types.StackStatusReviewInProgress {
		return types.ChangeSetTypeCreate, nil
	}
	switch s := st.StackStatus; {
	case s == types.StackStatusRollbackComplete || s == types.StackStatusRollbackFailed:
		return "", fmt.Errorf("the stack %s is %s: its creation failed and CloudFormation cannot update it; delete the stack (after checking what it holds) and plan again", a.o.Stack, s)
	case s == types.StackStatusDeleteInProgress || s == types.StackStatusDeleteFailed:
		return "", fmt.Errorf("the stack %s is %s: wait for its deletion, or fix it, and plan again", a.o.Stack, s)
	case strings.HasSuffix(string(s), "_IN_PROGRESS"):
		return "", fmt.Errorf("the stack %s is %s: another operation is running; plan again when it has finished", a.o.Stack, s)
	}
	return types.ChangeSetTypeUpdate, nil
}

// deleteChangeSet deletes the stack's change set of that name, if any: the
// same content planned again replaces the earlier change set.
func (a *Adapter) deleteChangeSet(ctx context.Context, c *cfn.Client, name string) error {
	_, err := c.DescribeChangeSet(ctx, &cfn.DescribeChangeSetInput{StackName: aws.String(a.o.Stack), ChangeSetName: aws.String(name)})
	if changeSetMissing(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("looking for an earlier change set %s: %w", name, err)
	}
	if _, err := c.DeleteChangeSet(ctx, &cfn.DeleteChangeSetInput{StackName: aws.String(a.o.Stack), ChangeSetName: aws.String(name)}); err != nil && !changeSetMissing(err) {
		return fmt.Errorf("deleting the earlier change set %s: %w", name, err)
	}
	return nil
}

// createChangeSet creates the change set, retrying while a deleted one of
// the same name is still going away.
func (a *Adapter) createChangeSet(ctx context.Context, c *cfn.Client, in *cfn.CreateChangeSetInput) (*cfn.CreateChangeSetOutput, error) {
	for attempt := 0; ; attempt++ {
		out, err := c.CreateChangeSet(ctx, in)
		var exists *types.AlreadyExistsException
		if errors.As(err, &exists) && attempt < 10 {
			if err := sleep(ctx, a.o.PollInterval); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("creating the change set %s for stack %s: %w", aws.ToString(in.ChangeSetName), a.o.Stack, err)
		}
		return out, nil
	}
}

// waitChangeSet waits until CloudFormation has made the change set (or
// failed to), with the SDK's waiter at the adapter's poll interval.
func (a *Adapter) waitChangeSet(ctx context.Context, c *cfn.Client, arn string) (*cfn.DescribeChangeSetOutput, error) {
	w := cfn.NewChangeSetCreateCompleteWaiter(c, func(o *cfn.ChangeSetCreateCompleteWaiterOptions) {
		o.MinDelay = a.o.PollInterval
		o.MaxDelay = a.o.PollInterval
		// A failed change set is a result to read (an empty one is no
		// changes), not a waiter error.
		o.Retryable = func(_ context.Context, _ *cfn.DescribeChangeSetInput, out *cfn.DescribeChangeSetOutput, err error) (bool, error) {
			if err != nil {
				return false, err
			}
			switch out.Status {
			case types.ChangeSetStatusCreateComplete, types.ChangeSetStatusFailed:
				return false, nil
			}
			return true, nil
		}
	})
	out, err := w.WaitForOutput(ctx, &cfn.DescribeChangeSetInput{ChangeSetName: aws.String(arn)}, a.o.ChangeSetTimeout)
	if err != nil {
		return nil, fmt.Errorf("waiting for CloudFormation to create the change set %s: %w", arn, err)
	}
	return out, nil
}

// maxNesting bounds how deep nested stacks' change sets are described.
const maxNesting = 5

// describeChanges describes every page of a change set, and of the change
// sets of its nested stacks, without property values.
func (a *Adapter) describeChanges(ctx context.Context, c *cfn.Client, prefix, arn string, depth int) ([]resourceDiff, error) {
	var out []resourceDiff
	pages := cfn.NewDescribeChangeSetPaginator(c, &cfn.DescribeChangeSetInput{ChangeSetName: aws.String(arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the change set %s: %w", arn, err)
		}
		for _, ch := range page.Changes {
			rc := ch.ResourceChange
			if ch.Type != types.ChangeTypeResource || rc == nil {
				continue
			}
			d := diffOf(prefix, rc)
			out = append(out, d)
			if nested := aws.ToString(rc.ChangeSetId); nested != "" && nested != arn && depth < maxNesting {
				inner, err := a.describeChanges(ctx, c, d.Address, nested, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, inner...)
			}
		}
	}
	sortDiffs(out)
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
