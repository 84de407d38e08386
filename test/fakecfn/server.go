package fakecfn

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// Test credentials: any signed request is accepted, whatever the key.
const (
	AccessKeyID     = "AKIAFAKECFN000000000"
	SecretAccessKey = "fakecfn-secret-access-key"
)

// DefaultPageSize is how many items a paginated answer holds unless
// [Server.SetPageSize] says otherwise.
const DefaultPageSize = 100

// Server is a fake CloudFormation API. Create it with [New]; all methods
// are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	stacks      map[string]*stack // by name: the live stack of that name
	stacksByID  map[string]*stack
	changeSets  map[string]*changeSet // by ID (ARN)
	drifts      map[string]*driftRun
	calls       []Call
	throttles   map[string]int
	unavailable int
	drops       int
	dropsAfter  map[string]int    // action -> answers to drop after doing the work
	failures    map[string]string // "stack/logicalID" -> reason
	recreation  map[string]types.RequiresRecreation
	pendingN    int
	pageSize    int
	seq         int
	last        time.Time
	token       string // ClientRequestToken of the execution writing events
}

// Call is one request the server received.
type Call struct {
	Action string
	Params url.Values
	// Signed is whether the request carried a SigV4 Authorization header.
	Signed bool
}

// New starts a fake CloudFormation on 127.0.0.1. Close it when done.
func New() *Server {
	s := &Server{
		stacks:     map[string]*stack{},
		stacksByID: map[string]*stack{},
		changeSets: map[string]*changeSet{},
		drifts:     map[string]*driftRun{},
		throttles:  map[string]int{},
		dropsAfter: map[string]int{},
		failures:   map[string]string{},
		recreation: map[string]types.RequiresRecreation{},
		pageSize:   DefaultPageSize,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the endpoint, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Config is an aws.Config for the SDK clients in tests: region us-east-1,
// the static test credentials, BaseEndpoint set to the server.
func (s *Server) Config(_ context.Context) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(s.URL()),
		HTTPClient:   s.srv.Client(),
	}
}

// Env is the environment for a child process (such as the lockstep binary)
// whose config.LoadDefaultConfig should reach this server: the cloudformation
// client reads AWS_ENDPOINT_URL_CLOUDFORMATION from the environment config
// source (service/cloudformation endpoints.go resolveBaseEndpoint, config
// env_config.go GetServiceBaseEndpoint).
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_CLOUDFORMATION=" + s.URL(),
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// FailResource makes the next executions that create or update logicalID
// in stack fail with reason (CREATE_FAILED / UPDATE_FAILED), until
// [Server.ClearFailure].
func (s *Server) FailResource(stackName, logicalID, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[stackName+"/"+logicalID] = reason
}

// ClearFailure undoes [Server.FailResource].
func (s *Server) ClearFailure(stackName, logicalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, stackName+"/"+logicalID)
}

// SetReplacement says whether changing property of resourceType replaces
// the resource: "Never", "Conditionally" or "Always". It overrides the
// built-in table (see diff.go).
func (s *Server) SetReplacement(resourceType, property, requiresRecreation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recreation[resourceType+"/"+property] = types.RequiresRecreation(requiresRecreation)
}

func (s *Server) requiresRecreation(rtype, prop string) types.RequiresRecreation {
	if r, ok := s.recreation[rtype+"/"+prop]; ok {
		return r
	}
	if r, ok := defaultReplacement[rtype+"/"+prop]; ok {
		return r
	}
	return types.RequiresRecreationNever
}

// SetActual changes a resource's "actual" property out of band, as someone
// editing it in the console would: drift detection then reports it. A nil
// value removes the property.
func (s *Server) SetActual(stackName, logicalID, property string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.stacks[stackName]; st != nil {
		if r := st.resource(logicalID); r != nil {
			if r.actual == nil {
				r.actual = map[string]any{}
			}
			r.actual[property] = value
		}
	}
}

// Throttle answers the next n calls of action with Throttling (HTTP 400,
// "Rate exceeded"), which the SDK's retryer retries.
func (s *Server) Throttle(action string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttles[action] = n
}

// Unavailable answers the next n calls, of any action, with HTTP 500
// InternalFailure.
func (s *Server) Unavailable(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unavailable = n
}

// Drop closes the connection of the next n requests without an answer, as
// a network failure would.
func (s *Server) Drop(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = n
}

// DropAfterApply makes the next n calls of action do their work and then
// close the connection instead of answering: the ambiguous failure where
// the client cannot know the call took effect. The SDK retries it, and the
// retry meets the state the first attempt left (an executed change set
// answers InvalidChangeSetStatus).
func (s *Server) DropAfterApply(action string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropsAfter[action] = n
}

// SetPending makes every later operation (change set creation, execution,
// drift detection) look unfinished for its first n describes: change sets
// CREATE_PENDING/CREATE_IN_PROGRESS, stacks *_IN_PROGRESS with only the
// events up to the start, drift DETECTION_IN_PROGRESS. 0 (the default):
// everything is complete on the first describe.
func (s *Server) SetPending(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pendingN = n
}

// SetPageSize sets how many items each page of DescribeChangeSet,
// DescribeStackEvents, ListChangeSets, ListStackResources and
// DescribeStackResourceDrifts holds.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 1 {
		n = 1
	}
	s.pageSize = n
}

// Calls lists the requests received, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	copy(out, s.calls)
	return out
}

// CallCount counts the requests of one action.
func (s *Server) CallCount(action string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

// StackSnapshot is a stack's state, for assertions.
type StackSnapshot struct {
	Name, ID     string
	Status       string
	StatusReason string
	Template     string
	Parameters   map[string]string // clear values, NoEcho included
	Resources    map[string]ResourceSnapshot
	Outputs      map[string]string
	// Events are the stack's events oldest first, as "LogicalId STATUS".
	Events []string
}

// ResourceSnapshot is one resource of a [StackSnapshot].
type ResourceSnapshot struct {
	Type       string
	PhysicalID string
	Status     string
	Properties map[string]any
}

// Stack returns the live stack called name (or with that ID).
func (s *Server) Stack(name string) (StackSnapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.findStack(name)
	if st == nil {
		return StackSnapshot{}, false
	}
	snap := StackSnapshot{
		Name: st.name, ID: st.id, Status: string(st.status), StatusReason: st.reason, Template: st.body,
		Parameters: map[string]string{}, Resources: map[string]ResourceSnapshot{}, Outputs: map[string]string{},
	}
	for k, v := range st.params {
		snap.Parameters[k] = v
	}
	for _, r := range st.resources {
		snap.Resources[r.logicalID] = ResourceSnapshot{Type: r.rtype, PhysicalID: r.physical, Status: string(r.status), Properties: r.props}
	}
	for _, o := range st.outputs {
		snap.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, e := range st.events {
		snap.Events = append(snap.Events, aws.ToString(e.LogicalResourceId)+" "+string(e.ResourceStatus))
	}
	return snap, true
}

func (s *Server) findStack(nameOrID string) *stack {
	if st := s.stacks[nameOrID]; st != nil {
		return st
	}
	return s.stacksByID[nameOrID]
}

// now is the server's clock: wall time, but strictly increasing, so events
// have distinct timestamps in the order they happened.
func (s *Server) now() time.Time {
	t := time.Now().UTC().Truncate(time.Millisecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Millisecond)
	}
	s.last = t
	return t
}

// uuid makes a deterministic, UUID-shaped ID from a sequence number: the
// form of AWS's stack, change set and request IDs.
func uuid(n int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(n*2654435761), n&0xffff, n&0xfff, (n>>12)&0xfff, n)
}

type handler func(s *Server, f form) (smithy.Serializable, *apiError)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	values, err := url.ParseQuery(string(body))
	if err != nil {
		values = url.Values{}
	}
	for k, v := range r.URL.Query() {
		values[k] = v
	}
	f := form(values)
	action := f.str("Action")
	auth := r.Header.Get("Authorization")
	signed := strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") && strings.Contains(auth, "Credential=") && strings.Contains(auth, "Signature=")

	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	requestID := uuid(s.seq)
	s.calls = append(s.calls, Call{Action: action, Params: values, Signed: signed})
	if s.drops > 0 {
		s.drops--
		if hangUp(w) {
			return
		}
	}

	out, apiErr := s.dispatch(action, f, auth, signed, r.Method)
	if n := s.dropsAfter[action]; n > 0 && signed {
		s.dropsAfter[action] = n - 1
		if hangUp(w) {
			return
		}
	}
	w.Header().Set("x-amzn-RequestId", requestID)
	w.Header().Set("Content-Type", "text/xml")
	if apiErr != nil {
		w.WriteHeader(apiErr.status)
		_, _ = w.Write(errorXML(apiErr, requestID))
		return
	}
	_, _ = w.Write(responseXML(action, out, requestID))
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

func (s *Server) dispatch(action string, f form, auth string, signed bool, method string) (smithy.Serializable, *apiError) {
	if s.unavailable > 0 {
		s.unavailable--
		return nil, &apiError{status: http.StatusInternalServerError, code: "InternalFailure", message: "We encountered an internal error. Please try again."}
	}
	switch {
	case auth == "":
		// AWS's answer to an unsigned query-protocol request
		return nil, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token", sender: true}
	case !signed:
		return nil, &apiError{status: http.StatusForbidden, code: "IncompleteSignature", message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.", sender: true}
	}
	if method != http.MethodPost && method != http.MethodGet {
		return nil, &apiError{status: http.StatusMethodNotAllowed, code: "InvalidAction", message: "method not allowed", sender: true}
	}
	if action == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "MissingAction", message: "Missing Action", sender: true}
	}
	if n := s.throttles[action]; n > 0 {
		s.throttles[action] = n - 1
		return nil, &apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded", sender: true}
	}
	h, ok := handlers[action]
	if !ok || f.str("Version") != apiVersion {
		// AWS query services answer an unknown operation so (seen for SES in aws/aws-cli#37:
		// "Could not find operation GetSendStatistics for version 2012-12-01"; not seen for CloudFormation)
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s", action, f.str("Version")), sender: true}
	}
	return h(s, f)
}

// UpdatedElsewhere records an update of the stack that did not go through a
// change set (UpdateStack from another tool): its change sets made before
// become OBSOLETE, and executing one is refused with InvalidChangeSetStatus.
func (s *Server) UpdatedElsewhere(stackName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stacks[stackName]
	if st == nil {
		return
	}
	s.stackEvent(st, types.StackStatusUpdateInProgress, reasonUserInitiated)
	s.stackEvent(st, types.StackStatusUpdateComplete, "")
	st.status, st.reason, st.updated = types.StackStatusUpdateComplete, "", s.now()
	st.version++
}
