package fakegithub

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

const (
	docsPulls = "https://docs.github.com/rest/pulls/pulls"
	// maxPullFiles is how many files GitHub lists for a pull request at most.
	maxPullFiles = 3000
)

// PullRequest is a pull request as the server stores it. Zero fields get
// defaults when added: State "open", HeadRef "feature-<n>", BaseRef "main",
// Title "Pull request #<n>".
type PullRequest struct {
	Number  int
	Title   string
	State   string // "open" or "closed"
	Merged  bool
	Draft   bool
	HeadSHA string
	HeadRef string
	BaseRef string
	BaseSHA string
	// Author is the login of the pull request's user; "octocat" when empty.
	Author string
	// MergedAt is when it was merged (zero: not merged; a Merged pull
	// request without it gets a fixed time). MergeCommitSHA is the commit
	// its merge made on the base branch (for squash and rebase merges the
	// new commit); FakeSHA("merge-<n>") when merged and empty.
	MergedAt       time.Time
	MergeCommitSHA string
}

// PullFile is one changed file of a pull request. Status defaults to
// "modified", or "renamed" when PreviousFilename is set.
type PullFile struct {
	Filename         string
	PreviousFilename string
	Status           string
	Additions        int
	Deletions        int
}

// AddPullRequest adds an open pull request with the given head commit.
func (s *Server) AddPullRequest(owner, repo string, number int, headSHA string) {
	s.PutPullRequest(owner, repo, PullRequest{Number: number, HeadSHA: headSHA})
}

// PutPullRequest adds or replaces a pull request.
func (s *Server) PutPullRequest(owner, repo string, pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	s.putPullLocked(r, pr)
}

func (s *Server) putPullLocked(r *repoState, pr PullRequest) {
	if pr.State == "" {
		pr.State = "open"
	}
	if !pr.MergedAt.IsZero() {
		pr.Merged = true
	}
	if pr.Merged {
		pr.State = "closed"
		if pr.MergedAt.IsZero() {
			pr.MergedAt = time.Unix(1700000000, 0).Add(time.Duration(pr.Number)*time.Hour + time.Minute)
		}
		if pr.MergeCommitSHA == "" {
			pr.MergeCommitSHA = FakeSHA(fmt.Sprintf("merge-%d", pr.Number))
		}
	}
	if pr.Author == "" {
		pr.Author = "octocat"
	}
	if pr.HeadRef == "" {
		pr.HeadRef = fmt.Sprintf("feature-%d", pr.Number)
	}
	if pr.HeadSHA == "" {
		pr.HeadSHA = FakeSHA(pr.HeadRef)
	}
	if pr.BaseRef == "" {
		pr.BaseRef = "main"
	}
	if pr.BaseSHA == "" {
		pr.BaseSHA = FakeSHA(pr.BaseRef)
	}
	if pr.Title == "" {
		pr.Title = fmt.Sprintf("Pull request #%d", pr.Number)
	}
	r.pulls[pr.Number] = &pr
	r.issues[pr.Number] = &issueState{number: pr.Number, isPull: true}
}

// ensurePullLocked makes number an issue, adding it as an open pull request
// when it is unknown.
func (s *Server) ensurePullLocked(r *repoState, number int) {
	if r.issues[number] == nil {
		s.putPullLocked(r, PullRequest{Number: number})
	}
}

// AddCommitPulls makes GET /repos/{owner}/{repo}/commits/{sha}/pulls list
// these pull requests (added as open pull requests if unknown) before any
// whose head is sha, which are listed without seeding.
func (s *Server) AddCommitPulls(owner, repo, sha string, prs ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	for _, n := range prs {
		s.ensurePullLocked(r, n)
		r.commitPulls[sha] = append(r.commitPulls[sha], n)
	}
}

// AddPullFiles appends changed files to pull request pr (added as an open
// pull request if unknown). GitHub lists at most 3,000 files; the pull
// request's changed_files counts all of them.
func (s *Server) AddPullFiles(owner, repo string, pr int, files ...PullFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	s.ensurePullLocked(r, pr)
	r.pullFiles[pr] = append(r.pullFiles[pr], files...)
}

// FakeSHA is a stable 40-character hex SHA derived from name, for seeding.
func FakeSHA(name string) string {
	sum := sha1.Sum([]byte(name))
	return hex.EncodeToString(sum[:])
}

func (s *Server) pullJSON(r *repoState, pr *PullRequest) map[string]any {
	created := time.Unix(1700000000, 0).Add(time.Duration(pr.Number) * time.Hour)
	ref := func(name, sha string) map[string]any {
		return map[string]any{
			"label": r.owner + ":" + name, "ref": name, "sha": sha,
			"user": s.userJSON(r.owner), "repo": s.repoJSON(r),
		}
	}
	var mergedAt, mergeSHA any
	if pr.Merged {
		mergedAt, mergeSHA = ts(pr.MergedAt), pr.MergeCommitSHA
	}
	return map[string]any{
		"merged_at":        mergedAt,
		"merge_commit_sha": mergeSHA,
		"id":               int64(pr.Number) + r.id*100000,
		"node_id":          fmt.Sprintf("PR_%d", pr.Number),
		"number":           pr.Number,
		"state":            pr.State,
		"title":            pr.Title,
		"draft":            pr.Draft,
		"merged":           pr.Merged,
		"user":             s.userJSON(pr.Author),
		"url":              fmt.Sprintf("%s/pulls/%d", s.repoAPI(r), pr.Number),
		"html_url":         fmt.Sprintf("%s/pull/%d", s.repoWeb(r), pr.Number),
		"issue_url":        fmt.Sprintf("%s/issues/%d", s.repoAPI(r), pr.Number),
		"comments_url":     fmt.Sprintf("%s/issues/%d/comments", s.repoAPI(r), pr.Number),
		"head":             ref(pr.HeadRef, pr.HeadSHA),
		"base":             ref(pr.BaseRef, pr.BaseSHA),
		"changed_files":    len(r.pullFiles[pr.Number]),
		"created_at":       ts(created),
		"updated_at":       ts(created),
	}
}

// GET /repos/{owner}/{repo}/pulls/{number}
func (s *Server) getPull(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.pulls[int(n)] == nil {
		writeNotFound(w, docsPulls)
		return
	}
	writeJSON(w, http.StatusOK, s.pullJSON(r, r.pulls[int(n)]))
}

// GET /repos/{owner}/{repo}/commits/{sha}/pulls
func (s *Server) listCommitPulls(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsPulls)
		return
	}
	sha := p["sha"]
	seen := map[int]bool{}
	var list []*PullRequest
	for _, n := range r.commitPulls[sha] {
		if !seen[n] {
			seen[n] = true
			list = append(list, r.pulls[n])
		}
	}
	for _, n := range slices.Sorted(maps.Keys(r.pulls)) {
		if pr := r.pulls[n]; pr.HeadSHA == sha && !seen[n] {
			seen[n] = true
			list = append(list, pr)
		}
	}
	out := []map[string]any{}
	for _, pr := range paginate(w, req, list) {
		out = append(out, s.pullJSON(r, pr))
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /repos/{owner}/{repo}/pulls/{number}/files
func (s *Server) listPullFiles(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.pulls[int(n)] == nil {
		writeNotFound(w, docsPulls)
		return
	}
	files := r.pullFiles[int(n)]
	if len(files) > maxPullFiles {
		files = files[:maxPullFiles]
	}
	out := []map[string]any{}
	for _, f := range paginate(w, req, files) {
		status := f.Status
		if status == "" {
			status = "modified"
			if f.PreviousFilename != "" {
				status = "renamed"
			}
		}
		sha := FakeSHA(f.Filename)
		m := map[string]any{
			"sha":          sha,
			"filename":     f.Filename,
			"status":       status,
			"additions":    f.Additions,
			"deletions":    f.Deletions,
			"changes":      f.Additions + f.Deletions,
			"blob_url":     fmt.Sprintf("%s/blob/%s/%s", s.repoWeb(r), sha, f.Filename),
			"raw_url":      fmt.Sprintf("%s/raw/%s/%s", s.repoWeb(r), sha, f.Filename),
			"contents_url": fmt.Sprintf("%s/contents/%s?ref=%s", s.repoAPI(r), f.Filename, sha),
		}
		if f.PreviousFilename != "" {
			m["previous_filename"] = f.PreviousFilename
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}
