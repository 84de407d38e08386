package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

const docsTeams = "https://docs.github.com/rest/teams/teams#get-a-team-by-name"

// teamReaders are, per server, the tokens that may read teams once
// RestrictTeamReads was called; kept beside Server so that this file holds
// the whole rule.
var teamReaders sync.Map // *Server -> map[string]bool

// RestrictTeamReads makes the team endpoints (GET /orgs/{org}/teams/{team}
// and its memberships) answer only requests authenticated with one of
// tokens, and 403 "Resource not accessible by integration" to any other, as
// GitHub answers a workflow's GITHUB_TOKEN, which can never read an
// organization's teams. Unrestricted, any request may read them.
func (s *Server) RestrictTeamReads(tokens ...string) {
	allowed := map[string]bool{}
	for _, t := range tokens {
		allowed[t] = true
	}
	teamReaders.Store(s, allowed)
}

// teamReadDenied answers 403 and reports true when req may not read teams.
func (s *Server) teamReadDenied(w http.ResponseWriter, req *http.Request) bool {
	v, ok := teamReaders.Load(s)
	if !ok {
		return false
	}
	_, tok, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	if v.(map[string]bool)[tok] {
		return false
	}
	writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsTeams)
	return true
}

// GET /orgs/{org}/teams/{team}: a team exists once it has a member.
func (s *Server) getTeam(w http.ResponseWriter, req *http.Request, p params) {
	if s.teamReadDenied(w, req) {
		return
	}
	prefix := strings.ToLower(p["org"] + "/" + p["team"] + "/")
	for k := range s.teams {
		if strings.HasPrefix(k, prefix) {
			writeJSON(w, http.StatusOK, map[string]any{
				"id": 1, "slug": p["team"], "name": p["team"],
				"url":          fmt.Sprintf("%s/orgs/%s/teams/%s", s.apiBase(), p["org"], p["team"]),
				"organization": map[string]any{"login": p["org"]},
			})
			return
		}
	}
	writeNotFound(w, docsTeams)
}
