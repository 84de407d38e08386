package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// notApplyEvents are the events apply never runs on: their commit is a pull
// request's (or a merge queue's), not yet merged, and so is the policy file
// that would have to allow it; no policy key can therefore allow them. The
// review events run on the pull request's merge ref too.
var notApplyEvents = []string{"pull_request", "pull_request_target", "merge_group", "pull_request_review", "pull_request_review_comment"}

// gate decides, in action mode and before Terraform runs, whether this run
// may apply at all: the event, the ref, and (when approval is required)
// proof of approval in the policy's approval mode. In environment mode a
// reviewer other than the one who triggered the run approved this very run
// for the environment, which admins cannot bypass and which only allowed
// refs can deploy to; in pull-request mode the merged pull request's
// reviews approved it (see checkPullRequest); auto is environment mode when
// the GitHub environment has required reviewers, else pull-request mode.
//
// What is trusted: GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_RUN_ID, GITHUB_SHA
// and the actors come from the runner, the default branch and every
// approval from GitHub; the policy file comes from the commit being applied.
func (a *app) gate(ctx context.Context, pol policy.Policy, dirs []string) (approvalProof, error) {
	if err := a.checkEvent(); err != nil {
		return approvalProof{}, err
	}
	if pol.ProductionLike {
		if err := a.checkRef(ctx, &pol); err != nil {
			return approvalProof{}, err
		}
	}
	if !pol.ApprovalRequired {
		return approvalProof{}, nil
	}
	mode := pol.ApprovalMode
	if mode != policy.ModeEnvironment && mode != policy.ModePullRequest {
		var err error
		if mode, err = a.autoMode(ctx); err != nil {
			return approvalProof{}, err
		}
	}
	if mode == policy.ModePullRequest {
		return a.checkPullRequest(ctx, pol, dirs)
	}
	approved, err := a.checkApproval(ctx, pol)
	if err != nil {
		return approvalProof{}, err
	}
	proof := approvalProof{mode: policy.ModeEnvironment}
	for _, ap := range approved {
		proof.approvals = append(proof.approvals, comment.Approval{Login: ap.Login, Comment: ap.Comment})
	}
	return proof, nil
}

// autoMode is approval-mode auto: environment mode when the GitHub
// environment has required reviewers, else pull-request mode.
func (a *app) autoMode(ctx context.Context) (string, error) {
	env := a.cfg.Environment
	c, err := a.github()
	if err != nil {
		return "", refuse("approval-unverifiable", fmt.Errorf("approval is required for %q but lockstep cannot check its GitHub environment: %w", env, err))
	}
	e, err := c.Environment(ctx, env)
	if err != nil {
		return "", refuse("approval-unverifiable", fmt.Errorf("approval is required for %q but reading its GitHub environment failed: %w", env, err))
	}
	if e.Exists && e.RequiredReviewers > 0 {
		return policy.ModeEnvironment, nil
	}
	a.r.Printf("Approval mode: pull-request (approval-mode auto; the GitHub environment %q has no required reviewers).", env)
	return policy.ModePullRequest, nil
}

// checkEvent refuses the events and refs of unmerged code.
func (a *app) checkEvent() error {
	for _, e := range notApplyEvents {
		if a.gh.EventName == e {
			return refuse("event-not-allowed", fmt.Errorf("apply never runs on a %s event: its commit is not reviewed and merged yet. "+
				"Apply on push to the default branch after merge (the pipeline's apply job does) or on workflow_dispatch", e))
		}
	}
	if strings.HasPrefix(a.gh.Ref, "refs/pull/") {
		return refuse("event-not-allowed", fmt.Errorf("apply never runs on a pull request's ref (%s, event %s): its commit is not merged yet. "+
			"Apply on push to the default branch after merge (the pipeline's apply job does) or on workflow_dispatch", a.gh.Ref, orNone(a.gh.EventName)))
	}
	return nil
}

// checkRef lets a production-like environment apply only from the default
// branch or a ref the policy's apply-refs allows. Off the default branch it
// drops the policy's relaxations from pol.
func (a *app) checkRef(ctx context.Context, pol *policy.Policy) error {
	env := a.cfg.Environment
	def := a.gh.DefaultBranch
	if def == "" {
		c, err := a.github()
		if err == nil {
			def, err = c.DefaultBranch(ctx)
		}
		if err != nil {
			return refuse("approval-unverifiable", fmt.Errorf("%q is production-like, so it applies only from the default branch, but lockstep cannot tell which branch that is: %w", env, err))
		}
	}
	if !pol.RefAllowed(a.gh.Ref, def) {
		return refuse("branch-not-allowed", fmt.Errorf("%s may not apply to the production-like environment %q: only the default branch (%s) may. "+
			"Merge the change to %s, or list the ref under apply-refs for %s in .lockstep.yml (globs such as refs/heads/release/*)",
			orNone(a.gh.Ref), env, def, def, env))
	}
	// The policy file is the applied commit's: reviewed and merged only on
	// the default branch. Elsewhere whoever pushed the ref wrote it, so it
	// may not weaken the checks that stop that person.
	if a.gh.Ref != "refs/heads/"+def && (pol.AllowSelfApproval || pol.AllowAdminBypass || pol.SkipBranchPolicy) {
		a.r.Warnf("%s is not the default branch (%s): the policy file's allow-self-approval, allow-admin-bypass and require-branch-policy apply only on %s, where it was reviewed; they are ignored here", a.gh.Ref, def, def)
		pol.AllowSelfApproval, pol.AllowAdminBypass, pol.SkipBranchPolicy = false, false, false
	}
	// Choosing pull-request mode would let the ref's pusher trade this
	// run's approval for an old pull request's.
	if a.gh.Ref != "refs/heads/"+def && pol.ModeFromFile && pol.ApprovalMode != policy.ModeAuto {
		a.r.Warnf("%s is not the default branch (%s): the policy file's approval-mode applies only on %s, where it was reviewed; approval-mode auto is used here", a.gh.Ref, def, def)
		pol.ApprovalMode, pol.ModeFromFile = policy.ModeAuto, false
	}
	return nil
}

// checkApproval requires an approval of this run for the environment and,
// for a production-like one, by someone other than who triggered it, on an
// environment admins cannot bypass, whose branch policy allows the ref.
func (a *app) checkApproval(ctx context.Context, pol policy.Policy) ([]github.Approval, error) {
	env := a.cfg.Environment
	refType, refName := splitRef(a.gh.Ref)

	c, err := a.github()
	if err != nil {
		return nil, refuse("approval-unverifiable", fmt.Errorf("approval is required for %q but lockstep cannot check its GitHub environment: %w", env, err))
	}
	e, err := c.Environment(ctx, env)
	if err != nil {
		return nil, refuse("approval-unverifiable", fmt.Errorf("approval is required for %q but reading its GitHub environment failed: %w", env, err))
	}
	if !e.Exists || e.RequiredReviewers == 0 {
		what := "has no required reviewers"
		if !e.Exists {
			what = "does not exist in this repository"
		}
		return nil, refuse("approval-not-configured", fmt.Errorf("approval is required for %q, but the GitHub environment %q %s, so nobody approved this apply. "+
			"Add required reviewers: Settings → Environments → %s → Required reviewers (and name the environment on the apply job), "+
			"or set require-approval: false (input) or approval: none (.lockstep.yml) if this environment really needs no approval", env, env, what, env))
	}

	runID, err := strconv.ParseInt(a.gh.RunID, 10, 64)
	if err != nil || runID <= 0 {
		return nil, refuse("approval-unverifiable", fmt.Errorf("approval is required for %q but GITHUB_RUN_ID %q is not a workflow run ID, so lockstep cannot read the run's approvals", env, a.gh.RunID))
	}
	all, err := c.RunApprovals(ctx, runID)
	if err != nil {
		return nil, refuse("approval-unverifiable", fmt.Errorf("approval is required for %q but reading the approvals of this run failed (the apply job needs permission actions: read): %w", env, err))
	}
	var approved []github.Approval
	for _, ap := range all {
		if ap.State == github.ApprovalApproved && ap.Covers(env) {
			approved = append(approved, ap)
		}
	}
	if len(approved) == 0 {
		return nil, refuse("approval-missing", fmt.Errorf("nobody approved workflow run %d for the GitHub environment %q. "+
			"Name the environment on the apply job (environment: %s) so that GitHub holds the job until one of its required reviewers approves it, then re-run the job", runID, env, env))
	}
	if !pol.ProductionLike {
		return approved, nil
	}

	if !pol.AllowSelfApproval {
		var others []github.Approval
		for _, ap := range approved {
			if !a.triggeredBy(ap.Login) {
				others = append(others, ap)
			}
		}
		if len(others) == 0 {
			return nil, refuse("approval-self", fmt.Errorf("the only approval of this run for %q is by %s, who triggered the run: a reviewer must not approve their own apply. "+
				"Another required reviewer must approve it (re-run the job); turn on Prevent self-review in Settings → Environments → %s so GitHub enforces this, "+
				"or set allow-self-approval: true for %s in .lockstep.yml", env, logins(approved), env, env))
		}
		approved = others
	}
	if e.CanAdminsBypass && !pol.AllowAdminBypass {
		return nil, refuse("approval-bypassable", fmt.Errorf("administrators may bypass the protection rules of the GitHub environment %q, so an approval does not prove an admin did not skip it. "+
			"Untick \"Allow administrators to bypass configured protection rules\" in Settings → Environments → %s, or set allow-admin-bypass: true for %s in .lockstep.yml", env, env, env))
	}
	if !pol.SkipBranchPolicy {
		if err := a.checkBranchPolicy(ctx, c, e, refType, refName); err != nil {
			return nil, err
		}
	}
	return approved, nil
}

// checkBranchPolicy requires environment e's deployment branch policy to
// allow this ref, so that the environment's secrets and approval cannot be
// reached from any other branch.
func (a *app) checkBranchPolicy(ctx context.Context, c *github.Client, e *github.Environment, refType, refName string) error {
	env := e.Name
	fix := fmt.Sprintf("Settings → Environments → %s → Deployment branches and tags: choose Protected branches only or Selected branches and tags, "+
		"or set require-branch-policy: false for %s in .lockstep.yml", env, a.cfg.Environment)
	switch bp := e.BranchPolicy; {
	case bp == nil:
		return refuse("branch-not-allowed", fmt.Errorf("the GitHub environment %q has no deployment branch policy, so a workflow on any branch could deploy to it. %s", env, fix))
	case bp.ProtectedBranches:
		if refType != github.RefBranch {
			return refuse("branch-not-allowed", fmt.Errorf("the GitHub environment %q deploys only from protected branches, and %s is not a branch. %s", env, orNone(a.gh.Ref), fix))
		}
		protected, err := c.BranchProtected(ctx, refName)
		if err != nil {
			return refuse("approval-unverifiable", fmt.Errorf("checking that branch %s is protected, as the GitHub environment %q requires: %w", refName, env, err))
		}
		if !protected {
			return refuse("branch-not-allowed", fmt.Errorf("the GitHub environment %q deploys only from protected branches, and %s is not protected: protect it in Settings → Branches, or apply from a protected branch", env, refName))
		}
	case bp.CustomBranchPolicies:
		policies, err := c.DeploymentBranchPolicies(ctx, env)
		if err != nil {
			return refuse("approval-unverifiable", fmt.Errorf("reading the deployment branch policies of the GitHub environment %q: %w", env, err))
		}
		for _, p := range policies {
			if p.Matches(refType, refName) {
				return nil
			}
		}
		return refuse("branch-not-allowed", fmt.Errorf("no deployment branch or tag policy of the GitHub environment %q allows %s %q: "+
			"add one in Settings → Environments → %s → Deployment branches and tags, or apply from a ref it allows", env, orNone(refType), refName, env))
	default:
		return refuse("branch-not-allowed", fmt.Errorf("the deployment branch policy of the GitHub environment %q allows neither protected branches nor selected ones. %s", env, fix))
	}
	return nil
}

// triggeredBy reports whether login started this run or this attempt.
func (a *app) triggeredBy(login string) bool {
	for _, actor := range []string{a.gh.Actor, a.gh.TriggeringActor} {
		if actor != "" && strings.EqualFold(actor, login) {
			return true
		}
	}
	return false
}

// splitRef gives a full ref's type (branch or tag) and short name; other
// refs (refs/pull/7/merge) have neither.
func splitRef(ref string) (refType, name string) {
	if n, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return github.RefBranch, n
	}
	if n, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return github.RefTag, n
	}
	return "", ""
}

func logins(approvals []github.Approval) string {
	var out []string
	for _, ap := range approvals {
		out = append(out, ap.Login)
	}
	return strings.Join(out, ", ")
}

// reportApprovals tells the log, the approved-by output and later reports
// (the apply report in the job summary and on the pull request) which mode
// gated the apply and who approved.
func (a *app) reportApprovals(proof approvalProof) error {
	if len(proof.approvals) == 0 {
		return nil
	}
	names := make([]string, len(proof.approvals))
	for i, ap := range proof.approvals {
		names[i] = ap.Login
	}
	a.approvals, a.approvalMode = proof.approvals, proof.mode
	if proof.mode == policy.ModeEnvironment {
		a.r.Printf("Approval (environment mode): %s approved this run for the GitHub environment %q.", strings.Join(names, ", "), a.cfg.Environment)
	}
	return a.r.SetOutput("approved-by", strings.Join(names, ","))
}
