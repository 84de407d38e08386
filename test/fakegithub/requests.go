package fakegithub

import (
	"net/url"
	"strings"
	"time"
)

// Request is one request the server received.
type Request struct {
	Method string
	// Path is relative to the API base (without a [WithPrefix] prefix) and
	// escaped as sent, e.g. "/repos/o/r/environments/prod%2Feu".
	Path  string
	Query url.Values
	Body  []byte
	// Status is the status answered; 0 when the connection was dropped.
	Status int
	// Fault is the fault that fired on this request, 0 when none did.
	Fault FaultKind
	Time  time.Time
}

// IsWrite reports whether the request could change state (not GET/HEAD).
func (r Request) IsWrite() bool { return r.Method != "GET" && r.Method != "HEAD" }

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count counts requests with method (any when "") whose path matches
// pathPattern ("{name}" or "*" segments match one segment).
func (s *Server) Count(method, pathPattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "" || strings.EqualFold(method, r.Method)) && matchPath(pathPattern, r.Path) {
			n++
		}
	}
	return n
}

// Writes counts requests that could change state (POST, PATCH, PUT,
// DELETE).
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.IsWrite() {
			n++
		}
	}
	return n
}

// ResetRequests forgets the request log, e.g. after seeding through the API.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}
