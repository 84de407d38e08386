package fakegithub

import (
	"net/http"
	"strings"
)

const docsGetAuthenticatedUser = "https://docs.github.com/rest/users/users#get-the-authenticated-user"

// GET /user
//
// It answers like GitHub for the server's user (see [WithUser]): a GitHub
// App's bot (a login ending in "[bot]", the default github-actions[bot]
// included) authenticates with an installation token, which may not call
// this endpoint and gets 403 "Resource not accessible by integration"; any
// other login is a user's token and gets its user object.
func (s *Server) getAuthenticatedUser(w http.ResponseWriter, _ *http.Request, _ params) {
	if strings.HasSuffix(s.cfg.user, "[bot]") {
		writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsGetAuthenticatedUser)
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(s.cfg.user))
}
