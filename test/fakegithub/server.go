package fakegithub

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultUser is the login that authors comments, deployments and statuses
// unless [WithUser] says otherwise: the identity behind a workflow's
// GITHUB_TOKEN.
const DefaultUser = "github-actions[bot]"

// DefaultRateLimit is the primary rate limit per hour unless [WithRateLimit]
// says otherwise (GitHub's limit for a token of a GitHub App installation).
const DefaultRateLimit = 5000

// Server is a fake GitHub REST API. Its zero value is not usable: create one
// with [New]. All methods are safe for concurrent use.
type Server struct {
	// URL is the root of the underlying httptest server, without the API
	// prefix and without a trailing slash, e.g. "http://127.0.0.1:41234".
	URL string

	t      testing.TB
	srv    *httptest.Server
	cfg    config
	routes []route

	mu       sync.Mutex
	nextID   int64
	repos    map[string]*repoState
	faults   []*faultState
	requests []Request
	rate     rateWindow
	teams    map[string]bool // "org/team/login" (lower case) -> active member
}

type config struct {
	prefix    string
	token     string
	user      string
	webURL    string
	now       func() time.Time
	rateLimit int
}

// Option configures a [Server].
type Option func(*config)

// WithToken makes the server require "Authorization: Bearer <token>" (or
// "token <token>") on every request, answering 401 otherwise.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithPrefix mounts the API under a path prefix, as GitHub Enterprise Server
// does with "/api/v3". Requests outside the prefix get 404.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = "/" + strings.Trim(prefix, "/") }
}

// WithUser sets the login that authors what the server creates: the owner of
// the token. GET /user answers 403 for a GitHub App's bot (a login ending in
// "[bot]", as with the default [DefaultUser]), like GitHub does for
// installation tokens, and the user object for any other login.
func WithUser(login string) Option { return func(c *config) { c.user = login } }

// WithWebURL sets the web root used in html_url values (default
// "https://github.com").
func WithWebURL(u string) Option {
	return func(c *config) { c.webURL = strings.TrimSuffix(u, "/") }
}

// WithClock sets the server's clock, used for timestamps and the rate-limit
// window. Share one clock between the server and the client under test to
// make rate-limit resets deterministic.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRateLimit sets the primary rate limit per hourly window. Once a window's
// budget is spent the server answers 403 with X-RateLimit-Remaining: 0 until
// the window resets.
func WithRateLimit(limit int) Option { return func(c *config) { c.rateLimit = limit } }

// New starts a fake GitHub server and closes it when the test ends. Faults
// registered with [Server.Fail] that never fired fail the test at cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{user: DefaultUser, webURL: "https://github.com", now: time.Now, rateLimit: DefaultRateLimit}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.prefix == "/" {
		cfg.prefix = ""
	}
	s := &Server{t: t, cfg: cfg, repos: map[string]*repoState{}}
	s.registerRoutes()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	t.Cleanup(func() {
		s.srv.Close()
		s.checkFaultsFired()
	})
	return s
}

// APIURL is the API base URL with a trailing slash, the shape go-github's
// Client.BaseURL and GITHUB_API_URL consumers want; it includes the prefix
// set by [WithPrefix].
func (s *Server) APIURL() string { return s.URL + s.cfg.prefix + "/" }

// Client is an *http.Client for the server (plain HTTP, no auth).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// apiBase is APIURL without the trailing slash, for building "url" fields.
func (s *Server) apiBase() string { return s.URL + s.cfg.prefix }

func (s *Server) now() time.Time { return s.cfg.now().UTC() }

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// statusWriter remembers the status code a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// serveHTTP is the middleware chain: log, rate-limit headers, auth, routing,
// faults, primary-limit enforcement, then the handler, all under s.mu so each
// request sees and leaves consistent state.
func (s *Server) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))

	s.mu.Lock()
	defer s.mu.Unlock()

	w := &statusWriter{ResponseWriter: rw}
	path := r.URL.EscapedPath()
	rec := Request{Method: r.Method, Query: r.URL.Query(), Body: body, Time: s.now()}
	defer func() {
		if rec.Status == 0 {
			rec.Status = w.status
		}
		s.requests = append(s.requests, rec)
	}()

	limit, remaining, reset := s.rate.spend(s.now(), s.cfg.rateLimit)
	setRateHeaders(w.Header(), limit, remaining, reset)

	rel, ok := strings.CutPrefix(path, s.cfg.prefix)
	if !ok || (rel != "" && rel[0] != '/') {
		rec.Path = path
		writeError(w, http.StatusNotFound, "Not Found", docsREST)
		return
	}
	if rel == "" {
		rel = "/"
	}
	rec.Path = rel

	if s.cfg.token != "" {
		if msg := s.checkAuth(r.Header.Get("Authorization")); msg != "" {
			writeError(w, http.StatusUnauthorized, msg, docsREST)
			return
		}
	}

	h, params := s.match(r.Method, rel)
	if f := s.takeFault(r.Method, rel); f != nil {
		rec.Fault = f.Kind
		s.applyFault(w, r, *f, h, params)
		return
	}
	if remaining < 0 {
		writePrimaryRateLimit(w, limit, reset)
		return
	}
	if h == nil {
		writeError(w, http.StatusNotFound, "Not Found", docsREST)
		return
	}
	h(w, r, params)
}

func (s *Server) checkAuth(header string) string {
	if header == "" {
		return "Requires authentication"
	}
	scheme, tok, _ := strings.Cut(header, " ")
	if (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) && tok == s.cfg.token {
		return ""
	}
	return "Bad credentials"
}

// rateWindow counts requests in GitHub's hourly primary rate-limit window.
type rateWindow struct {
	used  int
	reset time.Time
}

// spend counts one request and returns the headers' values; remaining is
// negative when the request is over the limit.
func (rw *rateWindow) spend(now time.Time, limit int) (lim, remaining int, reset time.Time) {
	if rw.reset.IsZero() || !now.Before(rw.reset) {
		rw.used = 0
		rw.reset = now.Add(time.Hour).Truncate(time.Second)
	}
	rw.used++
	return limit, limit - rw.used, rw.reset
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Time) {
	if remaining < 0 {
		remaining = 0
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(limit-remaining))
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
}

// repoState is everything the server knows about one repository.
type repoState struct {
	owner, name string
	id          int64

	issues       map[int]*issueState
	comments     []*Comment // creation order
	pulls        map[int]*PullRequest
	commitPulls  map[string][]int
	pullFiles    map[int][]PullFile
	environments map[string]*Environment
	refs         map[string]string
	deployments  []*Deployment // creation order
	statuses     map[int64][]*DeploymentStatus
	workflows    map[string]*workflowState
	runs         []*runState // creation order
	dispatches   []Dispatch
	artifacts    []*Artifact          // creation order
	approvals    map[int64][]Approval // by run ID
	branches     map[string]bool      // name -> protected
	reviews      map[int][]*Review    // by pull request, submission order
	// defaultBranch is "main" unless SetDefaultBranch changed it.
	defaultBranch string

	// Labels and their timeline events by pull request (labels.go), and
	// collaborator roles by lower-cased login (collaborators.go); nil until
	// first set.
	labels      map[int][]string
	labelEvents map[int][]labelEventState
	permissions map[string]string
	// repoLabels are the repository's labels by lower-cased name
	// (driftissues.go); nil until first set.
	repoLabels map[string]string
}

type issueState struct {
	number int
	isPull bool
	// A plain issue created through the API or SeedIssue (driftissues.go);
	// nil for pull requests and issues added with AddIssue.
	plain *Issue
}

func repoKey(owner, repo string) string { return strings.ToLower(owner + "/" + repo) }

// repoLocked returns the repository, creating it when create is set. The
// caller holds s.mu.
func (s *Server) repoLocked(owner, repo string, create bool) *repoState {
	k := repoKey(owner, repo)
	if r, ok := s.repos[k]; ok || !create {
		return r
	}
	r := &repoState{
		owner: owner, name: repo, id: s.newID(),
		issues:        map[int]*issueState{},
		pulls:         map[int]*PullRequest{},
		commitPulls:   map[string][]int{},
		pullFiles:     map[int][]PullFile{},
		environments:  map[string]*Environment{},
		refs:          map[string]string{},
		statuses:      map[int64][]*DeploymentStatus{},
		workflows:     map[string]*workflowState{},
		approvals:     map[int64][]Approval{},
		branches:      map[string]bool{},
		reviews:       map[int][]*Review{},
		defaultBranch: "main",
	}
	s.repos[k] = r
	return r
}

// AddRepo makes a repository known to the server. Seed helpers add the
// repository they touch, so this is only needed for a repository with nothing
// else in it; requests for unknown repositories get 404.
func (s *Server) AddRepo(owner, repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true)
}

// AddIssue adds issue number n (a plain issue, not a pull request) so that
// comments can be posted on it.
func (s *Server) AddIssue(owner, repo string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(owner, repo, true)
	if _, ok := r.issues[n]; !ok {
		r.issues[n] = &issueState{number: n}
	}
}

// SetRef makes a branch or tag resolve to sha when creating deployments.
// Unknown refs that are not a 40-character SHA resolve to a SHA derived from
// the ref's name.
func (s *Server) SetRef(owner, repo, ref, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(owner, repo, true).refs[ref] = sha
}

// userJSON is the "user"/"creator"/"actor" object for a login.
func (s *Server) userJSON(login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{
		"login":    login,
		"id":       fakeNumericID(login),
		"node_id":  "U_" + login,
		"type":     typ,
		"html_url": s.cfg.webURL + "/" + strings.TrimSuffix(login, "[bot]"),
		"url":      s.apiBase() + "/users/" + login,
	}
}

// fakeNumericID is a stable positive ID for a name.
func fakeNumericID(name string) int64 {
	var h int64 = 1469598103
	for _, c := range name {
		h = (h*31 + int64(c)) % 1_000_000_007
	}
	return h + 1
}

func (s *Server) repoJSON(r *repoState) map[string]any {
	return map[string]any{
		"id":             r.id,
		"name":           r.name,
		"full_name":      r.owner + "/" + r.name,
		"owner":          s.userJSON(r.owner),
		"html_url":       s.cfg.webURL + "/" + r.owner + "/" + r.name,
		"url":            s.apiBase() + "/repos/" + r.owner + "/" + r.name,
		"default_branch": r.defaultBranch,
	}
}

func (s *Server) repoAPI(r *repoState) string {
	return fmt.Sprintf("%s/repos/%s/%s", s.apiBase(), r.owner, r.name)
}

func (s *Server) repoWeb(r *repoState) string {
	return fmt.Sprintf("%s/%s/%s", s.cfg.webURL, r.owner, r.name)
}
