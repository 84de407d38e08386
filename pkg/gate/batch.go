package gate

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/github"
)

// maxPushCommits is how many commits of one push pull-request mode looks
// at: each may need a request to find its pull request.
const maxPushCommits = 300

// batchSource is how pushBatch reads GitHub: the pull requests associated
// with a commit (GET commits/{sha}/pulls) and a pull request's own commits.
type batchSource struct {
	pullsOf   func(ctx context.Context, sha string) ([]github.PullRequest, error)
	commitsOf func(ctx context.Context, pr int) ([]string, error)
}

// commitWithoutPR is a commit of the push that no merged pull request
// brought in.
type commitWithoutPR struct {
	sha  string
	prs  []github.PullRequest // what GitHub associates with it instead
	head github.PullRequest
}

func (e *commitWithoutPR) Error() string {
	others := ""
	if len(e.prs) > 0 {
		var n []string
		for _, p := range e.prs {
			n = append(n, fmt.Sprintf("#%d", p.Number))
		}
		others = " (GitHub associates it only with " + strings.Join(n, ", ") + ", none of them merged)"
	}
	return fmt.Sprintf("commit %s of this push came in without a merged pull request%s, beside PR #%d, so no review approved it", short(e.sha), others, e.head.Number)
}

// pushBatch returns the merged pull requests that brought in the commits of
// a push, head (the pull request of the pushed commit) first. GitHub's merge
// queue merges a batch of queued pull requests in one push: each entry
// becomes new commits on top of the previous entry's (a merge commit, a
// squash commit or rebased copies) and the branch moves to the last one, so
// the pushed commit maps to the last pull request only, while the push
// brings in every entry's changes. Each commit of the push (commits, in
// GitHub's compare order) must be a merged pull request's: its merge
// commit, its head, one of its own commits, or one GitHub associates with
// it (a rebased copy); a commit that belongs to none is an error
// (*commitWithoutPR), because nothing shows that anyone reviewed it.
func pushBatch(ctx context.Context, head github.PullRequest, commits []string, src batchSource) ([]github.PullRequest, error) {
	batch := []github.PullRequest{head}
	inBatch := map[int]bool{head.Number: true}
	accounted := map[string]bool{}
	account := func(p github.PullRequest) error {
		accounted[strings.ToLower(p.MergeCommitSHA)] = true
		accounted[strings.ToLower(p.HeadSHA)] = true
		own, err := src.commitsOf(ctx, p.Number)
		if err != nil {
			return fmt.Errorf("listing the commits of PR #%d: %w", p.Number, err)
		}
		for _, c := range own {
			accounted[strings.ToLower(c)] = true
		}
		return nil
	}
	if err := account(head); err != nil {
		return nil, err
	}
	for i := len(commits) - 1; i >= 0; i-- {
		c := commits[i]
		if accounted[strings.ToLower(c)] {
			continue
		}
		prs, err := src.pullsOf(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("listing the pull requests of commit %s: %w", short(c), err)
		}
		p, ok := MergedPullRequest(prs, c)
		if !ok {
			return nil, &commitWithoutPR{sha: c, prs: prs, head: head}
		}
		accounted[strings.ToLower(c)] = true
		if inBatch[p.Number] {
			continue
		}
		inBatch[p.Number] = true
		batch = append(batch, p)
		if err := account(p); err != nil {
			return nil, err
		}
	}
	return batch, nil
}

// PushedPullRequests is pushBatch for this run: on a push event, the merged
// pull requests that brought in before..GITHUB_SHA; on any other event (a
// workflow_dispatch has no range) and for a push that created the branch,
// head alone.
func (g *Gate) PushedPullRequests(ctx context.Context, c PullRequests, head github.PullRequest) ([]github.PullRequest, error) {
	before := g.Run.Before
	if g.Run.EventName != "push" || strings.Trim(before, "0") == "" {
		return []github.PullRequest{head}, nil
	}
	commits, err := c.CommitsBetween(ctx, before, g.Run.SHA, maxPushCommits)
	if errors.Is(err, github.ErrTooManyCommits) {
		return nil, refuse("approval-unverifiable", fmt.Errorf("pull-request approval mode for %q: the push %s..%s brings in more than %d commits, too many to map each to its pull request: "+
			"merge fewer pull requests per push (a smaller merge queue batch), or use approval-mode: environment with required reviewers: %w", g.Environment, short(before), short(g.Run.SHA), maxPushCommits, err))
	}
	if errors.Is(err, github.ErrNotAhead) {
		return nil, refuse("pr-not-approved", fmt.Errorf("pull-request approval mode for %q: the push moved %s from %s to %s, which does not descend from it (a force push): "+
			"applying it could bring back an older approved commit, or changes that no pull request merged. Protect %s against force pushes, or apply with approval-mode: environment: %w",
			g.Environment, orNone(g.Run.Ref), short(before), short(g.Run.SHA), orNone(g.Run.Ref), err))
	}
	if err != nil {
		return nil, refuse("approval-unverifiable", fmt.Errorf("pull-request approval mode for %q: listing the commits of the push %s..%s (the job needs contents: read): %w", g.Environment, short(before), short(g.Run.SHA), err))
	}
	batch, err := pushBatch(ctx, head, commits, batchSource{pullsOf: c.PullRequestsWithCommit, commitsOf: c.PullRequestCommits})
	var orphan *commitWithoutPR
	if errors.As(err, &orphan) {
		return nil, refuse("pr-not-approved", fmt.Errorf("pull-request approval mode for %q: %w. "+
			"Protect %s so that every change arrives through an approved pull request, or use approval-mode: environment with required reviewers", g.Environment, err, orNone(g.Run.Ref)))
	}
	if err != nil {
		return nil, refuse("approval-unverifiable", fmt.Errorf("pull-request approval mode for %q: mapping the commits of the push %s..%s to their pull requests: %w", g.Environment, short(before), short(g.Run.SHA), err))
	}
	return batch, nil
}

// touchesTerraform reports whether pull request pr changed a file of stack
// dir or any Terraform file (.tf, .tf.json, .tfvars, .hcl): a change the
// stack's plan may depend on. A file list GitHub truncated counts as
// touching.
func touchesTerraform(ctx context.Context, c PullRequests, pr int, dir string) (bool, string, error) {
	files, err := c.PullRequestFiles(ctx, pr)
	if errors.Is(err, github.ErrFilesTruncated) {
		return true, "more files than GitHub lists", nil
	}
	if err != nil {
		return false, "", err
	}
	dir = path.Clean(strings.TrimPrefix(dir, "./"))
	for _, f := range files {
		if dir == "." || strings.HasPrefix(f, dir+"/") || terraformFile(f) {
			return true, f, nil
		}
	}
	return false, "", nil
}

func terraformFile(name string) bool {
	for _, ext := range []string{".tf", ".tf.json", ".tfvars", ".tfvars.json", ".hcl"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
