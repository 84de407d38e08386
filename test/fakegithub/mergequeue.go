package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

const (
	docsCompare     = "https://docs.github.com/rest/commits/commits#compare-two-commits"
	docsPullCommits = "https://docs.github.com/rest/pulls/pulls#list-commits-on-a-pull-request"
	// maxPullCommits is how many commits GitHub lists for a pull request.
	maxPullCommits = 250
)

// Merge methods of the merge queue and of the merge button.
const (
	MergeMethodMerge  = "merge"
	MergeMethodSquash = "squash"
	MergeMethodRebase = "rebase"
)

// Commit is a commit of a repository's commit graph, which the compare and
// pull-request-commits endpoints read.
type Commit struct {
	SHA     string
	Parents []string
	Message string
}

// MergeGroup is what a merge_group event says about one entry of a merge
// queue: the temporary commit the queue built for it (HeadSHA, on the
// read-only ref HeadRef), the commit it was built on (BaseSHA: the previous
// entry's group commit, or the base branch's head for the first entry) and
// the base branch (BaseRef).
type MergeGroup struct {
	HeadSHA, HeadRef string
	BaseSHA, BaseRef string
	// PullRequest is the entry's pull request.
	PullRequest int
}

// QueueMerge describes a merge queue merging a batch of pull requests in
// one push, as GitHub does once every entry's checks pass: each entry
// becomes new commits on top of the previous entry's (Method decides which:
// a merge commit whose second parent is the pull request's head, one squash
// commit, or one rebased copy per commit of the pull request), each pull
// request is marked merged with its own last new commit as merge commit,
// and the base branch moves to the last entry's commit.
type QueueMerge struct {
	// BaseRef is the branch merged into; "main" when empty.
	BaseRef string
	// BaseSHA is the branch's head before the merge (the push's before); a
	// commit it does not know yet is added as a root.
	BaseSHA string
	// Method is MergeMethodMerge (the default), MergeMethodSquash or
	// MergeMethodRebase.
	Method string
	// PullRequests are the entries in queue order; unknown ones are added
	// as open pull requests first.
	PullRequests []int
}

// graph is one repository's commits and pull requests' commit lists, kept
// beside repoState (by pointer) so that the commit graph stays in this
// file; guarded by its own lock, because tests run servers in parallel.
type graph struct {
	commits     map[string]*Commit
	pullCommits map[int][]string
}

var graphs sync.Map // *repoState -> *graph; every access also holds the Server's mu

func graphOf(r *repoState) *graph {
	g, _ := graphs.LoadOrStore(r, &graph{commits: map[string]*Commit{}, pullCommits: map[int][]string{}})
	return g.(*graph)
}

// AddCommits adds commits to the repository's commit graph (replacing ones
// with the same SHA).
func (s *Server) AddCommits(owner, repo string, commits ...Commit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := graphOf(s.repoLocked(owner, repo, true))
	for _, c := range commits {
		c.Parents = append([]string(nil), c.Parents...)
		g.commits[c.SHA] = &c
	}
}

// SetPullCommits sets the commits GET /repos/{o}/{r}/pulls/{n}/commits lists
// for pull request pr (added as an open pull request if unknown), oldest
// first. Unset, it lists the pull request's head commit alone.
func (s *Server) SetPullCommits(owner, repo string, pr int, shas ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	s.ensurePullLocked(r, pr)
	graphOf(r).pullCommits[pr] = append([]string(nil), shas...)
}

// MergeQueue merges a batch through the merge queue (see [QueueMerge]) and
// returns the merge group of each entry, in queue order; the last one's
// HeadSHA is the base branch's new head, the commit the push to it names.
// Every new commit is associated with its pull request
// (GET /repos/{o}/{r}/commits/{sha}/pulls lists it), as GitHub associates a
// commit on the default branch with the merged pull request that
// introduced it.
func (s *Server) MergeQueue(owner, repo string, q QueueMerge) []MergeGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	g := graphOf(r)
	if q.BaseRef == "" {
		q.BaseRef = "main"
	}
	if q.Method == "" {
		q.Method = MergeMethodMerge
	}
	if g.commits[q.BaseSHA] == nil {
		g.commits[q.BaseSHA] = &Commit{SHA: q.BaseSHA, Message: "base"}
	}
	add := func(sha, message string, parents ...string) string {
		g.commits[sha] = &Commit{SHA: sha, Parents: parents, Message: message}
		return sha
	}
	var groups []MergeGroup
	prev := q.BaseSHA
	for _, n := range q.PullRequests {
		s.ensurePullLocked(r, n)
		pr := r.pulls[n]
		own := g.pullCommits[n]
		if len(own) == 0 {
			own = []string{pr.HeadSHA}
		}
		// The pull request's own commits, branched off the batch's base.
		parent := q.BaseSHA
		for _, c := range own {
			if g.commits[c] == nil {
				add(c, "commit of #"+fmt.Sprint(n), parent)
			}
			parent = c
		}
		base := prev
		switch q.Method {
		case MergeMethodSquash:
			prev = add(FakeSHA(fmt.Sprintf("queue-squash-%d-%s", n, base)), fmt.Sprintf("Pull request #%d (#%d)", n, n), base)
			r.commitPulls[prev] = append(r.commitPulls[prev], n)
		case MergeMethodRebase:
			for _, c := range own {
				prev = add(FakeSHA(fmt.Sprintf("queue-rebase-%s-%s", c, prev)), "rebased commit of #"+fmt.Sprint(n), prev)
				r.commitPulls[prev] = append(r.commitPulls[prev], n)
			}
		default:
			prev = add(FakeSHA(fmt.Sprintf("queue-merge-%d-%s", n, base)), fmt.Sprintf("Merge pull request #%d", n), base, pr.HeadSHA)
			r.commitPulls[prev] = append(r.commitPulls[prev], n)
			// The pull request's own commits now reach the branch too.
			for _, c := range own {
				r.commitPulls[c] = append(r.commitPulls[c], n)
			}
		}
		pr.Merged, pr.State, pr.MergeCommitSHA, pr.MergedAt = true, "closed", prev, s.now()
		groups = append(groups, MergeGroup{
			HeadSHA: prev, HeadRef: fmt.Sprintf("refs/heads/gh-readonly-queue/%s/pr-%d-%s", q.BaseRef, n, base),
			BaseSHA: base, BaseRef: "refs/heads/" + q.BaseRef, PullRequest: n,
		})
	}
	return groups
}

// commitJSON is a commit as compare and pull-request-commits list it.
func (s *Server) commitJSON(r *repoState, c *Commit) map[string]any {
	parents := []map[string]any{}
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{"sha": p, "url": fmt.Sprintf("%s/commits/%s", s.repoAPI(r), p)})
	}
	return map[string]any{
		"sha":      c.SHA,
		"url":      fmt.Sprintf("%s/commits/%s", s.repoAPI(r), c.SHA),
		"html_url": fmt.Sprintf("%s/commit/%s", s.repoWeb(r), c.SHA),
		"commit":   map[string]any{"message": c.Message},
		"parents":  parents,
	}
}

// GET /repos/{owner}/{repo}/compare/{base}...{head}: the commits reachable
// from head and not from base, parents before children, paginated like
// GitHub's (per_page, page); status is ahead, behind (head is an ancestor
// of base), diverged or identical.
func (s *Server) compareCommits(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	base, head, ok := strings.Cut(p["basehead"], "...")
	if r == nil || !ok {
		writeNotFound(w, docsCompare)
		return
	}
	g := graphOf(r)
	if g.commits[base] == nil || g.commits[head] == nil {
		writeNotFound(w, docsCompare)
		return
	}
	behind := map[string]bool{}
	var mark func(sha string)
	mark = func(sha string) {
		if behind[sha] || g.commits[sha] == nil {
			return
		}
		behind[sha] = true
		for _, p := range g.commits[sha].Parents {
			mark(p)
		}
	}
	mark(base)
	var ahead []*Commit
	seen := map[string]bool{}
	var visit func(sha string)
	visit = func(sha string) { // post-order: parents first
		c := g.commits[sha]
		if c == nil || seen[sha] || behind[sha] {
			return
		}
		seen[sha] = true
		for _, p := range c.Parents {
			visit(p)
		}
		ahead = append(ahead, c)
	}
	visit(head)
	// head's ancestors, to tell ahead (base is one) from diverged.
	reach := map[string]bool{}
	var up func(sha string)
	up = func(sha string) {
		if reach[sha] || g.commits[sha] == nil {
			return
		}
		reach[sha] = true
		for _, p := range g.commits[sha].Parents {
			up(p)
		}
	}
	up(head)
	status := "ahead"
	switch {
	case base == head:
		status = "identical"
	case behind[head]:
		status = "behind"
	case !reach[base]:
		status = "diverged"
	}
	out := []map[string]any{}
	for _, c := range paginate(w, req, ahead) {
		out = append(out, s.commitJSON(r, c))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status": status, "ahead_by": len(ahead), "behind_by": 0, "total_commits": len(ahead),
		"base_commit": s.commitJSON(r, g.commits[base]), "commits": out, "files": []any{},
	})
}

// GET /repos/{owner}/{repo}/pulls/{number}/commits: at most 250, as GitHub.
func (s *Server) listPullCommits(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.pulls[int(n)] == nil {
		writeNotFound(w, docsPullCommits)
		return
	}
	g := graphOf(r)
	shas := g.pullCommits[int(n)]
	if len(shas) == 0 {
		shas = []string{r.pulls[int(n)].HeadSHA}
	}
	shas = shas[:min(len(shas), maxPullCommits)]
	var list []*Commit
	for _, sha := range shas {
		c := g.commits[sha]
		if c == nil {
			c = &Commit{SHA: sha}
		}
		list = append(list, c)
	}
	out := []map[string]any{}
	for _, c := range paginate(w, req, list) {
		out = append(out, s.commitJSON(r, c))
	}
	writeJSON(w, http.StatusOK, out)
}
