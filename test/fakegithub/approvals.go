package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

const (
	docsRunApprovals   = "https://docs.github.com/rest/actions/workflow-runs#get-the-review-history-for-a-workflow-run"
	docsBranchPolicies = "https://docs.github.com/rest/deployments/branch-policies#list-deployment-branch-policies"
	docsBranches       = "https://docs.github.com/rest/branches/branches#get-a-branch"
	docsRepos          = "https://docs.github.com/rest/repos/repos#get-a-repository"
)

// Approval is one review of a workflow run's pending deployments, as
// GET /repos/{o}/{r}/actions/runs/{id}/approvals lists it.
type Approval struct {
	State        string // "approved" or "rejected"
	User         string // the reviewer's login
	Comment      string
	Environments []string // environment names the review was for
}

// SetRunApprovals replaces the review history of workflow run runID.
func (s *Server) SetRunApprovals(owner, repo string, runID int64, approvals ...Approval) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).approvals[runID] = append([]Approval(nil), approvals...)
}

// GET /repos/{owner}/{repo}/actions/runs/{id}/approvals
func (s *Server) listRunApprovals(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	id, ok := intParam(p, "id")
	if r == nil || !ok {
		writeNotFound(w, docsRunApprovals)
		return
	}
	out := []map[string]any{}
	for _, a := range r.approvals[id] {
		envs := []map[string]any{}
		for _, name := range a.Environments {
			envs = append(envs, s.environmentRefJSON(r, name))
		}
		out = append(out, map[string]any{
			"environments": envs,
			"state":        a.State,
			"user":         s.userJSON(a.User),
			"comment":      a.Comment,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// environmentRefJSON is the short environment object inside an approval.
func (s *Server) environmentRefJSON(r *repoState, name string) map[string]any {
	id := fakeNumericID(r.owner + "/" + r.name + "/env/" + name)
	created := ts(time.Unix(1700000000, 0))
	return map[string]any{
		"id": id, "node_id": fmt.Sprintf("EN_%d", id), "name": name,
		"url":        fmt.Sprintf("%s/environments/%s", s.repoAPI(r), url.PathEscape(name)),
		"html_url":   fmt.Sprintf("%s/deployments/activity_log?environments_filter=%s", s.repoWeb(r), url.QueryEscape(name)),
		"created_at": created, "updated_at": created,
	}
}

// BranchPolicy is a custom deployment branch or tag policy of an
// environment.
type BranchPolicy struct {
	Name string // the fnmatch pattern, e.g. release/*
	Type string // "branch" or "tag"; "" means "branch"
}

// GET /repos/{owner}/{repo}/environments/{name}/deployment-branch-policies
func (s *Server) listBranchPolicies(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil || r.environments[p["name"]] == nil {
		writeNotFound(w, docsBranchPolicies)
		return
	}
	env := r.environments[p["name"]]
	all := env.BranchPolicies
	if env.BranchPolicy == nil || !env.BranchPolicy.CustomBranchPolicies {
		all = nil // GitHub keeps none unless custom policies are on
	}
	page := paginate(w, req, all)
	out := []map[string]any{}
	for _, b := range page {
		typ := b.Type
		if typ == "" {
			typ = "branch"
		}
		id := fakeNumericID(r.owner + "/" + r.name + "/env/" + env.Name + "/policy/" + typ + "/" + b.Name)
		out = append(out, map[string]any{"id": id, "node_id": fmt.Sprintf("MDE2OkdhdGVCcmFuY2hQb2xpY3k%d", id), "name": b.Name, "type": typ})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(all), "branch_policies": out})
}

// SetBranchProtected makes branch name known, protected or not.
func (s *Server) SetBranchProtected(owner, repo, name string, protected bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).branches[name] = protected
}

// GET /repos/{owner}/{repo}/branches/{branch}
func (s *Server) getBranch(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsBranches)
		return
	}
	protected, ok := r.branches[p["branch"]]
	if !ok {
		writeError(w, http.StatusNotFound, "Branch not found", docsBranches)
		return
	}
	sha := r.refs[p["branch"]]
	if sha == "" {
		sha = fmt.Sprintf("%040x", fakeNumericID("branch/"+p["branch"]))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":      p["branch"],
		"commit":    map[string]any{"sha": sha, "url": s.repoAPI(r) + "/commits/" + sha},
		"protected": protected,
		"_links":    map[string]any{"self": s.repoAPI(r) + "/branches/" + url.PathEscape(p["branch"]), "html": s.repoWeb(r) + "/tree/" + p["branch"]},
	})
}

// SetDefaultBranch sets the repository's default branch ("main" until set).
func (s *Server) SetDefaultBranch(owner, repo, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).defaultBranch = name
}

// GET /repos/{owner}/{repo}
func (s *Server) getRepo(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsRepos)
		return
	}
	writeJSON(w, http.StatusOK, s.repoJSON(r))
}
