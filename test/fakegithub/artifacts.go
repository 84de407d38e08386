package fakegithub

import (
	"net/http"
	"strconv"
	"time"
)

const docsArtifacts = "https://docs.github.com/rest/actions/artifacts"

// artifactRetention is how long a seeded artifact lives (the workflow's
// retention-days: 1).
const artifactRetention = 24 * time.Hour

// Artifact is a workflow run's artifact as the server stores it.
type Artifact struct {
	ID          int64
	Name        string
	SizeInBytes int64
	// RunID is the workflow run that uploaded it. The run itself need not be
	// known to the server.
	RunID     int64
	Expired   bool
	CreatedAt time.Time
}

// AddArtifact records an artifact uploaded by run runID and returns it.
func (s *Server) AddArtifact(owner, repo string, runID int64, name string, size int64) Artifact {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	a := &Artifact{ID: s.newID(), Name: name, SizeInBytes: size, RunID: runID, CreatedAt: s.now()}
	r.artifacts = append(r.artifacts, a)
	return *a
}

// Artifacts returns the repository's artifacts that were not deleted, in
// upload order.
func (s *Server) Artifacts(owner, repo string) []Artifact {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	out := make([]Artifact, 0, len(r.artifacts))
	for _, a := range r.artifacts {
		out = append(out, *a)
	}
	return out
}

// listRunArtifacts answers GET /repos/{o}/{r}/actions/runs/{id}/artifacts:
// {"total_count": n, "artifacts": [...]}, paginated, optionally filtered by
// exact name (?name=), newest first as GitHub lists them.
func (s *Server) listRunArtifacts(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	id, ok := intParam(p, "id")
	if r == nil || !ok {
		writeNotFound(w, docsArtifacts)
		return
	}
	name := req.URL.Query().Get("name")
	var matched []*Artifact
	for i := len(r.artifacts) - 1; i >= 0; i-- {
		a := r.artifacts[i]
		if a.RunID == id && (name == "" || a.Name == name) {
			matched = append(matched, a)
		}
	}
	page := paginate(w, req, matched)
	items := make([]map[string]any, 0, len(page))
	for _, a := range page {
		items = append(items, s.artifactJSON(r, a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(matched), "artifacts": items})
}

// deleteArtifact answers DELETE /repos/{o}/{r}/actions/artifacts/{id}: 204,
// or 404 for an artifact the repository does not have (any more).
func (s *Server) deleteArtifact(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	id, ok := intParam(p, "id")
	if r != nil && ok {
		for i, a := range r.artifacts {
			if a.ID == id {
				r.artifacts = append(r.artifacts[:i], r.artifacts[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
	}
	writeNotFound(w, docsArtifacts)
}

func (s *Server) artifactJSON(r *repoState, a *Artifact) map[string]any {
	base := s.apiBase() + "/repos/" + r.owner + "/" + r.name + "/actions/artifacts/" + strconv.FormatInt(a.ID, 10)
	return map[string]any{
		"id":                   a.ID,
		"node_id":              "MDg6QXJ0aWZhY3Q" + strconv.FormatInt(a.ID, 10),
		"name":                 a.Name,
		"size_in_bytes":        a.SizeInBytes,
		"url":                  base,
		"archive_download_url": base + "/zip",
		"expired":              a.Expired,
		"created_at":           ts(a.CreatedAt),
		"updated_at":           ts(a.CreatedAt),
		"expires_at":           ts(a.CreatedAt.Add(artifactRetention)),
		"workflow_run": map[string]any{
			"id":            a.RunID,
			"repository_id": r.id,
		},
	}
}
