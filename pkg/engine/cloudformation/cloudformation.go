package cloudformation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// APIVersion is the CloudFormation API version the adapter speaks, and the
// engine's Version in the binding record. It is the service, not the SDK
// lockstep was built with, that makes and executes a change set, and the
// saved plan is lockstep's own format (versioned by planFormat): an SDK
// upgrade between plan and apply must not refuse the plan, and the SDK's
// version would say nothing about the change set.
const APIVersion = "2010-05-15"

// Options configure the adapter for one stack.
type Options struct {
	// Dir is the working directory; Template and ParametersFile are
	// relative to it.
	Dir string
	// Template is the template file (JSON or YAML).
	Template string
	// Stack is the stack's name.
	Stack string
	// ParametersFile is an optional JSON file of the stack's parameters.
	ParametersFile string
	// Rollback keeps CloudFormation's own rollback of a failed change set
	// (policy engine-rollback: true). By default the change set is executed
	// with DisableRollback: a failure leaves the stack as far as it got.
	Rollback bool
	// AWS is the SDK configuration; nil loads the default one (environment,
	// web identity, shared profiles) when the adapter first needs AWS.
	AWS *aws.Config
	// PollInterval is how often change sets and stack events are polled;
	// zero is 5 seconds.
	PollInterval time.Duration
	// ChangeSetTimeout bounds the wait for CloudFormation to create a
	// change set; zero is 15 minutes.
	ChangeSetTimeout time.Duration
	// Log receives the stack's events while apply runs; nil discards them.
	Log io.Writer
	// GuardPath is the cfn-guard binary validate runs when the stack has
	// rules in GuardRulesDir; empty is cfn-guard on PATH.
	GuardPath string
}

// Adapter drives one CloudFormation stack.
type Adapter struct {
	o      Options
	log    io.Writer
	client *cfn.Client
	region string
}

var _ engine.Engine = (*Adapter)(nil)

// stackName is CloudFormation's rule for stack names.
var stackName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)

// New returns the adapter for the stack o.Stack. It does not talk to AWS.
func New(o Options) (*Adapter, error) {
	if o.Stack == "" {
		return nil, errors.New("the stack input is empty: CloudFormation needs the name of the stack to plan")
	}
	if !stackName.MatchString(o.Stack) {
		return nil, fmt.Errorf("the stack input %q is not a CloudFormation stack name (a letter, then letters, digits and hyphens, at most 128 characters)", o.Stack)
	}
	if o.Template == "" {
		return nil, errors.New("the template input is empty: CloudFormation needs the template file, relative to the working directory")
	}
	if o.Dir == "" {
		return nil, errors.New("the CloudFormation working directory is empty")
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.ChangeSetTimeout <= 0 {
		o.ChangeSetTimeout = 15 * time.Minute
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	return &Adapter{o: o, log: log}, nil
}

// cfnClient is the CloudFormation client, made on first use.
func (a *Adapter) cfnClient(ctx context.Context) (*cfn.Client, error) {
	if a.client != nil {
		return a.client, nil
	}
	var cfg aws.Config
	if a.o.AWS != nil {
		cfg = *a.o.AWS
	} else {
		var err error
		cfg, err = config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading the AWS configuration: %w", err)
		}
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region is set: set AWS_REGION (aws-actions/configure-aws-credentials sets it) or a profile's region")
	}
	a.region = cfg.Region
	a.client = cfn.NewFromConfig(cfg)
	return a.client, nil
}

// Identity is CloudFormation at its API version; see APIVersion.
func (a *Adapter) Identity(context.Context) (engine.Identity, error) {
	return engine.Identity{Name: engine.CloudFormation, Version: APIVersion}, nil
}

// FormatCheck is nil: CloudFormation has no formatter.
func (a *Adapter) FormatCheck(context.Context) ([]string, error) { return nil, nil }

// Init loads the AWS configuration (credentials come from the SDK's chain
// when first used). Offline (o.NoBackend) there is nothing to prepare.
func (a *Adapter) Init(ctx context.Context, o engine.InitOptions) error {
	if len(o.BackendConfig) > 0 {
		return errors.New("backend-config is for Terraform and OpenTofu: a CloudFormation stack's state is kept by CloudFormation")
	}
	if o.NoBackend {
		return nil
	}
	_, err := a.cfnClient(ctx)
	return err
}

// Validate checks the template offline (no credentials): that it parses,
// that it fits CloudFormation's inline limit, its resource types, property
// names and references, that the parameters file parses and names only
// declared parameters, and, when the stack has cfn-guard rules (see
// GuardRulesDir), that the template complies with them.
func (a *Adapter) Validate(ctx context.Context) ([]engine.Diagnostic, error) {
	raw, err := os.ReadFile(a.abs(a.o.Template))
	if err != nil {
		return []engine.Diagnostic{{Summary: "the template cannot be read", Detail: err.Error(), File: a.o.Template}}, nil
	}
	var diags []engine.Diagnostic
	if len(raw) > maxTemplateBody {
		diags = append(diags, engine.Diagnostic{File: a.o.Template, Summary: fmt.Sprintf("the template is %d bytes, over CloudFormation's %d for a template given inline", len(raw), maxTemplateBody),
			Detail: "lockstep passes the template inline and does not upload it to S3: split it into nested stacks or shorten it"})
	}
	t, err := parseTemplate(raw)
	if err != nil {
		return append(diags, syntaxDiagnostic(a.o.Template, err)), nil
	}
	spec, err := loadSpec()
	if err != nil {
		return nil, fmt.Errorf("reading the CloudFormation resource specification: %w", err)
	}
	diags = append(diags, checkTemplate(a.o.Template, t, spec)...)
	if a.o.ParametersFile != "" {
		params, err := a.parameters()
		if err != nil {
			return append(diags, engine.Diagnostic{File: a.o.ParametersFile, Summary: "the parameters file is not valid", Detail: err.Error()}), nil
		}
		declared := map[string]bool{}
		for _, p := range t.parameters() {
			declared[p.Name] = true
		}
		for _, p := range params {
			if !declared[*p.ParameterKey] {
				diags = append(diags, engine.Diagnostic{File: a.o.ParametersFile, Summary: fmt.Sprintf("the parameters file gives %s, which the template does not declare", *p.ParameterKey),
					Detail: "CloudFormation refuses parameters the template does not declare"})
			}
		}
	}
	rules, err := a.guardRules()
	if err != nil {
		return nil, err
	}
	if len(rules) > 0 {
		g, err := a.guard(ctx, t, rules)
		if err != nil {
			return nil, err
		}
		diags = append(diags, g...)
	}
	return diags, nil
}

// parameters reads the parameters file; none without one.
func (a *Adapter) parameters() ([]types.Parameter, error) {
	if a.o.ParametersFile == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(a.abs(a.o.ParametersFile))
	if err != nil {
		return nil, fmt.Errorf("reading the parameters file: %w", err)
	}
	return parseParameters(a.o.ParametersFile, raw)
}

// inputs are the template and parameters file as they are now, with their
// hashes.
type inputs struct {
	template         []byte
	templateSHA256   string
	parameters       []types.Parameter
	parametersSHA256 string
}

func (a *Adapter) readInputs() (*inputs, error) {
	raw, err := os.ReadFile(a.abs(a.o.Template))
	if err != nil {
		return nil, fmt.Errorf("reading the template: %w", err)
	}
	in := &inputs{template: raw, templateSHA256: sha256Hex(raw)}
	if a.o.ParametersFile != "" {
		praw, err := os.ReadFile(a.abs(a.o.ParametersFile))
		if err != nil {
			return nil, fmt.Errorf("reading the parameters file: %w", err)
		}
		in.parametersSHA256 = sha256Hex(praw)
		if in.parameters, err = parseParameters(a.o.ParametersFile, praw); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// secrets are the values the parameters file (or the template's defaults)
// give to NoEcho parameters, for masking.
func (a *Adapter) secrets(noEcho []string) []string {
	if len(noEcho) == 0 {
		return nil
	}
	var values []string
	params, _ := a.parameters()
	given := map[string]bool{}
	for _, p := range params {
		given[*p.ParameterKey] = true
		if p.ParameterValue != nil && contains(noEcho, *p.ParameterKey) {
			values = append(values, *p.ParameterValue)
		}
	}
	if raw, err := os.ReadFile(a.abs(a.o.Template)); err == nil {
		if t, err := parseTemplate(raw); err == nil {
			for _, p := range t.parameters() {
				if p.NoEcho && p.Default != nil && !given[p.Name] {
					values = append(values, *p.Default)
				}
			}
		}
	}
	// A runner masks one line at a time: a value spanning lines is also
	// listed line by line. Longest first, so that a value is replaced
	// before a shorter one inside it.
	var out []string
	for _, v := range values {
		for _, s := range append([]string{v}, strings.Split(v, "\n")...) {
			if redact.WorthMasking(s) {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	return slices.Compact(out)
}

// secretsOf are the NoEcho values of the template as it is now.
func (a *Adapter) secretsOf() []string {
	raw, err := os.ReadFile(a.abs(a.o.Template))
	if err != nil {
		return nil
	}
	t, err := parseTemplate(raw)
	if err != nil {
		return nil
	}
	return a.secrets(t.noEcho())
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func (a *Adapter) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(a.o.Dir, filepath.FromSlash(p))
}

// StateFingerprint is "": CloudFormation binds a change set to the stack
// it was made from by itself. Executing any change set deletes the stack's
// other change sets, and any other update marks them OBSOLETE; apply
// executes only a change set that still exists and is CREATE_COMPLETE and
// AVAILABLE, so a plan of a stack that moved on is refused
// (engine.ErrStalePlan) without a fingerprint of its own.
func (a *Adapter) StateFingerprint(context.Context) (string, error) { return "", nil }

// Outputs are the stack's outputs. An output whose value shows the value
// of a NoEcho parameter (CloudFormation shows outputs in clear, even
// those) is sensitive, without its value.
func (a *Adapter) Outputs(ctx context.Context) (map[string]engine.Output, error) {
	c, err := a.cfnClient(ctx)
	if err != nil {
		return nil, err
	}
	st, err := a.describeStack(ctx, c)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return map[string]engine.Output{}, nil
	}
	return outputsOf(st.Outputs, a.secretsOf()), nil
}

// describeStack is the stack, or nil when it does not exist.
func (a *Adapter) describeStack(ctx context.Context, c *cfn.Client) (*types.Stack, error) {
	out, err := c.DescribeStacks(ctx, &cfn.DescribeStacksInput{StackName: aws.String(a.o.Stack)})
	if stackMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing the stack %s: %w", a.o.Stack, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// stackMissing is CloudFormation's answer for a stack that does not exist:
// a ValidationError "Stack with id X does not exist".
func stackMissing(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationError" && strings.Contains(api.ErrorMessage(), "does not exist")
}

// changeSetMissing is a change set that does not exist (any more).
func changeSetMissing(err error) bool {
	var nf *types.ChangeSetNotFoundException
	return errors.As(err, &nf) || stackMissing(err)
}
