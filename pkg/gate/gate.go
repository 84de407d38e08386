package gate

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// Environments is what environment mode, and the branch checks of both
// modes, read from GitHub.
type Environments interface {
	// Environment returns the GitHub environment name; one that does not
	// exist comes back with Exists false, not as an error.
	Environment(ctx context.Context, name string) (*github.Environment, error)
	// RunApprovals lists the environment reviews of workflow run runID.
	RunApprovals(ctx context.Context, runID int64) ([]github.Approval, error)
	// BranchProtected reports whether branch has branch protection.
	BranchProtected(ctx context.Context, branch string) (bool, error)
	// DeploymentBranchPolicies lists environment env's custom deployment
	// branch and tag policies.
	DeploymentBranchPolicies(ctx context.Context, env string) ([]github.BranchPolicy, error)
	// DefaultBranch returns the repository's default branch.
	DefaultBranch(ctx context.Context) (string, error)
}

// PullRequests is what pull-request mode reads from GitHub.
type PullRequests interface {
	// PullRequestsWithCommit lists the pull requests GitHub associates
	// with commit sha (GET commits/{sha}/pulls).
	PullRequestsWithCommit(ctx context.Context, sha string) ([]github.PullRequest, error)
	// PullRequestReviews lists every review of pull request n.
	PullRequestReviews(ctx context.Context, n int) ([]github.Review, error)
	// Permission returns login's permission on the repository: admin,
	// maintain, write, read or none (also for a non-collaborator).
	Permission(ctx context.Context, login string) (string, error)
	// FindComment returns lockstep's own comment on pull request pr that
	// starts with marker, or nil: never a comment by anyone else.
	FindComment(ctx context.Context, pr int, marker string) (*github.Comment, error)
	// PullRequestFiles lists the files pull request pr changed, failing
	// with github.ErrFilesTruncated when GitHub does not list them all.
	PullRequestFiles(ctx context.Context, pr int) ([]string, error)
	// CommitsBetween lists the commits of base..head, failing with
	// github.ErrTooManyCommits past limit and github.ErrNotAhead when head
	// does not descend from base.
	CommitsBetween(ctx context.Context, base, head string, limit int) ([]string, error)
	// PullRequestCommits lists the SHAs of pull request n's own commits.
	PullRequestCommits(ctx context.Context, n int) ([]string, error)
}

// Teams is how approver-teams and team owners in CODEOWNERS are read.
type Teams interface {
	// TeamVisible reports whether the token can see team org/team.
	TeamVisible(ctx context.Context, org, team string) (bool, error)
	// TeamMember reports whether login is an active member of org/team.
	TeamMember(ctx context.Context, org, team, login string) (bool, error)
}

// Labels is what the allow-destroy label check reads from GitHub.
type Labels interface {
	// PullRequestsForCommit returns the numbers of commit sha's pull
	// requests.
	PullRequestsForCommit(ctx context.Context, sha string) ([]int, error)
	// IssueLabels returns the names of the labels on pull request n.
	IssueLabels(ctx context.Context, n int) ([]string, error)
	// LastLabelEvent returns the latest labeled or unlabeled event of
	// label on pull request n's timeline, or nil.
	LastLabelEvent(ctx context.Context, n int, label string) (*github.LabelEvent, error)
	// CollaboratorPermission returns login's permission; an error for
	// which github.IsNotFound is true means login is no collaborator.
	CollaboratorPermission(ctx context.Context, login string) (github.Permission, error)
	// FindComment is PullRequests.FindComment.
	FindComment(ctx context.Context, pr int, marker string) (*github.Comment, error)
}

// GitHub is every read the gate makes with the run's token.
type GitHub interface {
	Environments
	PullRequests
	Teams
	Labels
}

// Reporter is the log the gate explains itself in.
type Reporter interface {
	Printf(format string, args ...any)
	Warnf(format string, args ...any)
}

// Run is what the runner says about this run. The gate trusts it: the
// runner sets GITHUB_* itself, and the event payload (Before,
// DefaultBranch) is written by GitHub.
type Run struct {
	EventName string
	Ref       string // refs/heads/main, refs/tags/v1, refs/pull/7/merge
	SHA       string // the commit being applied
	RunID     string // GITHUB_RUN_ID
	// Actor started the run; TriggeringActor started this attempt (a
	// re-run). Neither may approve a production-like apply.
	Actor, TriggeringActor string
	// Before is the push event's previous head, "" on other events.
	Before string
	// DefaultBranch is the payload's repository.default_branch; "" means
	// the gate asks GitHub.
	DefaultBranch string
}

// Gate decides for one apply to Environment. Log is required; without
// GitHub or ReadFile every check that needs them refuses.
type Gate struct {
	Environment string
	Run         Run
	// GitHub returns the run's client; it is called only when a check
	// needs GitHub, and its error refuses the apply (approval-unverifiable).
	GitHub func() (GitHub, error)
	// ApproverTeams returns the client of ApproverTokenEnv for team reads,
	// or nil when there is no such token (then the run's client reads
	// them). It is called at the first team to read. May be nil.
	ApproverTeams func() (Teams, error)
	// ReadFile reads a file of the applied commit by its slash-separated
	// path from the repository root (for CODEOWNERS); an absent file's
	// error satisfies errors.Is(err, fs.ErrNotExist).
	ReadFile func(name string) ([]byte, error)
	Log      Reporter

	// defaultBranch is the default branch as checkRef resolved it (from
	// Run or GitHub), for the checks after it in the same Decide.
	defaultBranch string
}

// Verdict is what the gate proved when it lets the apply run: which mode
// gated it and the approvals that count.
type Verdict struct {
	Mode      string // policy.ModeEnvironment or policy.ModePullRequest; "" when no approval was required
	Approvals []comment.Approval
}

// Refusal is the gate saying no: Code is the failure-reason output
// (approval-missing, pr-not-approved, ...), Err says who or what failed
// and how to fix it.
type Refusal struct {
	Code string
	Err  error
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(code string, err error) error { return &Refusal{Code: code, Err: err} }

// NotApplyEvents are the events apply never runs on: their commit is a pull
// request's (or a merge queue's), not yet merged, and so is the policy file
// that would have to allow it; no policy key can therefore allow them. The
// review events run on the pull request's merge ref too.
var NotApplyEvents = []string{"pull_request", "pull_request_target", "merge_group", "pull_request_review", "pull_request_review_comment"}

// Decide decides, in action mode and before the engine runs, whether this
// run may apply dirs at all: the event, the ref, and (when pol requires
// approval) proof of approval in the policy's approval mode. In environment
// mode a reviewer other than the one who triggered the run approved this
// very run for the environment, which admins cannot bypass and which only
// allowed refs can deploy to; in pull-request mode the merged pull request's
// reviews approved it (see checkPullRequest); auto is environment mode when
// the GitHub environment has required reviewers, else pull-request mode.
// Every error it returns is a *Refusal.
//
// What is trusted: the Run from the runner, the default branch and every
// approval from GitHub; the policy file comes from the commit being applied.
func (g *Gate) Decide(ctx context.Context, pol policy.Policy, dirs []string) (Verdict, error) {
	g.defaultBranch = ""
	if err := g.checkEvent(); err != nil {
		return Verdict{}, err
	}
	if pol.ProductionLike {
		if err := g.checkRef(ctx, &pol); err != nil {
			return Verdict{}, err
		}
	}
	if !pol.ApprovalRequired {
		return Verdict{}, nil
	}
	mode := pol.ApprovalMode
	if mode != policy.ModeEnvironment && mode != policy.ModePullRequest {
		var err error
		if mode, err = g.autoMode(ctx); err != nil {
			return Verdict{}, err
		}
	}
	if mode == policy.ModePullRequest {
		return g.checkPullRequest(ctx, pol, dirs)
	}
	approved, err := g.checkApproval(ctx, pol)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Mode: policy.ModeEnvironment}
	for _, ap := range approved {
		v.Approvals = append(v.Approvals, comment.Approval{Login: ap.Login, Comment: ap.Comment})
	}
	return v, nil
}

// github returns the run's client, never a nil one without an error.
func (g *Gate) github() (GitHub, error) {
	if g.GitHub == nil {
		return nil, fmt.Errorf("no GitHub client")
	}
	c, err := g.GitHub()
	if err == nil && c == nil {
		err = fmt.Errorf("no GitHub client")
	}
	return c, err
}

// autoMode is approval-mode auto: environment mode when the GitHub
// environment has required reviewers, else pull-request mode.
func (g *Gate) autoMode(ctx context.Context) (string, error) {
	env := g.Environment
	c, err := g.github()
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
	g.Log.Printf("Approval mode: pull-request (approval-mode auto; the GitHub environment %q has no required reviewers).", env)
	return policy.ModePullRequest, nil
}

// checkEvent refuses the events and refs of unmerged code.
func (g *Gate) checkEvent() error {
	for _, e := range NotApplyEvents {
		if g.Run.EventName == e {
			return refuse("event-not-allowed", fmt.Errorf("apply never runs on a %s event: its commit is not reviewed and merged yet. "+
				"Apply on push to the default branch after merge (the pipeline's apply job does) or on workflow_dispatch", e))
		}
	}
	if strings.HasPrefix(g.Run.Ref, "refs/pull/") {
		return refuse("event-not-allowed", fmt.Errorf("apply never runs on a pull request's ref (%s, event %s): its commit is not merged yet. "+
			"Apply on push to the default branch after merge (the pipeline's apply job does) or on workflow_dispatch", g.Run.Ref, orNone(g.Run.EventName)))
	}
	return nil
}

// checkRef lets a production-like environment apply only from the default
// branch or a ref the policy's apply-refs allows. Off the default branch it
// drops the policy's relaxations from pol.
func (g *Gate) checkRef(ctx context.Context, pol *policy.Policy) error {
	env := g.Environment
	ref := g.Run.Ref
	def := g.Run.DefaultBranch
	if def == "" {
		c, err := g.github()
		if err == nil {
			def, err = c.DefaultBranch(ctx)
		}
		if err != nil {
			return refuse("approval-unverifiable", fmt.Errorf("%q is production-like, so it applies only from the default branch, but lockstep cannot tell which branch that is: %w", env, err))
		}
	}
	g.defaultBranch = def // for the checks after this one, in this Decide
	if !pol.RefAllowed(ref, def) {
		return refuse("branch-not-allowed", fmt.Errorf("%s may not apply to the production-like environment %q: only the default branch (%s) may. "+
			"Merge the change to %s, or list the ref under apply-refs for %s in .lockstep.yml (globs such as refs/heads/release/*)",
			orNone(ref), env, def, def, env))
	}
	// The policy file is the applied commit's: reviewed and merged only on
	// the default branch. Elsewhere whoever pushed the ref wrote it, so it
	// may not weaken the checks that stop that person.
	if ref != "refs/heads/"+def && (pol.AllowSelfApproval || pol.AllowAdminBypass || pol.SkipBranchPolicy) {
		g.Log.Warnf("%s is not the default branch (%s): the policy file's allow-self-approval, allow-admin-bypass and require-branch-policy apply only on %s, where it was reviewed; they are ignored here", ref, def, def)
		pol.AllowSelfApproval, pol.AllowAdminBypass, pol.SkipBranchPolicy = false, false, false
	}
	// approval: none is the largest relaxation of all: without it the
	// ref's pusher would need nobody's approval.
	if ref != "refs/heads/"+def && !pol.ApprovalRequired && pol.Source[policy.FieldApproval] == policy.SourceFile {
		g.Log.Warnf("%s is not the default branch (%s): the policy file's approval: none applies only on %s, where it was reviewed; approval is required here", ref, def, def)
		pol.ApprovalRequired = true
	}
	// Choosing pull-request mode would let the ref's pusher trade this
	// run's approval for an old pull request's.
	if ref != "refs/heads/"+def && pol.ModeFromFile && pol.ApprovalMode != policy.ModeAuto {
		g.Log.Warnf("%s is not the default branch (%s): the policy file's approval-mode applies only on %s, where it was reviewed; approval-mode auto is used here", ref, def, def)
		pol.ApprovalMode, pol.ModeFromFile = policy.ModeAuto, false
	}
	return nil
}

// checkApproval requires an approval of this run for the environment and,
// for a production-like one, by someone other than who triggered it, on an
// environment admins cannot bypass, whose branch policy allows the ref.
func (g *Gate) checkApproval(ctx context.Context, pol policy.Policy) ([]github.Approval, error) {
	env := g.Environment
	refType, refName := splitRef(g.Run.Ref)

	c, err := g.github()
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

	runID, err := strconv.ParseInt(g.Run.RunID, 10, 64)
	if err != nil || runID <= 0 {
		return nil, refuse("approval-unverifiable", fmt.Errorf("approval is required for %q but GITHUB_RUN_ID %q is not a workflow run ID, so lockstep cannot read the run's approvals", env, g.Run.RunID))
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
			if !g.triggeredBy(ap.Login) {
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
		if err := g.checkBranchPolicy(ctx, c, e, refType, refName); err != nil {
			return nil, err
		}
	}
	return approved, nil
}

// checkBranchPolicy requires environment e's deployment branch policy to
// allow this ref, so that the environment's secrets and approval cannot be
// reached from any other branch.
func (g *Gate) checkBranchPolicy(ctx context.Context, c Environments, e *github.Environment, refType, refName string) error {
	env := e.Name
	fix := fmt.Sprintf("Settings → Environments → %s → Deployment branches and tags: choose Protected branches only or Selected branches and tags, "+
		"or set require-branch-policy: false for %s in .lockstep.yml", env, g.Environment)
	switch bp := e.BranchPolicy; {
	case bp == nil:
		return refuse("branch-not-allowed", fmt.Errorf("the GitHub environment %q has no deployment branch policy, so a workflow on any branch could deploy to it. %s", env, fix))
	case bp.ProtectedBranches:
		if refType != github.RefBranch {
			return refuse("branch-not-allowed", fmt.Errorf("the GitHub environment %q deploys only from protected branches, and %s is not a branch. %s", env, orNone(g.Run.Ref), fix))
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
func (g *Gate) triggeredBy(login string) bool {
	for _, actor := range []string{g.Run.Actor, g.Run.TriggeringActor} {
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

// short returns the 7-character form of a commit SHA.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// short16 is the first 16 characters of a fingerprint, as lockstep shows
// them.
func short16(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
