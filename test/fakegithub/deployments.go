package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"
)

const (
	docsDeployments      = "https://docs.github.com/rest/deployments/deployments"
	docsCreateDeployment = "https://docs.github.com/rest/deployments/deployments#create-a-deployment"
	docsDeploymentStatus = "https://docs.github.com/rest/deployments/statuses"
	docsCreateStatus     = "https://docs.github.com/rest/deployments/statuses#create-a-deployment-status"
)

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Deployment is a deployment as the server stores it, with what the client
// sent, so tests can assert e.g. that auto_merge was false.
type Deployment struct {
	ID          int64
	SHA         string
	Ref         string
	Task        string
	Environment string
	Description string
	Payload     json.RawMessage
	Creator     string
	CreatedAt   time.Time
	// As sent: nil when the client omitted the field.
	AutoMerge             *bool
	RequiredContexts      *[]string
	TransientEnvironment  *bool
	ProductionEnvironment *bool
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID             int64
	DeploymentID   int64
	State          string
	Description    string
	Environment    string
	EnvironmentURL string
	LogURL         string
	Creator        string
	CreatedAt      time.Time
}

// Deployments returns the repository's deployments, oldest first.
func (s *Server) Deployments(owner, repo string) []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	out := make([]Deployment, 0, len(r.deployments))
	for _, d := range r.deployments {
		out = append(out, *d)
	}
	return out
}

// Statuses returns a deployment's statuses, oldest first.
func (s *Server) Statuses(owner, repo string, deploymentID int64) []DeploymentStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, false)
	if r == nil {
		return nil
	}
	out := []DeploymentStatus{}
	for _, st := range r.statuses[deploymentID] {
		out = append(out, *st)
	}
	return out
}

func (s *Server) deploymentJSON(r *repoState, d *Deployment) map[string]any {
	u := fmt.Sprintf("%s/deployments/%d", s.repoAPI(r), d.ID)
	payload := d.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	return map[string]any{
		"id":                       d.ID,
		"node_id":                  fmt.Sprintf("DE_%d", d.ID),
		"url":                      u,
		"sha":                      d.SHA,
		"ref":                      d.Ref,
		"task":                     d.Task,
		"payload":                  payload,
		"original_environment":     d.Environment,
		"environment":              d.Environment,
		"description":              d.Description,
		"creator":                  s.userJSON(d.Creator),
		"created_at":               ts(d.CreatedAt),
		"updated_at":               ts(d.CreatedAt),
		"statuses_url":             u + "/statuses",
		"repository_url":           s.repoAPI(r),
		"transient_environment":    d.TransientEnvironment != nil && *d.TransientEnvironment,
		"production_environment":   isProduction(d),
		"performed_via_github_app": nil,
	}
}

func isProduction(d *Deployment) bool {
	if d.ProductionEnvironment != nil {
		return *d.ProductionEnvironment
	}
	return d.Environment == "production"
}

func (s *Server) statusJSON(r *repoState, st *DeploymentStatus) map[string]any {
	du := fmt.Sprintf("%s/deployments/%d", s.repoAPI(r), st.DeploymentID)
	return map[string]any{
		"id":              st.ID,
		"node_id":         fmt.Sprintf("DES_%d", st.ID),
		"url":             fmt.Sprintf("%s/statuses/%d", du, st.ID),
		"state":           st.State,
		"description":     st.Description,
		"environment":     st.Environment,
		"environment_url": st.EnvironmentURL,
		"log_url":         st.LogURL,
		"target_url":      st.LogURL,
		"creator":         s.userJSON(st.Creator),
		"created_at":      ts(st.CreatedAt),
		"updated_at":      ts(st.CreatedAt),
		"deployment_url":  du,
		"repository_url":  s.repoAPI(r),
	}
}

func (s *Server) findDeployment(w http.ResponseWriter, p params) (*repoState, *Deployment, bool) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	id, ok := intParam(p, "id")
	if r != nil && ok {
		for _, d := range r.deployments {
			if d.ID == id {
				return r, d, true
			}
		}
	}
	writeNotFound(w, docsDeployments)
	return nil, nil, false
}

// POST /repos/{owner}/{repo}/deployments
func (s *Server) createDeployment(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsCreateDeployment)
		return
	}
	var in struct {
		Ref                   string          `json:"ref"`
		Task                  *string         `json:"task"`
		AutoMerge             *bool           `json:"auto_merge"`
		RequiredContexts      *[]string       `json:"required_contexts"`
		Payload               json.RawMessage `json:"payload"`
		Environment           *string         `json:"environment"`
		Description           *string         `json:"description"`
		TransientEnvironment  *bool           `json:"transient_environment"`
		ProductionEnvironment *bool           `json:"production_environment"`
	}
	if !decodeBody(w, req, &in) {
		return
	}
	if in.Ref == "" {
		writeValidation(w, docsCreateDeployment, fieldError{Resource: "Deployment", Code: "missing_field", Field: "ref"})
		return
	}
	d := &Deployment{
		ID: s.newID(), Ref: in.Ref, Task: "deploy", Environment: "production",
		Payload: in.Payload, Creator: s.cfg.user, CreatedAt: s.now(),
		AutoMerge: in.AutoMerge, RequiredContexts: in.RequiredContexts,
		TransientEnvironment: in.TransientEnvironment, ProductionEnvironment: in.ProductionEnvironment,
	}
	switch sha, ok := r.refs[in.Ref]; {
	case ok:
		d.SHA = sha
	case shaRE.MatchString(in.Ref):
		d.SHA = in.Ref
	default:
		d.SHA = FakeSHA(in.Ref)
	}
	if in.Task != nil && *in.Task != "" {
		d.Task = *in.Task
	}
	if in.Environment != nil && *in.Environment != "" {
		d.Environment = *in.Environment
	}
	if in.Description != nil {
		d.Description = *in.Description
	}
	r.deployments = append(r.deployments, d)
	writeJSON(w, http.StatusCreated, s.deploymentJSON(r, d))
}

// GET /repos/{owner}/{repo}/deployments, newest first.
func (s *Server) listDeployments(w http.ResponseWriter, req *http.Request, p params) {
	r := s.repoLocked(p["owner"], p["repo"], false)
	if r == nil {
		writeNotFound(w, docsDeployments)
		return
	}
	q := req.URL.Query()
	var list []*Deployment
	for _, d := range slices.Backward(r.deployments) {
		if f := q.Get("environment"); f != "" && f != d.Environment {
			continue
		}
		if f := q.Get("sha"); f != "" && f != d.SHA {
			continue
		}
		if f := q.Get("ref"); f != "" && f != d.Ref {
			continue
		}
		if f := q.Get("task"); f != "" && f != d.Task {
			continue
		}
		list = append(list, d)
	}
	out := []map[string]any{}
	for _, d := range paginate(w, req, list) {
		out = append(out, s.deploymentJSON(r, d))
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /repos/{owner}/{repo}/deployments/{id}
func (s *Server) getDeployment(w http.ResponseWriter, _ *http.Request, p params) {
	if r, d, ok := s.findDeployment(w, p); ok {
		writeJSON(w, http.StatusOK, s.deploymentJSON(r, d))
	}
}

var deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

// POST /repos/{owner}/{repo}/deployments/{id}/statuses. A "success" status
// with auto_inactive (default true) marks the environment's earlier
// successful non-transient deployments inactive, as GitHub does.
func (s *Server) createDeploymentStatus(w http.ResponseWriter, req *http.Request, p params) {
	r, d, ok := s.findDeployment(w, p)
	if !ok {
		return
	}
	var in struct {
		State          string `json:"state"`
		Description    string `json:"description"`
		Environment    string `json:"environment"`
		EnvironmentURL string `json:"environment_url"`
		LogURL         string `json:"log_url"`
		TargetURL      string `json:"target_url"`
		AutoInactive   *bool  `json:"auto_inactive"`
	}
	if !decodeBody(w, req, &in) {
		return
	}
	if !slices.Contains(deploymentStates, in.State) {
		writeValidation(w, docsCreateStatus, fieldError{Resource: "DeploymentStatus", Code: "invalid", Field: "state"})
		return
	}
	if !validStatusDescription(w, in.Description) {
		return
	}
	if in.Environment != "" {
		d.Environment = in.Environment
	}
	if in.LogURL == "" {
		in.LogURL = in.TargetURL
	}
	st := s.addStatusLocked(r, d, in.State, in.Description, in.EnvironmentURL, in.LogURL)
	if in.State == "success" && (in.AutoInactive == nil || *in.AutoInactive) {
		for _, other := range r.deployments {
			if other == d || other.Environment != d.Environment || (other.TransientEnvironment != nil && *other.TransientEnvironment) {
				continue
			}
			if sts := r.statuses[other.ID]; len(sts) > 0 && sts[len(sts)-1].State == "success" {
				s.addStatusLocked(r, other, "inactive", "", "", "")
			}
		}
	}
	writeJSON(w, http.StatusCreated, s.statusJSON(r, st))
}

func (s *Server) addStatusLocked(r *repoState, d *Deployment, state, desc, envURL, logURL string) *DeploymentStatus {
	st := &DeploymentStatus{
		ID: s.newID(), DeploymentID: d.ID, State: state, Description: desc,
		Environment: d.Environment, EnvironmentURL: envURL, LogURL: logURL,
		Creator: s.cfg.user, CreatedAt: s.now(),
	}
	r.statuses[d.ID] = append(r.statuses[d.ID], st)
	return st
}

// GET /repos/{owner}/{repo}/deployments/{id}/statuses, newest first.
func (s *Server) listDeploymentStatuses(w http.ResponseWriter, req *http.Request, p params) {
	r, d, ok := s.findDeployment(w, p)
	if !ok {
		return
	}
	list := slices.Clone(r.statuses[d.ID])
	slices.Reverse(list)
	out := []map[string]any{}
	for _, st := range paginate(w, req, list) {
		out = append(out, s.statusJSON(r, st))
	}
	writeJSON(w, http.StatusOK, out)
}
