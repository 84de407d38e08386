package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	docsReviews     = "https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request"
	docsMemberships = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user"
)

// Review is one pull request review as GET /repos/{o}/{r}/pulls/{n}/reviews
// lists it. State is GitHub's: APPROVED, CHANGES_REQUESTED, COMMENTED,
// DISMISSED or PENDING. A zero CommitID is the pull request's head; a zero
// SubmittedAt is the server's clock when added.
type Review struct {
	ID          int64 // assigned when added
	User        string
	State       string
	Body        string
	CommitID    string
	SubmittedAt time.Time
}

// AddReview appends a review to pull request pr (added as an open pull
// request if unknown) and returns it with its ID.
func (s *Server) AddReview(owner, repo string, pr int, rv Review) Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	s.ensurePullLocked(r, pr)
	if rv.CommitID == "" {
		rv.CommitID = r.pulls[pr].HeadSHA
	}
	if rv.SubmittedAt.IsZero() {
		rv.SubmittedAt = s.now()
	}
	rv.ID = s.newID()
	r.reviews[pr] = append(r.reviews[pr], &rv)
	return rv
}

// DismissReview turns review id of pull request pr DISMISSED, as dismissing
// an approval on GitHub does.
func (s *Server) DismissReview(owner, repo string, pr int, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rv := range s.repoLocked(owner, repo, true).reviews[pr] {
		if rv.ID == id {
			rv.State = "DISMISSED"
		}
	}
}

// AddTeamMember makes login an active member of org/team.
func (s *Server) AddTeamMember(org, team, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.teams == nil {
		s.teams = map[string]bool{}
	}
	s.teams[strings.ToLower(org+"/"+team+"/"+login)] = true
}

// GET /repos/{owner}/{repo}/pulls/{number}/reviews
func (s *Server) listReviews(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.pulls[int(n)] == nil {
		writeNotFound(w, docsReviews)
		return
	}
	out := []map[string]any{}
	for _, rv := range paginate(w, req, r.reviews[int(n)]) {
		html := fmt.Sprintf("%s/pull/%d#pullrequestreview-%d", s.repoWeb(r), n, rv.ID)
		m := map[string]any{
			"id":                 rv.ID,
			"node_id":            fmt.Sprintf("PRR_%d", rv.ID),
			"user":               s.userJSON(rv.User),
			"body":               rv.Body,
			"state":              rv.State,
			"html_url":           html,
			"pull_request_url":   fmt.Sprintf("%s/pulls/%d", s.repoAPI(r), n),
			"author_association": "COLLABORATOR",
			"commit_id":          rv.CommitID,
			"_links": map[string]any{
				"html":         map[string]any{"href": html},
				"pull_request": map[string]any{"href": fmt.Sprintf("%s/pulls/%d", s.repoAPI(r), n)},
			},
		}
		if rv.State != "PENDING" {
			m["submitted_at"] = ts(rv.SubmittedAt)
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /orgs/{org}/teams/{team}/memberships/{username}
func (s *Server) getTeamMembership(w http.ResponseWriter, req *http.Request, p params) {
	if s.teamReadDenied(w, req) {
		return
	}
	if !s.teams[strings.ToLower(p["org"]+"/"+p["team"]+"/"+p["username"])] {
		writeNotFound(w, docsMemberships)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"url":   fmt.Sprintf("%s/orgs/%s/teams/%s/memberships/%s", s.apiBase(), p["org"], p["team"], p["username"]),
		"role":  "member",
		"state": "active",
	})
}
