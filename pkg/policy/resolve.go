package policy

import (
	"slices"
	"strings"
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
	AllowDestroy     bool
	Strategy         string // direct or canary
	CanarySteps      []int  // traffic weights, increasing, ending at 100
	ProductionLike   bool   // by name: production, prod or prd in any case

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
