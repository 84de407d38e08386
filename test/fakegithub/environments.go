package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

const docsEnvironments = "https://docs.github.com/rest/deployments/environments#get-an-environment"

// Reviewer is a required reviewer of an environment.
type Reviewer struct {
	// Type is "User" or "Team"; "" means "User". GitHub always sends it, and
	// go-github fails to decode a reviewer without it.
	Type string
	// Login is the user's login or the team's slug.
	Login string
}

// Environment is a deployment environment as the server stores it.
type Environment struct {
	Name              string
	Reviewers         []Reviewer
	PreventSelfReview bool
	CanAdminsBypass   bool
	WaitTimer         int // minutes; 0 means no wait_timer rule
	// BranchPolicy is the deployment_branch_policy; nil (any ref may
	// deploy) is GitHub's default.
	BranchPolicy *DeploymentBranchPolicy
	// BranchPolicies are the custom branch and tag policies, listed only
	// while BranchPolicy.CustomBranchPolicies is set.
	BranchPolicies []BranchPolicy
}

// DeploymentBranchPolicy is an environment's deployment_branch_policy;
// GitHub requires exactly one of the two to be true.
type DeploymentBranchPolicy struct {
	ProtectedBranches    bool
	CustomBranchPolicies bool
}

// SetEnvironment adds or replaces an environment whose required reviewers
// are the given users (none: no required_reviewers rule, as GitHub omits the
// rule then). Admins may bypass, GitHub's default.
func (s *Server) SetEnvironment(owner, repo, name string, reviewers ...string) {
	env := Environment{Name: name, CanAdminsBypass: true}
	for _, login := range reviewers {
		env.Reviewers = append(env.Reviewers, Reviewer{Type: "User", Login: login})
	}
	s.PutEnvironment(owner, repo, env)
}

// PutEnvironment adds or replaces an environment.
func (s *Server) PutEnvironment(owner, repo string, env Environment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).environments[env.Name] = &env
}

func (s *Server) environmentJSON(r *repoState, env *Environment) map[string]any {
	id := fakeNumericID(r.owner + "/" + r.name + "/env/" + env.Name)
	created := time.Unix(1700000000, 0)
	rules := []map[string]any{}
	if env.WaitTimer > 0 {
		rules = append(rules, map[string]any{
			"id": id + 1, "node_id": fmt.Sprintf("GA_%d", id+1), "type": "wait_timer", "wait_timer": env.WaitTimer,
		})
	}
	if len(env.Reviewers) > 0 {
		var reviewers []map[string]any
		for _, rv := range env.Reviewers {
			typ := rv.Type
			if typ == "" {
				typ = "User"
			}
			var who map[string]any
			if typ == "Team" {
				who = map[string]any{
					"id": fakeNumericID("team/" + rv.Login), "node_id": "T_" + rv.Login,
					"name": rv.Login, "slug": rv.Login,
					"html_url": fmt.Sprintf("%s/orgs/%s/teams/%s", s.cfg.webURL, r.owner, rv.Login),
				}
			} else {
				who = s.userJSON(rv.Login)
			}
			reviewers = append(reviewers, map[string]any{"type": typ, "reviewer": who})
		}
		rules = append(rules, map[string]any{
			"id": id + 2, "node_id": fmt.Sprintf("GA_%d", id+2), "type": "required_reviewers",
			"prevent_self_review": env.PreventSelfReview, "reviewers": reviewers,
		})
	}
	var branchPolicy any
	if bp := env.BranchPolicy; bp != nil {
		branchPolicy = map[string]any{"protected_branches": bp.ProtectedBranches, "custom_branch_policies": bp.CustomBranchPolicies}
	}
	return map[string]any{
		"id":                       id,
		"node_id":                  fmt.Sprintf("EN_%d", id),
		"name":                     env.Name,
		"url":                      fmt.Sprintf("%s/environments/%s", s.repoAPI(r), url.PathEscape(env.Name)),
		"html_url":                 fmt.Sprintf("%s/deployments/activity_log?environments_filter=%s", s.repoWeb(r), url.QueryEscape(env.Name)),
		"created_at":               ts(created),
		"updated_at":               ts(created),
		"can_admins_bypass":        env.CanAdminsBypass,
		"protection_rules":         rules,
		"deployment_branch_policy": branchPolicy,
	}
}

// GET /repos/{owner}/{repo}/environments/{name}
func (s *Server) getEnvironment(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil || r.environments[p["name"]] == nil {
		writeNotFound(w, docsEnvironments)
		return
	}
	writeJSON(w, http.StatusOK, s.environmentJSON(r, r.environments[p["name"]]))
}
