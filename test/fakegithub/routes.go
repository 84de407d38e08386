package fakegithub

// registerRoutes wires every endpoint. Order matters where a literal segment
// competes with a wildcard (see [Server.handle]).
func (s *Server) registerRoutes() {
	const repo = "/repos/{owner}/{repo}"

	// Issues: comments (issues.go). issues/comments/{id} before issues/{number}/comments.
	s.handle("GET", repo+"/issues/comments/{id}", s.getComment)
	s.handle("PATCH", repo+"/issues/comments/{id}", s.editComment)
	s.handle("DELETE", repo+"/issues/comments/{id}", s.deleteComment)
	s.handle("GET", repo+"/issues/{number}/comments", s.listComments)
	s.handle("POST", repo+"/issues/{number}/comments", s.createComment)

	// Issues and repository labels (driftissues.go).
	s.handle("GET", repo+"/issues", s.listIssues)
	s.handle("POST", repo+"/issues", s.createIssue)
	s.handle("GET", repo+"/issues/{number}", s.getIssue)
	s.handle("PATCH", repo+"/issues/{number}", s.editIssue)
	s.handle("GET", repo+"/labels/{name}", s.getRepoLabel)
	s.handle("POST", repo+"/labels", s.createRepoLabel)

	// Issues: labels and timeline (labels.go).
	s.handle("GET", repo+"/issues/{number}/labels", s.listIssueLabels)
	s.handle("GET", repo+"/issues/{number}/timeline", s.listTimeline)

	// Collaborators (collaborators.go).
	s.handle("GET", repo+"/collaborators/{username}/permission", s.getPermission)

	// Users (users.go).
	s.handle("GET", "/user", s.getAuthenticatedUser)

	// Pulls (pulls.go).
	s.handle("GET", repo+"/pulls/{number}", s.getPull)
	s.handle("GET", repo+"/pulls/{number}/files", s.listPullFiles)
	s.handle("GET", repo+"/commits/{sha}/pulls", s.listCommitPulls)

	// Commit graph and merge queue (mergequeue.go).
	s.handle("GET", repo+"/compare/{basehead}", s.compareCommits)
	s.handle("GET", repo+"/pulls/{number}/commits", s.listPullCommits)

	// Reviews and team memberships (reviews.go); permissions are in collaborators.go.
	s.handle("GET", repo+"/pulls/{number}/reviews", s.listReviews)
	s.handle("GET", "/orgs/{org}/teams/{team}/memberships/{username}", s.getTeamMembership)
	s.handle("GET", "/orgs/{org}/teams/{team}", s.getTeam) // teams.go

	// Environments (environments.go).
	s.handle("GET", repo+"/environments/{name}", s.getEnvironment)
	s.handle("GET", repo+"/environments/{name}/deployment-branch-policies", s.listBranchPolicies)

	// Repository and branches (approvals.go).
	s.handle("GET", repo, s.getRepo)
	s.handle("GET", repo+"/branches/{branch}", s.getBranch)

	// Deployments (deployments.go).
	s.handle("POST", repo+"/deployments", s.createDeployment)
	s.handle("GET", repo+"/deployments", s.listDeployments)
	s.handle("GET", repo+"/deployments/{id}", s.getDeployment)
	s.handle("POST", repo+"/deployments/{id}/statuses", s.createDeploymentStatus)
	s.handle("GET", repo+"/deployments/{id}/statuses", s.listDeploymentStatuses)

	// Actions (actions.go).
	s.handle("POST", repo+"/actions/workflows/{file}/dispatches", s.dispatchWorkflow)
	s.handle("GET", repo+"/actions/workflows/{file}/runs", s.listWorkflowRuns)
	s.handle("GET", repo+"/actions/runs/{id}", s.getWorkflowRun)
	s.handle("GET", repo+"/actions/runs/{id}/approvals", s.listRunApprovals)

	// Artifacts (artifacts.go).
	s.handle("GET", repo+"/actions/runs/{id}/artifacts", s.listRunArtifacts)
	s.handle("DELETE", repo+"/actions/artifacts/{id}", s.deleteArtifact)
}
