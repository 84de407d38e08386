package policy

import (
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Where a Policy field came from, for Policy.Source.
const (
	SourceInput   = "input"
	SourceFile    = "file"
	SourceDefault = "default"
)

// Policy.Source keys: the policy file's key names.
const (
	FieldApproval     = "approval"
	FieldAllowDestroy = "allow-destroy"
	FieldStrategy     = "strategy"
	FieldCanarySteps  = "canary-steps"
)

// defaultCanarySteps are the traffic weights of a canary deploy when neither
// the input nor the policy file gives them (the canary-steps input default).
var defaultCanarySteps = []int{10, 50, 100}

// Policy is the resolved policy of one environment.
type Policy struct {
	Environment      string
	ApprovalRequired bool
	// AllowDestroy allows every delete and replace; AllowDestroyAddresses
	// allows those whose address matches one of its patterns (see
	// MatchAddress). Use DestroysRefused to apply both.
	AllowDestroy          bool
	AllowDestroyAddresses []string
	Strategy              string // direct or canary
	CanarySteps           []int  // traffic weights, increasing, ending at 100
	ProductionLike        bool   // by name: production, prod or prd in any case

	// ApplyRefs are the policy file's apply-refs: full-ref globs that may
	// apply besides the default branch (see RefAllowed).
	ApplyRefs []string
	// AllowSelfApproval, AllowAdminBypass and SkipBranchPolicy relax the
	// approval checks of a production-like environment; only the policy
	// file sets them (allow-self-approval, allow-admin-bypass,
	// require-branch-policy: false), never a default.
	AllowSelfApproval bool
	AllowAdminBypass  bool
	SkipBranchPolicy  bool

	// ApprovalMode is ModeEnvironment, ModePullRequest or ModeAuto (the
	// default); MinApprovals (at least 1) counts approving reviews in
	// pull-request mode. Input first, then the file, then the default.
	ApprovalMode string
	MinApprovals int
	// ModeFromFile is set when ApprovalMode came from the policy file,
	// which off the default branch its pusher wrote (see checkRef).
	ModeFromFile bool
	// RequireCodeowner and ApproverTeams narrow who counts in
	// pull-request mode: one approver must own the stack's directory in
	// CODEOWNERS, or belong to one of the org/team slugs. Only the policy
	// file sets them.
	RequireCodeowner bool
	ApproverTeams    []string

	// EngineRollback keeps the engine's own rollback of a failed apply
	// (CloudFormation's); only the policy file's engine-rollback: true sets
	// it. By default lockstep never rolls infrastructure back.
	EngineRollback bool

	// Source says, for each of FieldApproval, FieldAllowDestroy,
	// FieldStrategy and FieldCanarySteps, whether the value came from an
	// input (SourceInput), the policy file (SourceFile) or the built-in
	// default (SourceDefault), so the summary can say why.
	Source map[string]string
}

// Overrides are the inputs that take precedence over the policy file, but
// only when given. The zero value gives none.
type Overrides struct {
	// RequireApproval is "true" or "false" when given; "auto" or "" when not.
	RequireApproval string
	// AllowDestroy is nil when the input was not given.
	AllowDestroy *bool
	// Strategy is "direct" or "canary" when given; "auto" or "" when not.
	Strategy string
	// CanarySteps is nil when the input was not given.
	CanarySteps []int
	// ApprovalMode is "environment" or "pull-request" when given; "auto"
	// or "" when not. MinApprovals is 0 when not given.
	ApprovalMode string
	MinApprovals int
}

// Resolve decides env's policy: an input when given, else the environment's
// entry in f (matched in any case), else the default, which requires approval
// and deploys by canary for production-like names and neither elsewhere.
// Destroys are never allowed by default. f may be nil. Override values other
// than those documented on Overrides count as not given; inputs are
// validated before they reach here.
func Resolve(f *File, env string, o Overrides) Policy {
	entry, _ := f.Environment(env)
	prod := ProductionLike(env)
	p := Policy{
		Environment:    env,
		ProductionLike: prod,
		Source:         map[string]string{},
	}

	switch strings.ToLower(strings.TrimSpace(o.RequireApproval)) {
	case "true":
		p.ApprovalRequired, p.Source[FieldApproval] = true, SourceInput
	case "false":
		p.ApprovalRequired, p.Source[FieldApproval] = false, SourceInput
	default:
		if entry.Approval != "" {
			p.ApprovalRequired, p.Source[FieldApproval] = entry.Approval == ApprovalRequired, SourceFile
		} else {
			p.ApprovalRequired, p.Source[FieldApproval] = prod, SourceDefault
		}
	}

	switch {
	case o.AllowDestroy != nil:
		p.AllowDestroy, p.Source[FieldAllowDestroy] = *o.AllowDestroy, SourceInput
	case entry.AllowDestroy != nil:
		p.AllowDestroy, p.Source[FieldAllowDestroy] = *entry.AllowDestroy, SourceFile
	case entry.AllowDestroyAddresses != nil:
		p.AllowDestroyAddresses, p.Source[FieldAllowDestroy] = slices.Clone(entry.AllowDestroyAddresses), SourceFile
	default:
		p.AllowDestroy, p.Source[FieldAllowDestroy] = false, SourceDefault
	}

	switch s := strings.ToLower(strings.TrimSpace(o.Strategy)); {
	case s == StrategyDirect || s == StrategyCanary:
		p.Strategy, p.Source[FieldStrategy] = s, SourceInput
	case entry.Strategy != "":
		p.Strategy, p.Source[FieldStrategy] = entry.Strategy, SourceFile
	case prod:
		p.Strategy, p.Source[FieldStrategy] = StrategyCanary, SourceDefault
	default:
		p.Strategy, p.Source[FieldStrategy] = StrategyDirect, SourceDefault
	}

	switch m := strings.ToLower(strings.TrimSpace(o.ApprovalMode)); {
	case m == ModeEnvironment || m == ModePullRequest:
		p.ApprovalMode = m
	case entry.ApprovalMode != "":
		p.ApprovalMode, p.ModeFromFile = entry.ApprovalMode, true
	default:
		p.ApprovalMode = ModeAuto
	}
	switch {
	case o.MinApprovals > 0:
		p.MinApprovals = o.MinApprovals
	case entry.MinApprovals > 0:
		p.MinApprovals = entry.MinApprovals
	default:
		p.MinApprovals = 1
	}
	p.RequireCodeowner = entry.Approvers == ApproversCodeowners
	p.ApproverTeams = slices.Clone(entry.ApproverTeams)

	p.ApplyRefs = slices.Clone(entry.ApplyRefs)
	p.AllowSelfApproval = entry.AllowSelfApproval != nil && *entry.AllowSelfApproval
	p.AllowAdminBypass = entry.AllowAdminBypass != nil && *entry.AllowAdminBypass
	p.SkipBranchPolicy = entry.RequireBranchPolicy != nil && !*entry.RequireBranchPolicy
	p.EngineRollback = entry.EngineRollback != nil && *entry.EngineRollback

	switch {
	case o.CanarySteps != nil:
		p.CanarySteps, p.Source[FieldCanarySteps] = slices.Clone(o.CanarySteps), SourceInput
	case entry.CanarySteps != nil:
		p.CanarySteps, p.Source[FieldCanarySteps] = slices.Clone(entry.CanarySteps), SourceFile
	default:
		p.CanarySteps, p.Source[FieldCanarySteps] = slices.Clone(defaultCanarySteps), SourceDefault
	}
	return p
}

// RefAllowed reports whether ref (a full ref such as refs/heads/main) may
// apply to the environment: it is the default branch (a short name such as
// main), or it matches one of the policy's ApplyRefs globs, in which "*"
// stops at "/" and "**" as a whole segment ("refs/tags/**") does not. An empty default branch matches nothing.
func (p Policy) RefAllowed(ref, defaultBranch string) bool {
	if defaultBranch != "" && ref == "refs/heads/"+defaultBranch {
		return true
	}
	for _, g := range p.ApplyRefs {
		if ok, err := doublestar.Match(g, ref); err == nil && ok {
			return true
		}
	}
	return false
}
