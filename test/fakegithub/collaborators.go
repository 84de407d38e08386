package fakegithub

import (
	"net/http"
	"strings"
)

const docsCollaborators = "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user"

// SetPermission gives login a permission on the repository, as GET
// /repos/{owner}/{repo}/collaborators/{username}/permission answers it: one
// of admin, maintain, write, triage or read (the role_name). Like GitHub,
// the answer's permission field reports maintain as "write" and triage as
// "read". A login never set gets 404.
func (s *Server) SetPermission(owner, repo, login, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	if r.permissions == nil {
		r.permissions = map[string]string{}
	}
	r.permissions[strings.ToLower(login)] = permission
}

// GET /repos/{owner}/{repo}/collaborators/{username}/permission
func (s *Server) getPermission(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	login := p["username"]
	role, ok := "", false
	if r != nil {
		role, ok = r.permissions[strings.ToLower(login)]
	}
	if !ok {
		writeNotFound(w, docsCollaborators)
		return
	}
	base := role
	switch role {
	case "maintain":
		base = "write"
	case "triage":
		base = "read"
	}
	user := s.userJSON(login)
	user["permissions"] = map[string]bool{
		"admin":    role == "admin",
		"maintain": role == "admin" || role == "maintain",
		"push":     base == "admin" || base == "write",
		"triage":   base == "admin" || base == "write" || role == "triage",
		"pull":     true,
	}
	user["role_name"] = role
	writeJSON(w, http.StatusOK, map[string]any{"permission": base, "role_name": role, "user": user})
}
