package fakegithub

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

const (
	docsDispatch     = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"
	docsWorkflowRuns = "https://docs.github.com/rest/actions/workflow-runs"
	// maxDispatchInputs is how many inputs a workflow_dispatch accepts.
	maxDispatchInputs = 25
)

// Workflow configures what dispatching a workflow file does.
type Workflow struct {
	// Name is the workflow's name: the run's name when RunName is "" (default
	// the file name).
	Name string
	// RunName is the workflow's run-name template; "${{ inputs.x }}" and
	// "${{ github.event.inputs.x }}" are replaced by the dispatch's inputs.
	// The rendered text is the run's name and display_title.
	RunName string
	// Conclusion is the run's conclusion once completed (default "success").
	Conclusion string
	// ConclusionFor, when set, decides a run's conclusion from its
	// dispatch's inputs instead (e.g. fail version "bad", pass the rollback);
	// "" falls back to Conclusion. It runs with the server locked: it must
	// not call the Server.
	ConclusionFor func(inputs map[string]any) string
	// Polls is how many observations of a run (GET of the run, or the run
	// appearing in a list) it takes to complete: the first observation sees
	// "queued", later ones "in_progress", the Polls-th "completed". 0 means 3.
	Polls int
	// HiddenFor is how many run-list requests after the dispatch do not show
	// the run yet, as GitHub takes a moment to create it.
	HiddenFor int
	// NoRun accepts dispatches (204) but never creates a run.
	NoRun bool
	// Inputs are the inputs the workflow declares under
	// on.workflow_dispatch.inputs: a dispatch with any other input, or
	// without a required one, gets GitHub's 422 (dispatch.go). A workflow
	// that declares none accepts none. ReadWorkflow fills them from a file.
	Inputs map[string]WorkflowInput
	// NotDispatchable is a workflow without a workflow_dispatch trigger:
	// every dispatch gets 422.
	NotDispatchable bool
}

// Dispatch is a recorded workflow_dispatch.
type Dispatch struct {
	Workflow string
	Ref      string
	Inputs   map[string]any
	// RunID is the run created for it, 0 when none was.
	RunID int64
	At    time.Time
}

// WorkflowRun is a run as the server stores it.
type WorkflowRun struct {
	ID           int64
	Workflow     string
	Name         string
	DisplayTitle string
	Status       string
	Conclusion   string
	HeadBranch   string
	HeadSHA      string
	Event        string
	RunNumber    int
	CreatedAt    time.Time
	// Observations counts how often a client has seen the run.
	Observations int
}

type workflowState struct {
	id   int64
	file string
	cfg  Workflow
	runs int // run numbers handed out
}

type runState struct {
	WorkflowRun
	wf         *workflowState
	conclusion string // once completed
	hidden     int    // list requests that still do not show it
}

// SetWorkflow makes a workflow file known (dispatches to unknown files get
// 404, as GitHub answers when the file is not on the default branch).
func (s *Server) SetWorkflow(owner, repo, file string, wf Workflow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	if wf.Name == "" {
		wf.Name = file
	}
	if wf.Conclusion == "" {
		wf.Conclusion = "success"
	}
	if wf.Polls <= 0 {
		wf.Polls = 3
	}
	if ws, ok := r.workflows[file]; ok {
		ws.cfg = wf
		return
	}
	r.workflows[file] = &workflowState{id: s.newID(), file: file, cfg: wf}
}

// Dispatches returns the repository's recorded dispatches, oldest first.
func (s *Server) Dispatches(owner, repo string) []Dispatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	return slices.Clone(r.dispatches)
}

// Runs returns the repository's workflow runs, oldest first.
func (s *Server) Runs(owner, repo string) []WorkflowRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	out := make([]WorkflowRun, 0, len(r.runs))
	for _, run := range r.runs {
		out = append(out, run.WorkflowRun)
	}
	return out
}

var templateExpr = regexp.MustCompile(`\$\{\{\s*(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)\s*\}\}`)

// renderRunName substitutes inputs into a run-name template; unknown inputs
// render empty, as in GitHub expressions.
func renderRunName(tmpl string, inputs map[string]any) string {
	return templateExpr.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := templateExpr.FindStringSubmatch(m)[1]
		if v, ok := inputs[name]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	})
}

// observe advances a run's status as a client sees it.
func (run *runState) observe() {
	run.Observations++
	switch {
	case run.Observations >= run.wf.cfg.Polls:
		run.Status, run.Conclusion = "completed", run.conclusion
	case run.Observations > 1:
		run.Status = "in_progress"
	}
}

func (s *Server) runJSON(r *repoState, run *runState) map[string]any {
	u := fmt.Sprintf("%s/actions/runs/%d", s.repoAPI(r), run.ID)
	var conclusion any
	if run.Status == "completed" {
		conclusion = run.Conclusion
	}
	return map[string]any{
		"id":             run.ID,
		"node_id":        fmt.Sprintf("WFR_%d", run.ID),
		"name":           run.Name,
		"display_title":  run.DisplayTitle,
		"path":           ".github/workflows/" + run.Workflow,
		"head_branch":    run.HeadBranch,
		"head_sha":       run.HeadSHA,
		"run_number":     run.RunNumber,
		"run_attempt":    1,
		"event":          run.Event,
		"status":         run.Status,
		"conclusion":     conclusion,
		"workflow_id":    run.wf.id,
		"url":            u,
		"html_url":       fmt.Sprintf("%s/actions/runs/%d", s.repoWeb(r), run.ID),
		"jobs_url":       u + "/jobs",
		"logs_url":       u + "/logs",
		"cancel_url":     u + "/cancel",
		"rerun_url":      u + "/rerun",
		"workflow_url":   fmt.Sprintf("%s/actions/workflows/%d", s.repoAPI(r), run.wf.id),
		"created_at":     ts(run.CreatedAt),
		"updated_at":     ts(run.CreatedAt),
		"run_started_at": ts(run.CreatedAt),
		"actor":          s.userJSON(s.cfg.user),
		"repository":     s.repoJSON(r),
	}
}

// POST /repos/{owner}/{repo}/actions/workflows/{file}/dispatches
func (s *Server) dispatchWorkflow(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil || r.workflows[p["file"]] == nil {
		writeNotFound(w, docsDispatch)
		return
	}
	wf := r.workflows[p["file"]]
	var in struct {
		Ref    string         `json:"ref"`
		Inputs map[string]any `json:"inputs"`
	}
	if !decodeBody(w, req, &in) {
		return
	}
	if in.Ref == "" {
		writeValidation(w, docsDispatch, fieldError{Resource: "WorkflowDispatch", Code: "missing_field", Field: "ref"})
		return
	}
	if len(in.Inputs) > maxDispatchInputs {
		writeError(w, http.StatusUnprocessableEntity,
			fmt.Sprintf("you may only define up to %d `inputs` for a `workflow_dispatch` event", maxDispatchInputs), docsDispatch)
		return
	}
	if !s.validDispatch(w, r, wf, in.Ref, in.Inputs) {
		return
	}
	d := Dispatch{Workflow: wf.file, Ref: in.Ref, Inputs: in.Inputs, At: s.now()}
	if !wf.cfg.NoRun {
		wf.runs++
		name := wf.cfg.Name
		if wf.cfg.RunName != "" {
			name = renderRunName(wf.cfg.RunName, withDefaults(wf, in.Inputs))
		}
		branch := strings.TrimPrefix(strings.TrimPrefix(in.Ref, "refs/heads/"), "refs/tags/")
		sha, ok := r.refs[in.Ref]
		if !ok {
			sha = FakeSHA(branch)
		}
		run := &runState{
			WorkflowRun: WorkflowRun{
				ID: s.newID(), Workflow: wf.file, Name: name, DisplayTitle: name,
				Status: "queued", HeadBranch: branch, HeadSHA: sha, Event: "workflow_dispatch",
				RunNumber: wf.runs, CreatedAt: s.now(),
			},
			wf: wf, hidden: wf.cfg.HiddenFor, conclusion: wf.cfg.Conclusion,
		}
		if wf.cfg.ConclusionFor != nil {
			if c := wf.cfg.ConclusionFor(withDefaults(wf, in.Inputs)); c != "" {
				run.conclusion = c
			}
		}
		r.runs = append(r.runs, run)
		d.RunID = run.ID
	}
	r.dispatches = append(r.dispatches, d)
	w.WriteHeader(http.StatusNoContent)
}

// GET /repos/{owner}/{repo}/actions/workflows/{file}/runs, newest first.
// Filters: branch, event, status (a status or a conclusion), head_sha,
// created (">=T", ">T", "<=T", "<T", "A..B", or a date/time).
func (s *Server) listWorkflowRuns(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil || r.workflows[p["file"]] == nil {
		writeNotFound(w, docsWorkflowRuns)
		return
	}
	q := req.URL.Query()
	created, ok := parseCreatedFilter(q.Get("created"))
	if !ok {
		writeValidation(w, docsWorkflowRuns, fieldError{Resource: "WorkflowRun", Code: "invalid", Field: "created"})
		return
	}
	var list []*runState
	for _, run := range slices.Backward(r.runs) {
		if run.Workflow != p["file"] {
			continue
		}
		if run.hidden > 0 {
			run.hidden--
			continue
		}
		if f := q.Get("branch"); f != "" && f != run.HeadBranch {
			continue
		}
		if f := q.Get("event"); f != "" && f != run.Event {
			continue
		}
		if f := q.Get("head_sha"); f != "" && f != run.HeadSHA {
			continue
		}
		if !created(run.CreatedAt) {
			continue
		}
		if f := q.Get("status"); f != "" && f != run.Status && !(run.Status == "completed" && f == run.Conclusion) {
			continue
		}
		list = append(list, run)
	}
	page := paginate(w, req, list)
	out := []map[string]any{}
	for _, run := range page {
		run.observe()
		out = append(out, s.runJSON(r, run))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "workflow_runs": out})
}

// GET /repos/{owner}/{repo}/actions/runs/{id}
func (s *Server) getWorkflowRun(w http.ResponseWriter, _ *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	id, ok := intParam(p, "id")
	if r != nil && ok {
		for _, run := range r.runs {
			if run.ID == id {
				run.observe()
				writeJSON(w, http.StatusOK, s.runJSON(r, run))
				return
			}
		}
	}
	writeNotFound(w, docsWorkflowRuns)
}

// parseCreatedFilter parses GitHub's search date syntax for the created
// filter; the empty filter matches everything.
func parseCreatedFilter(f string) (func(time.Time) bool, bool) {
	if f == "" {
		return func(time.Time) bool { return true }, true
	}
	parse := func(v string) (time.Time, bool) {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if v, ok := strings.CutPrefix(f, op); ok {
			t, ok := parse(v)
			if !ok {
				return nil, false
			}
			return func(c time.Time) bool {
				switch op {
				case ">=":
					return !c.Before(t)
				case "<=":
					return !c.After(t)
				case ">":
					return c.After(t)
				default:
					return c.Before(t)
				}
			}, true
		}
	}
	if a, b, ok := strings.Cut(f, ".."); ok {
		ta, okA := parse(a)
		tb, okB := parse(b)
		if !okA || !okB {
			return nil, false
		}
		return func(c time.Time) bool { return !c.Before(ta) && !c.After(tb) }, true
	}
	t, ok := parse(f)
	if !ok {
		return nil, false
	}
	if len(f) == len("2006-01-02") {
		return func(c time.Time) bool { return !c.Before(t) && c.Before(t.Add(24*time.Hour)) }, true
	}
	return func(c time.Time) bool { return c.Equal(t) }, true
}
