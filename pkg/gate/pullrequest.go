package gate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// checkPullRequest is pull-request mode: the commit being applied came from
// a merged pull request with at least pol.MinApprovals approving reviews
// that count (see policy.WeighReviews), one of them submitted after
// lockstep's plan comment for each stack last changed, and, when the
// policy asks, an approver who owns the stacks in CODEOWNERS or belongs to
// one of the approver teams. On a push that merged several pull requests
// (a merge queue batch, see pushBatch) every one of them must pass, so no
// unapproved change rides along with an approved one.
//
// What is trusted: the commit (GITHUB_SHA) and the push's range (the
// event's before, written by GitHub) from the runner; the pull
// request, its reviews, permissions and team memberships from GitHub; only
// lockstep's own plan comments (FindComment ignores anyone else's); the
// CODEOWNERS file of the applied commit, which the same review covered.
func (g *Gate) checkPullRequest(ctx context.Context, pol policy.Policy, dirs []string) (Verdict, error) {
	env := g.Environment
	notApproved := func(format string, args ...any) error {
		return refuse("pr-not-approved", fmt.Errorf("pull-request approval mode for %q: "+format, append([]any{env}, args...)...))
	}
	unverifiable := func(what string, err error) error {
		return refuse("approval-unverifiable", fmt.Errorf("pull-request approval mode for %q: %s: %w", env, what, err))
	}
	c, err := g.github()
	if err != nil {
		return Verdict{}, unverifiable("lockstep cannot read the pull request", err)
	}
	if g.Run.SHA == "" {
		return Verdict{}, notApproved("GITHUB_SHA is not set, so lockstep cannot tell which pull request this commit came from")
	}
	if pol.ProductionLike && !pol.SkipBranchPolicy {
		if err := g.checkPullRequestBranchPolicy(ctx, c); err != nil {
			return Verdict{}, err
		}
	}
	// Off the default branch (an apply-refs ref), only a push that moves an
	// existing ref forward says what it brings in. A new branch or tag (its
	// first push has no previous head) or a workflow_dispatch on one can
	// point at any old approved commit: applying it would take production
	// back to an older infrastructure that nobody approved for now.
	if pol.ProductionLike && g.Run.Ref != "refs/heads/"+g.defaultBranch &&
		(g.Run.EventName != "push" || strings.Trim(g.Run.Before, "0") == "") {
		what := "the first push of " + orNone(g.Run.Ref)
		if g.Run.EventName != "push" {
			what = "a " + orNone(g.Run.EventName) + " run on " + orNone(g.Run.Ref)
		}
		return Verdict{}, notApproved("%s is not the default branch, and %s names no range of commits it brings in: it could be any old approved commit, "+
			"and applying that would take the infrastructure back without a new approval. Apply from a push that moves %s forward (merge a pull request into it), "+
			"or use approval-mode: environment with required reviewers", orNone(g.Run.Ref), what, orNone(g.Run.Ref))
	}
	prs, err := c.PullRequestsWithCommit(ctx, g.Run.SHA)
	if err != nil {
		return Verdict{}, unverifiable(fmt.Sprintf("listing the pull requests of commit %s (the job needs pull-requests: read)", short(g.Run.SHA)), err)
	}
	pr, ok := MergedPullRequest(prs, g.Run.SHA)
	if !ok {
		if len(prs) == 0 {
			return Verdict{}, notApproved("no pull request is associated with commit %s, so no review approved it. "+
				"Merge changes through a pull request (protect the branch and require reviews), or use approval-mode: environment with required reviewers", short(g.Run.SHA))
		}
		var open []string
		for _, p := range prs {
			open = append(open, fmt.Sprintf("#%d", p.Number))
		}
		return Verdict{}, notApproved("commit %s belongs to %s, none of them merged: apply only what a merged pull request brought in", short(g.Run.SHA), strings.Join(open, ", "))
	}

	batch, err := g.PushedPullRequests(ctx, c, pr)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Mode: policy.ModePullRequest}
	planned := map[string]bool{} // stacks some pull request of the push has a plan comment for
	approvers := map[string]bool{}
	for _, p := range batch {
		counted, err := g.checkMergedPullRequest(ctx, c, pol, dirs, p, batch, planned)
		if err != nil {
			return Verdict{}, err
		}
		for _, r := range counted {
			if !approvers[strings.ToLower(r.Login)] {
				approvers[strings.ToLower(r.Login)] = true
				v.Approvals = append(v.Approvals, comment.Approval{Login: r.Login, URL: r.URL})
			}
		}
		g.Log.Printf("Approval (pull-request mode): PR #%d (%s) was merged with approving reviews by %s on its final commit %s.", p.Number, p.URL, reviewLogins(counted), short(p.HeadSHA))
	}
	for _, dir := range dirs {
		if !planned[dir] {
			return Verdict{}, notApproved("none of the pull requests this push merged (%s) has a plan comment of lockstep's for %s → %s, so no approver can have seen the plan. "+
				"Plan on the pull request with comments on (comment: auto) and have it approved after the plan comment appears", prNumbers(batch), dir, env)
		}
	}
	if len(batch) > 1 {
		g.Log.Printf("Approval (pull-request mode): this push merged %d pull requests (%s), as a merge queue batch does; each of them was approved.", len(batch), prNumbers(batch))
	}
	return v, nil
}

// checkMergedPullRequest holds one merged pull request of the push to the
// rules of pull-request mode and returns its approvals that count. In a
// batch (several pull requests merged by one push) a pull request without
// lockstep's plan comment for a stack passes that stack's "saw the plan"
// rule only when it changed no Terraform file: lockstep did not plan it
// there because it did not change the stack, and needs no CODEOWNERS or
// team approver for it; planned records the stacks that some pull request
// of the push has a plan comment for.
func (g *Gate) checkMergedPullRequest(ctx context.Context, c GitHub, pol policy.Policy, dirs []string, pr github.PullRequest, batch []github.PullRequest, planned map[string]bool) ([]policy.Review, error) {
	env := g.Environment
	which := fmt.Sprintf("PR #%d", pr.Number)
	if len(batch) > 1 {
		which = fmt.Sprintf("PR #%d (one of the %d pull requests this push merged, as a merge queue batch does: %s; each must be approved)", pr.Number, len(batch), prNumbers(batch))
	}
	notApproved := func(format string, args ...any) error {
		return refuse("pr-not-approved", fmt.Errorf("pull-request approval mode for %q: "+format, append([]any{env}, args...)...))
	}
	unverifiable := func(what string, err error) error {
		return refuse("approval-unverifiable", fmt.Errorf("pull-request approval mode for %q: %s: %w", env, what, err))
	}

	raw, err := c.PullRequestReviews(ctx, pr.Number)
	if err != nil {
		return nil, unverifiable(fmt.Sprintf("listing the reviews of PR #%d", pr.Number), err)
	}
	reviews := make([]policy.Review, len(raw))
	for i, r := range raw {
		reviews[i] = policy.Review{ID: r.ID, Login: r.Login, State: r.State, CommitID: r.CommitID, SubmittedAt: r.SubmittedAt, URL: r.URL}
	}
	perms := map[string]string{}
	for _, r := range policy.LatestDecisive(reviews) {
		if r.State != policy.ReviewApproved || strings.EqualFold(r.Login, pr.Author) {
			continue
		}
		p, err := c.Permission(ctx, r.Login)
		if err != nil {
			return nil, unverifiable(fmt.Sprintf("reading %s's permission on the repository", r.Login), err)
		}
		perms[strings.ToLower(r.Login)] = p
	}

	var planAt time.Time
	var mine []string // the stacks this pull request has a plan comment for
	for _, dir := range dirs {
		cm, err := c.FindComment(ctx, pr.Number, comment.Marker(dir, env))
		if err != nil {
			return nil, unverifiable(fmt.Sprintf("finding lockstep's plan comment for %s on PR #%d", dir, pr.Number), err)
		}
		if cm == nil && len(batch) > 1 {
			touched, file, err := touchesTerraform(ctx, c, pr.Number, dir)
			if err != nil {
				return nil, unverifiable(fmt.Sprintf("listing the files of PR #%d", pr.Number), err)
			}
			if !touched {
				continue // it did not change the stack: another pull request's plan shows the change
			}
			return nil, notApproved("%s changed %s but has no plan comment of lockstep's for %s → %s, so no approver can have seen its plan. "+
				"Plan on the pull request with comments on (comment: auto) and have it approved after the plan comment appears", which, file, dir, env)
		}
		if cm == nil {
			return nil, notApproved("%s has no plan comment of lockstep's for %s → %s, so no approver can have seen the plan. "+
				"Plan on the pull request with comments on (comment: auto) and have it approved after the plan comment appears", which, dir, env)
		}
		planned[dir] = true
		mine = append(mine, dir)
		if cm.UpdatedAt.After(planAt) {
			planAt = cm.UpdatedAt
		}
	}

	min := max(pol.MinApprovals, 1)
	v := policy.WeighReviews(reviews, policy.ReviewRules{Author: pr.Author, HeadSHA: pr.HeadSHA, PlanChangedAt: planAt, MinApprovals: min, Permissions: perms})
	if !v.OK(min) {
		edited := ""
		if planAt.After(pr.MergedAt) {
			// A pull request plan re-run after the merge (a push's plan
			// writes a lockstep:push-plan comment of its own) rewrote the
			// plan comment after every review.
			edited = fmt.Sprintf(" lockstep's plan comment changed after the merge (%s), after every review: a plan of the pull request re-run after it merged rewrote it; the change needs a new approved pull request, or environment approval.", pr.MergedAt.UTC().Format(time.RFC3339))
		}
		return nil, notApproved("%s has %d of %d approving reviews that count%s.%s %s", which, len(v.Counted), min, sawPlanNote(v, planAt), edited, discardedNote(v))
	}
	// Owners and teams approve changes to the stacks: a pull request of a
	// batch that changed none of them needs only its approvals.
	if len(mine) > 0 {
		if err := g.checkApproverOwners(ctx, c, pol, mine, pr.Number, v.Counted); err != nil {
			return nil, err
		}
	}
	return v.Counted, nil
}

func prNumbers(prs []github.PullRequest) string {
	out := make([]string, len(prs))
	for i, p := range prs {
		out[i] = fmt.Sprintf("#%d", p.Number)
	}
	return strings.Join(out, ", ")
}

// checkPullRequestBranchPolicy holds a production-like environment in
// pull-request mode to its GitHub environment's deployment branch policy,
// when it has one, as environment mode does (see checkBranchPolicy): a
// policy of protected branches only refuses an unprotected branch, on
// which a writer could push, or force-push an old approved commit, without
// a review. An environment without a policy, or none at all (GitHub Free
// has no environments in private repositories), is not refused: the ref is
// already the default branch or one apply-refs allows (checkRef), and the
// merged pull request's reviews are the gate.
func (g *Gate) checkPullRequestBranchPolicy(ctx context.Context, c Environments) error {
	env := g.Environment
	e, err := c.Environment(ctx, env)
	if err != nil {
		return refuse("approval-unverifiable", fmt.Errorf("pull-request approval mode for %q: reading its GitHub environment for its deployment branch policy: %w", env, err))
	}
	if !e.Exists || e.BranchPolicy == nil {
		return nil
	}
	refType, refName := splitRef(g.Run.Ref)
	return g.checkBranchPolicy(ctx, c, e, refType, refName)
}

// MergedPullRequest picks the merged pull request that brought commit sha
// in: the one whose merge made it (merge, squash or rebase), else the one
// whose head it is (a fast-forward), else the first merged one GitHub
// associates with it. Open and closed-unmerged pull requests never count.
func MergedPullRequest(prs []github.PullRequest, sha string) (github.PullRequest, bool) {
	var head, first *github.PullRequest
	for i := range prs {
		p := &prs[i]
		if p.MergedAt.IsZero() {
			continue
		}
		switch {
		case strings.EqualFold(p.MergeCommitSHA, sha):
			return *p, true
		case strings.EqualFold(p.HeadSHA, sha) && head == nil:
			head = p
		case first == nil:
			first = p
		}
	}
	if head != nil {
		return *head, true
	}
	if first != nil {
		return *first, true
	}
	return github.PullRequest{}, false
}

// checkApproverOwners applies the policy's approvers: codeowners and
// approver-teams: some counted approver must own each stack directory, and
// some must belong to one of the teams.
func (g *Gate) checkApproverOwners(ctx context.Context, c Teams, pol policy.Policy, dirs []string, pr int, counted []policy.Review) error {
	env := g.Environment
	if pol.RequireCodeowner {
		rules, file, err := g.codeowners()
		if err != nil {
			return refuse("approval-unverifiable", fmt.Errorf("approvers: codeowners for %q: reading CODEOWNERS: %w", env, err))
		}
		if file == "" {
			return refuse("pr-not-approved", fmt.Errorf("approvers: codeowners for %q, but the applied commit has no CODEOWNERS (%s)", env, strings.Join(policy.CodeownersPaths, ", ")))
		}
		for _, dir := range dirs {
			owners := policy.DirectoryOwners(rules, dir)
			if len(owners) == 0 {
				return refuse("pr-not-approved", fmt.Errorf("approvers: codeowners for %q, but %s names no owner of %s", env, file, dir))
			}
			ok, err := g.anyApproverIn(ctx, c, owners, counted)
			if err != nil {
				return refuse("approval-unverifiable", fmt.Errorf("approvers: codeowners for %q: %w", env, err))
			}
			if !ok {
				return refuse("pr-not-approved", fmt.Errorf("approvers: codeowners for %q: none of the approvals of PR #%d that count (%s) is by an owner of %s in %s (%s)",
					env, pr, reviewLogins(counted), dir, file, strings.Join(owners, " ")))
			}
		}
	}
	if len(pol.ApproverTeams) > 0 {
		teams := make([]string, len(pol.ApproverTeams))
		for i, t := range pol.ApproverTeams {
			teams[i] = "@" + t
		}
		ok, err := g.anyApproverIn(ctx, c, teams, counted)
		if err != nil {
			return refuse("approval-unverifiable", fmt.Errorf("approver-teams for %q: %w", env, err))
		}
		if !ok {
			return refuse("pr-not-approved", fmt.Errorf("approver-teams for %q: none of the approvals of PR #%d that count (%s) is by a member of %s",
				env, pr, reviewLogins(counted), strings.Join(pol.ApproverTeams, ", ")))
		}
	}
	return nil
}

// anyApproverIn reports whether one of the approvers is one of owners:
// @user by login, @org/team by active team membership, read with
// g.teamReader. Email owners cannot be matched to a login and never match.
func (g *Gate) anyApproverIn(ctx context.Context, c Teams, owners []string, counted []policy.Review) (bool, error) {
	var teams *teamReader
	for _, r := range counted {
		for _, o := range owners {
			name, ok := strings.CutPrefix(o, "@")
			if !ok {
				continue
			}
			org, team, isTeam := strings.Cut(name, "/")
			if !isTeam {
				if strings.EqualFold(name, r.Login) {
					return true, nil
				}
				continue
			}
			if teams == nil {
				var err error
				if teams, err = g.teamReader(c); err != nil {
					return false, err
				}
			}
			member, err := teams.member(ctx, org, team, r.Login)
			if err != nil {
				return false, err
			}
			if member {
				return true, nil
			}
		}
	}
	return false, nil
}

// ApproverTokenEnv is the environment variable with an optional token that
// lockstep uses for one thing only: reading team membership for
// approver-teams and team owners in CODEOWNERS, which a workflow's
// GITHUB_TOKEN can never read. It is masked, never logged, and no child
// process inherits it.
const ApproverTokenEnv = "LOCKSTEP_APPROVER_TOKEN"

// teamReader reads team memberships with the approver token when there is
// one, else with the run's GitHub client, and checks once per team that
// the token can see it, so that a hidden team is an error rather than "not
// a member".
type teamReader struct {
	c       Teams
	source  string // which token: ApproverTokenEnv or the github-token input
	visible map[string]bool
}

// teamReader builds the team reader of one check: ApproverTeams' client
// when it gives one, else c, the run's.
func (g *Gate) teamReader(c Teams) (*teamReader, error) {
	if g.ApproverTeams == nil {
		return &teamReader{c: c, source: "github-token", visible: map[string]bool{}}, nil
	}
	tc, err := g.ApproverTeams()
	if err != nil {
		return nil, fmt.Errorf("building the client for %s: %w", ApproverTokenEnv, err)
	}
	if tc == nil {
		return &teamReader{c: c, source: "github-token", visible: map[string]bool{}}, nil
	}
	return &teamReader{c: tc, source: ApproverTokenEnv, visible: map[string]bool{}}, nil
}

func (t *teamReader) member(ctx context.Context, org, team, login string) (bool, error) {
	key := strings.ToLower(org + "/" + team)
	if !t.visible[key] {
		ok, err := t.c.TeamVisible(ctx, org, team)
		if err != nil {
			return false, fmt.Errorf("checking that team %s is visible to %s: %w", key, t.source, err)
		}
		if !ok {
			if t.source == ApproverTokenEnv {
				return false, fmt.Errorf("%s cannot see team %s (GitHub answers 403 or 404): check the team's slug, and give the token the organization permission Members: read (a GitHub App installation token or a fine-grained token; a classic token needs read:org)", ApproverTokenEnv, key)
			}
			return false, fmt.Errorf("lockstep reads team membership with the github-token input, which cannot see team %s (GitHub answers 403 or 404): a workflow's GITHUB_TOKEN can never read an organization's teams. "+
				"Pass a token that can (a GitHub App installation token with the organization permission Members: read, or a fine-grained token with Members: read) in %s: the reusable workflow's secret %s, which only the apply step sees and lockstep uses for team reads only", key, ApproverTokenEnv, ApproverTokenEnv)
		}
		t.visible[key] = true
	}
	member, err := t.c.TeamMember(ctx, org, team, login)
	if err != nil {
		return false, fmt.Errorf("checking %s's membership of %s with %s (the token needs Members: read on the organization): %w", login, key, t.source, err)
	}
	return member, nil
}

// codeowners reads the applied commit's CODEOWNERS (through ReadFile),
// from the first of GitHub's locations that exists; file is "" when none.
func (g *Gate) codeowners() (rules []policy.CodeownersRule, file string, err error) {
	if g.ReadFile == nil {
		return nil, "", fmt.Errorf("no file reader for the applied commit")
	}
	for _, p := range policy.CodeownersPaths {
		data, err := g.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return policy.ParseCodeowners(string(data)), p, nil
	}
	return nil, "", nil
}

func sawPlanNote(v policy.ReviewVerdict, planAt time.Time) string {
	if len(v.Counted) > 0 && !v.SawPlan {
		return fmt.Sprintf(", and none of them was submitted after lockstep's plan comment last changed (%s), so no approver saw the final plan", planAt.UTC().Format(time.RFC3339))
	}
	return ""
}

// discardedNote lists the approvals that did not count and why, and says
// how to get one that does.
func discardedNote(v policy.ReviewVerdict) string {
	var b strings.Builder
	if len(v.Discarded) > 0 {
		b.WriteString("Not counted: ")
		for i, d := range v.Discarded {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s (%s)", d.Review.Login, d.Why)
		}
		b.WriteString(". ")
	}
	b.WriteString("An approval counts when it is the reviewer's latest decisive review, by someone other than the author with write, maintain or admin permission, on the pull request's final commit; " +
		"protect the branch with required approving reviews and \"Dismiss stale pull request approvals when new commits are pushed\", then merge only approved pull requests. Nothing was applied; a merged pull request cannot be approved again, so the change needs a new approved pull request (or approval-mode: environment)")
	return b.String()
}

func reviewLogins(rs []policy.Review) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Login
	}
	return strings.Join(out, ", ")
}
