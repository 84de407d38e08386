package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	docsIssues      = "https://docs.github.com/rest/issues/issues"
	docsCreateIssue = "https://docs.github.com/rest/issues/issues#create-an-issue"
	docsUpdateIssue = "https://docs.github.com/rest/issues/issues#update-an-issue"
	docsLabels      = "https://docs.github.com/rest/issues/labels"
)

// Issue is a plain issue (not a pull request) as the server stores it. Its
// labels are kept with the pull requests' (see [Server.Labels]).
type Issue struct {
	Number      int
	Title, Body string
	// State is "open" or "closed"; StateReason GitHub's state_reason.
	State, StateReason string
	User               string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	ClosedAt           time.Time
}

// SeedIssue adds a plain issue by user (the server's user when "") with
// labels (added to the repository's labels when unknown) and returns its
// number. An empty state means "open".
func (s *Server) SeedIssue(owner, repo string, is Issue, labels ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	for _, l := range labels {
		s.putRepoLabelLocked(r, l)
	}
	if is.User == "" {
		is.User = s.cfg.user
	}
	if is.State == "" {
		is.State = "open"
	}
	return s.addIssueLocked(r, is, labels).Number
}

// Issues returns the plain issues, by number.
func (s *Server) Issues(owner, repo string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	var out []Issue
	for _, is := range r.issues {
		if is.plain != nil {
			out = append(out, *is.plain)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// RepoLabels returns the repository's label names, sorted.
func (s *Server) RepoLabels(owner, repo string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	var out []string
	for _, name := range r.repoLabels {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (s *Server) putRepoLabelLocked(r *repoState, name string) {
	if r.repoLabels == nil {
		r.repoLabels = map[string]string{}
	}
	if _, ok := r.repoLabels[strings.ToLower(name)]; !ok {
		r.repoLabels[strings.ToLower(name)] = name
	}
}

// addIssueLocked stores is under the next free number (issues and pull
// requests share one sequence, as on GitHub).
func (s *Server) addIssueLocked(r *repoState, is Issue, labels []string) *Issue {
	n := 1
	for k := range r.issues {
		n = max(n, k+1)
	}
	now := s.now()
	is.Number = n
	if is.CreatedAt.IsZero() {
		is.CreatedAt = now
	}
	if is.UpdatedAt.IsZero() {
		is.UpdatedAt = is.CreatedAt
	}
	if is.State == "closed" && is.ClosedAt.IsZero() {
		is.ClosedAt = is.UpdatedAt
	}
	p := is
	r.issues[n] = &issueState{number: n, plain: &p}
	if len(labels) > 0 {
		if r.labels == nil {
			r.labels = map[int][]string{}
			r.labelEvents = map[int][]labelEventState{}
		}
		r.labels[n] = slices.Clone(labels)
	}
	return &p
}

func (s *Server) issueJSON(r *repoState, is *Issue) map[string]any {
	labels := []map[string]any{}
	for _, l := range r.labels[is.Number] {
		labels = append(labels, s.labelJSON(r, l))
	}
	var closedAt any
	if is.State == "closed" {
		closedAt = ts(is.ClosedAt)
	}
	var reason any
	if is.StateReason != "" {
		reason = is.StateReason
	}
	return map[string]any{
		"id":           fakeNumericID(fmt.Sprintf("issue:%s/%d", r.name, is.Number)),
		"node_id":      fmt.Sprintf("I_%d", is.Number),
		"number":       is.Number,
		"url":          fmt.Sprintf("%s/issues/%d", s.repoAPI(r), is.Number),
		"html_url":     fmt.Sprintf("%s/issues/%d", s.repoWeb(r), is.Number),
		"title":        is.Title,
		"body":         is.Body,
		"state":        is.State,
		"state_reason": reason,
		"user":         s.userJSON(is.User),
		"labels":       labels,
		"comments":     0,
		"created_at":   ts(is.CreatedAt),
		"updated_at":   ts(is.UpdatedAt),
		"closed_at":    closedAt,
	}
}

// pullIssueJSON is a pull request as GET /issues lists it: with a
// pull_request key.
func (s *Server) pullIssueJSON(r *repoState, n int) map[string]any {
	title, user, state := fmt.Sprintf("Pull request #%d", n), "octocat", "open"
	if pr := r.pulls[n]; pr != nil {
		title, user = pr.Title, pr.Author
	}
	labels := []map[string]any{}
	for _, l := range r.labels[n] {
		labels = append(labels, s.labelJSON(r, l))
	}
	return map[string]any{
		"number": n, "title": title, "state": state, "user": s.userJSON(user), "labels": labels,
		"html_url":     fmt.Sprintf("%s/pull/%d", s.repoWeb(r), n),
		"pull_request": map[string]any{"url": fmt.Sprintf("%s/pulls/%d", s.repoAPI(r), n)},
		"created_at":   ts(s.now()), "updated_at": ts(s.now()),
	}
}

func hasLabels(have []string, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			return false
		}
	}
	return true
}

// GET /repos/{owner}/{repo}/issues: state (open, closed, all; default
// open), labels (comma-separated, all must match), sort created or updated
// (default created), direction (default desc), paginated. Pull requests are
// listed too, with a pull_request key, as on GitHub.
func (s *Server) listIssues(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsIssues)
		return
	}
	q := req.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		writeValidation(w, docsIssues, fieldError{Resource: "Issue", Code: "invalid", Field: "state"})
		return
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	type entry struct {
		n       int
		created time.Time
		updated time.Time
	}
	var all []entry
	for n, is := range r.issues {
		st, created, updated := "open", s.now(), s.now()
		if is.plain != nil {
			st, created, updated = is.plain.State, is.plain.CreatedAt, is.plain.UpdatedAt
		}
		if (state != "all" && st != state) || !hasLabels(r.labels[n], want) {
			continue
		}
		all = append(all, entry{n, created, updated})
	}
	byUpdated := q.Get("sort") == "updated"
	asc := q.Get("direction") == "asc"
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i].created, all[j].created
		if byUpdated {
			a, b = all[i].updated, all[j].updated
		}
		if !a.Equal(b) {
			return a.Before(b) == asc
		}
		return (all[i].n < all[j].n) == asc
	})
	out := []map[string]any{}
	for _, e := range paginate(w, req, all) {
		if is := r.issues[e.n]; is.plain != nil {
			out = append(out, s.issueJSON(r, is.plain))
		} else {
			out = append(out, s.pullIssueJSON(r, e.n))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// validIssueText answers 422 like GitHub for a missing title or a body over
// the limit.
func validIssueText(w http.ResponseWriter, title, body *string, create bool, doc string) bool {
	switch {
	case create && (title == nil || strings.TrimSpace(*title) == ""):
		writeValidation(w, doc, fieldError{Resource: "Issue", Code: "missing_field", Field: "title"})
		return false
	case body != nil && utf8.RuneCountInString(*body) > MaxCommentLength:
		writeValidation(w, doc, fieldError{Resource: "Issue", Code: "custom", Field: "body",
			Message: fmt.Sprintf("body is too long (maximum is %d characters)", MaxCommentLength)})
		return false
	}
	return true
}

// checkLabels answers 422 for a label the repository does not have. (GitHub
// itself may create it; lockstep creates its label first, and this keeps
// the fake strict about it.)
func checkLabels(w http.ResponseWriter, r *repoState, labels []string, doc string) bool {
	for _, l := range labels {
		if _, ok := r.repoLabels[strings.ToLower(l)]; !ok {
			writeValidation(w, doc, fieldError{Resource: "Label", Code: "invalid", Field: "labels", Message: "label " + l + " does not exist"})
			return false
		}
	}
	return true
}

// POST /repos/{owner}/{repo}/issues
func (s *Server) createIssue(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsCreateIssue)
		return
	}
	var in struct {
		Title  *string  `json:"title"`
		Body   *string  `json:"body"`
		Labels []string `json:"labels"`
	}
	if !decodeBody(w, req, &in) || !validIssueText(w, in.Title, in.Body, true, docsCreateIssue) || !checkLabels(w, r, in.Labels, docsCreateIssue) {
		return
	}
	is := Issue{Title: *in.Title, State: "open", User: s.cfg.user}
	if in.Body != nil {
		is.Body = *in.Body
	}
	created := s.addIssueLocked(r, is, in.Labels)
	w.Header().Set("Location", fmt.Sprintf("%s/issues/%d", s.repoAPI(r), created.Number))
	writeJSON(w, http.StatusCreated, s.issueJSON(r, created))
}

// plainIssue looks a plain issue up by its number path parameter.
func (s *Server) plainIssue(w http.ResponseWriter, p params, doc string) (*repoState, *Issue, bool) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.issues[int(n)] == nil || r.issues[int(n)].plain == nil {
		writeNotFound(w, doc)
		return nil, nil, false
	}
	return r, r.issues[int(n)].plain, true
}

// GET /repos/{owner}/{repo}/issues/{number}
func (s *Server) getIssue(w http.ResponseWriter, _ *http.Request, p params) {
	if r, is, ok := s.plainIssue(w, p, docsIssues); ok {
		writeJSON(w, http.StatusOK, s.issueJSON(r, is))
	}
}

// PATCH /repos/{owner}/{repo}/issues/{number}: title, body, state,
// state_reason, labels.
func (s *Server) editIssue(w http.ResponseWriter, req *http.Request, p params) {
	r, is, ok := s.plainIssue(w, p, docsUpdateIssue)
	if !ok {
		return
	}
	var in struct {
		Title       *string   `json:"title"`
		Body        *string   `json:"body"`
		State       *string   `json:"state"`
		StateReason *string   `json:"state_reason"`
		Labels      *[]string `json:"labels"`
	}
	if !decodeBody(w, req, &in) || !validIssueText(w, in.Title, in.Body, false, docsUpdateIssue) {
		return
	}
	if in.Title != nil && strings.TrimSpace(*in.Title) == "" {
		writeValidation(w, docsUpdateIssue, fieldError{Resource: "Issue", Code: "missing_field", Field: "title"})
		return
	}
	if in.State != nil && *in.State != "open" && *in.State != "closed" {
		writeValidation(w, docsUpdateIssue, fieldError{Resource: "Issue", Code: "invalid", Field: "state"})
		return
	}
	if in.Labels != nil && !checkLabels(w, r, *in.Labels, docsUpdateIssue) {
		return
	}
	now := s.now()
	if in.Title != nil {
		is.Title = *in.Title
	}
	if in.Body != nil {
		is.Body = *in.Body
	}
	if in.State != nil && *in.State != is.State {
		is.State = *in.State
		is.StateReason = ""
		if is.State == "closed" {
			is.ClosedAt = now
			is.StateReason = "completed"
		} else {
			is.StateReason = "reopened"
		}
	}
	if in.StateReason != nil && is.State == "closed" {
		is.StateReason = *in.StateReason
	}
	if in.Labels != nil {
		if r.labels == nil {
			r.labels = map[int][]string{}
			r.labelEvents = map[int][]labelEventState{}
		}
		r.labels[is.Number] = slices.Clone(*in.Labels)
	}
	is.UpdatedAt = now
	writeJSON(w, http.StatusOK, s.issueJSON(r, is))
}

// GET /repos/{owner}/{repo}/labels/{name}
func (s *Server) getRepoLabel(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	name, err := url.PathUnescape(p["name"])
	if r == nil || err != nil {
		writeNotFound(w, docsLabels)
		return
	}
	stored, ok := r.repoLabels[strings.ToLower(name)]
	if !ok {
		writeNotFound(w, docsLabels)
		return
	}
	writeJSON(w, http.StatusOK, s.labelJSON(r, stored))
}

// POST /repos/{owner}/{repo}/labels
func (s *Server) createRepoLabel(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsLabels)
		return
	}
	var in struct {
		Name  *string `json:"name"`
		Color string  `json:"color"`
	}
	if !decodeBody(w, req, &in) {
		return
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		writeValidation(w, docsLabels, fieldError{Resource: "Label", Code: "missing_field", Field: "name"})
		return
	}
	if _, ok := r.repoLabels[strings.ToLower(*in.Name)]; ok {
		writeValidation(w, docsLabels, fieldError{Resource: "Label", Code: "already_exists", Field: "name"})
		return
	}
	s.putRepoLabelLocked(r, *in.Name)
	writeJSON(w, http.StatusCreated, s.labelJSON(r, *in.Name))
}
