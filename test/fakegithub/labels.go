package fakegithub

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

const (
	docsIssueLabels = "https://docs.github.com/rest/issues/labels#list-labels-for-an-issue"
	docsTimeline    = "https://docs.github.com/rest/issues/timeline#list-timeline-events-for-an-issue"
)

// LabelEvent is a label added to or removed from an issue or pull request,
// as its timeline shows it.
type LabelEvent struct {
	Label string
	// Actor is who added or removed it (a login ending in "[bot]" is a
	// Bot).
	Actor string
	// Removed makes it an "unlabeled" event; otherwise "labeled".
	Removed bool
	// At is when; the zero time means the server's clock now.
	At time.Time
}

type labelEventState struct {
	LabelEvent
	id int64
}

// AddLabelEvent adds or removes a label on pull request pr (added as an open
// pull request if unknown) and records it on the issue's timeline.
func (s *Server) AddLabelEvent(owner, repo string, pr int, ev LabelEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	s.ensurePullLocked(r, pr)
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	ev.At = ev.At.UTC()
	if r.labelEvents == nil {
		r.labelEvents = map[int][]labelEventState{}
		r.labels = map[int][]string{}
	}
	r.labelEvents[pr] = append(r.labelEvents[pr], labelEventState{LabelEvent: ev, id: s.newID()})
	have := slices.IndexFunc(r.labels[pr], func(l string) bool { return strings.EqualFold(l, ev.Label) })
	switch {
	case ev.Removed && have >= 0:
		r.labels[pr] = slices.Delete(r.labels[pr], have, have+1)
	case !ev.Removed && have < 0:
		r.labels[pr] = append(r.labels[pr], ev.Label)
	}
}

// Labels returns the labels on pull request pr.
func (s *Server) Labels(owner, repo string, pr int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	return slices.Clone(r.labels[pr])
}

func (s *Server) labelJSON(r *repoState, name string) map[string]any {
	return map[string]any{
		"id":          fakeNumericID("label:" + name),
		"node_id":     "LA_" + name,
		"url":         fmt.Sprintf("%s/labels/%s", s.repoAPI(r), name),
		"name":        name,
		"description": nil,
		"color":       "d73a4a",
		"default":     false,
	}
}

// GET /repos/{owner}/{repo}/issues/{number}/labels
func (s *Server) listIssueLabels(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.issues[int(n)] == nil {
		writeNotFound(w, docsIssueLabels)
		return
	}
	out := []map[string]any{}
	for _, l := range paginate(w, req, r.labels[int(n)]) {
		out = append(out, s.labelJSON(r, l))
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /repos/{owner}/{repo}/issues/{number}/timeline: the label events and
// the comments ("commented", whose author is "actor" and "user"), oldest
// first.
func (s *Server) listTimeline(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	n, ok := intParam(p, "number")
	if r == nil || !ok || r.issues[int(n)] == nil {
		writeNotFound(w, docsTimeline)
		return
	}
	type item struct {
		at   time.Time
		id   int64
		json map[string]any
	}
	var items []item
	for _, ev := range r.labelEvents[int(n)] {
		kind := "labeled"
		if ev.Removed {
			kind = "unlabeled"
		}
		items = append(items, item{at: ev.At, id: ev.id, json: map[string]any{
			"id":                       ev.id,
			"node_id":                  fmt.Sprintf("LE_%d", ev.id),
			"url":                      fmt.Sprintf("%s/issues/events/%d", s.repoAPI(r), ev.id),
			"actor":                    s.userJSON(ev.Actor),
			"event":                    kind,
			"commit_id":                nil,
			"commit_url":               nil,
			"created_at":               ts(ev.At),
			"label":                    map[string]any{"name": ev.Label, "color": "d73a4a"},
			"performed_via_github_app": nil,
		}})
	}
	for _, c := range r.comments {
		if c.Issue != int(n) {
			continue
		}
		j := s.commentJSON(r, c)
		j["event"] = "commented"
		j["actor"] = s.userJSON(c.User)
		items = append(items, item{at: c.CreatedAt, id: c.ID, json: j})
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].at.Equal(items[j].at) {
			return items[i].at.Before(items[j].at)
		}
		return items[i].id < items[j].id
	})
	out := []map[string]any{}
	for _, it := range paginate(w, req, items) {
		out = append(out, it.json)
	}
	writeJSON(w, http.StatusOK, out)
}
