package fakegithub

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	docsIssueComments = "https://docs.github.com/rest/issues/comments"
	docsCreateComment = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	docsUpdateComment = "https://docs.github.com/rest/issues/comments#update-an-issue-comment"
)

// Comment is an issue or pull request comment as the server stores it.
type Comment struct {
	ID        int64
	Issue     int
	Body      string
	User      string
	HTMLURL   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SeedComments adds n comments by "someone-else" to issue or pull request pr
// (created as a pull request if unknown), with distinct bodies "seeded
// comment i" and increasing timestamps. It returns their IDs.
func (s *Server) SeedComments(owner, repo string, pr, n int) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	s.ensurePullLocked(r, pr)
	ids := make([]int64, 0, n)
	base := s.now().Add(-time.Duration(n) * time.Minute)
	for i := range n {
		c := s.addCommentLocked(r, pr, fmt.Sprintf("seeded comment %d", i+1), "someone-else")
		c.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		c.UpdatedAt = c.CreatedAt
		ids = append(ids, c.ID)
	}
	return ids
}

// AddComment adds one comment to issue or pull request pr (created as a
// pull request if unknown), authored by user (the server's user when ""),
// and returns its ID.
func (s *Server) AddComment(owner, repo string, pr int, user, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	s.ensurePullLocked(r, pr)
	if user == "" {
		user = s.cfg.user
	}
	return s.addCommentLocked(r, pr, body, user).ID
}

// Comments returns the comments on issue or pull request pr in creation
// order.
func (s *Server) Comments(owner, repo string, pr int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	var out []Comment
	for _, c := range r.comments {
		if c.Issue == pr {
			out = append(out, *c)
		}
	}
	return out
}

func (s *Server) addCommentLocked(r *repoState, issue int, body, user string) *Comment {
	id := s.newID()
	kind := "issues"
	if is := r.issues[issue]; is != nil && is.isPull {
		kind = "pull"
	}
	now := s.now()
	c := &Comment{
		ID: id, Issue: issue, Body: body, User: user,
		HTMLURL:   fmt.Sprintf("%s/%s/%d#issuecomment-%d", s.repoWeb(r), kind, issue, id),
		CreatedAt: now, UpdatedAt: now,
	}
	r.comments = append(r.comments, c)
	return c
}

func (s *Server) commentJSON(r *repoState, c *Comment) map[string]any {
	return map[string]any{
		"id":                 c.ID,
		"node_id":            fmt.Sprintf("IC_%d", c.ID),
		"url":                fmt.Sprintf("%s/issues/comments/%d", s.repoAPI(r), c.ID),
		"html_url":           c.HTMLURL,
		"issue_url":          fmt.Sprintf("%s/issues/%d", s.repoAPI(r), c.Issue),
		"body":               c.Body,
		"user":               s.userJSON(c.User),
		"created_at":         ts(c.CreatedAt),
		"updated_at":         ts(c.UpdatedAt),
		"author_association": "NONE",
	}
}

// validCommentBody answers 422 like GitHub for a missing or too long body.
func validCommentBody(w http.ResponseWriter, body *string, doc string) bool {
	switch {
	case body == nil || strings.TrimSpace(*body) == "":
		writeValidation(w, doc, fieldError{Resource: "IssueComment", Code: "missing_field", Field: "body"})
		return false
	case utf8.RuneCountInString(*body) > MaxCommentLength:
		writeCommentTooLong(w, doc)
		return false
	}
	return true
}

// findComment looks a comment up by its ID path parameter.
func (s *Server) findComment(w http.ResponseWriter, p params) (*repoState, *Comment, bool) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	id, ok := intParam(p, "id")
	if r == nil || !ok {
		writeNotFound(w, docsIssueComments)
		return nil, nil, false
	}
	for _, c := range r.comments {
		if c.ID == id {
			return r, c, true
		}
	}
	writeNotFound(w, docsIssueComments)
	return nil, nil, false
}

// findIssue looks an issue or pull request up by its number path parameter.
func (s *Server) findIssue(w http.ResponseWriter, p params) (*repoState, int, bool) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.issues[int(n)] == nil {
		writeNotFound(w, docsIssueComments)
		return nil, 0, false
	}
	return r, int(n), true
}

// GET /repos/{owner}/{repo}/issues/{number}/comments
func (s *Server) listComments(w http.ResponseWriter, req *http.Request, p params) {
	r, n, ok := s.findIssue(w, p)
	if !ok {
		return
	}
	var all []*Comment
	for _, c := range r.comments {
		if c.Issue == n {
			all = append(all, c)
		}
	}
	// GitHub lists in ascending ID order.
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	out := []map[string]any{}
	for _, c := range paginate(w, req, all) {
		out = append(out, s.commentJSON(r, c))
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /repos/{owner}/{repo}/issues/{number}/comments
func (s *Server) createComment(w http.ResponseWriter, req *http.Request, p params) {
	r, n, ok := s.findIssue(w, p)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, req, &in) || !validCommentBody(w, in.Body, docsCreateComment) {
		return
	}
	c := s.addCommentLocked(r, n, *in.Body, s.cfg.user)
	w.Header().Set("Location", fmt.Sprintf("%s/issues/comments/%d", s.repoAPI(r), c.ID))
	writeJSON(w, http.StatusCreated, s.commentJSON(r, c))
}

// GET /repos/{owner}/{repo}/issues/comments/{id}
func (s *Server) getComment(w http.ResponseWriter, _ *http.Request, p params) {
	if r, c, ok := s.findComment(w, p); ok {
		writeJSON(w, http.StatusOK, s.commentJSON(r, c))
	}
}

// PATCH /repos/{owner}/{repo}/issues/comments/{id}
func (s *Server) editComment(w http.ResponseWriter, req *http.Request, p params) {
	r, c, ok := s.findComment(w, p)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, req, &in) || !validCommentBody(w, in.Body, docsUpdateComment) {
		return
	}
	c.Body = *in.Body
	c.UpdatedAt = s.now()
	writeJSON(w, http.StatusOK, s.commentJSON(r, c))
}

// DELETE /repos/{owner}/{repo}/issues/comments/{id}
func (s *Server) deleteComment(w http.ResponseWriter, _ *http.Request, p params) {
	r, c, ok := s.findComment(w, p)
	if !ok {
		return
	}
	for i, x := range r.comments {
		if x == c {
			r.comments = append(r.comments[:i], r.comments[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
