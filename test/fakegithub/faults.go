package fakegithub

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what a [Fault] makes the server do instead of answering
// normally.
type FaultKind int

const (
	// FaultInternalError answers 500 without performing the request.
	FaultInternalError FaultKind = iota + 1
	// FaultBadGateway answers 502 without performing the request.
	FaultBadGateway
	// FaultSecondaryRateLimit answers 403 with GitHub's secondary rate limit
	// message and documentation_url, and Retry-After when
	// [Fault.RetryAfter] is set: go-github returns *AbuseRateLimitError.
	FaultSecondaryRateLimit
	// FaultPrimaryRateLimit answers 403 with X-RateLimit-Remaining: 0 and
	// X-RateLimit-Reset at [Fault.Reset]: go-github returns *RateLimitError.
	FaultPrimaryRateLimit
	// FaultTooManyRequests answers 429 with Retry-After when
	// [Fault.RetryAfter] or [Fault.RetryAfterDate] is set: a plain
	// *ErrorResponse in go-github v60. With [Fault.Reset] set it is a primary
	// limit answered as 429, as GitHub documents ("you will receive a 403 or
	// 429 response, and the x-ratelimit-remaining header will be 0"):
	// X-RateLimit-Remaining: 0 and X-RateLimit-Reset at Reset.
	FaultTooManyRequests
	// FaultApplyThenFail performs the request, discards its answer and
	// answers 502: the ambiguous failure that makes blind retries of a
	// create duplicate what it created.
	FaultApplyThenFail
	// FaultDisconnect closes the connection without performing the request
	// or answering. Go's transport may silently resend an idempotent request
	// (GET) on a reused connection, so use it on writes.
	FaultDisconnect
	// FaultApplyThenDisconnect performs the request, then closes the
	// connection without answering.
	FaultApplyThenDisconnect
	// FaultStatus answers [Fault.Status] with GitHub's error shape and
	// [Fault.Message] (a default message per status when empty), without
	// performing the request. 403 gives "Resource not accessible by
	// integration", a permission failure.
	FaultStatus
)

var faultNames = map[FaultKind]string{
	FaultInternalError:       "internal-error",
	FaultBadGateway:          "bad-gateway",
	FaultSecondaryRateLimit:  "secondary-rate-limit",
	FaultPrimaryRateLimit:    "primary-rate-limit",
	FaultTooManyRequests:     "too-many-requests",
	FaultApplyThenFail:       "apply-then-fail",
	FaultDisconnect:          "disconnect",
	FaultApplyThenDisconnect: "apply-then-disconnect",
	FaultStatus:              "status",
}

// String names the kind, e.g. "apply-then-fail".
func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	if k == 0 {
		return "none"
	}
	return "fault(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes requests to fail and how.
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path matches the path relative to the API base (without a
	// [WithPrefix] prefix), e.g. "/repos/o/r/issues/1/comments"; "{name}" or
	// "*" segments match any one segment.
	Path string
	// Nth is the first matching request to fail, counting from 1 among
	// requests that arrive after Fail was called; 0 means 1.
	Nth int
	// Times is how many consecutive matching requests fail from the Nth on;
	// 0 means 1, a negative number means every one.
	Times int
	// Kind is what to do instead of answering normally.
	Kind FaultKind
	// RetryAfter sets the Retry-After header (whole seconds) of
	// FaultSecondaryRateLimit and FaultTooManyRequests; 0 omits it.
	RetryAfter time.Duration
	// RetryAfterDate, when set, sends Retry-After as an HTTP date instead
	// (RFC 9110 allows either form).
	RetryAfterDate time.Time
	// Reset is X-RateLimit-Reset for FaultPrimaryRateLimit, where zero means
	// one hour from now; for FaultTooManyRequests a non-zero Reset also sends
	// X-RateLimit-Remaining: 0.
	Reset time.Time
	// Status and Message are the answer of FaultStatus.
	Status  int
	Message string
}

// String describes the fault for test failure messages.
func (f Fault) String() string {
	return fmt.Sprintf("%s %s %s (nth %d)", f.Kind, orAny(f.Method), f.Path, max(f.Nth, 1))
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

type faultState struct {
	Fault
	seen  int // matching requests so far
	fired int
}

// Fail registers a fault. Faults are checked in registration order and the
// first one due fires. A fault that never fires fails the test at cleanup, so
// a test cannot pass while believing it exercised a failure it did not.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// takeFault counts the request against every matching fault and returns the
// first that is due. The caller holds s.mu.
func (s *Server) takeFault(method, path string) *Fault {
	var due *Fault
	for _, f := range s.faults {
		if (f.Method != "" && !strings.EqualFold(f.Method, method)) || !matchPath(f.Path, path) {
			continue
		}
		f.seen++
		first := max(f.Nth, 1)
		times := f.Times
		if times == 0 {
			times = 1
		}
		if due == nil && f.seen >= first && (times < 0 || f.seen < first+times) {
			f.fired++
			due = &f.Fault
		}
	}
	return due
}

func (s *Server) checkFaultsFired() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.fired == 0 {
			s.t.Errorf("fakegithub: fault %s never fired (%d matching requests)", f.Fault, f.seen)
		}
	}
}

// applyFault answers (or drops) a faulted request. h may be nil for an
// unknown route, in which case apply-kinds fail without applying anything.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, h handler, p params) {
	apply := func() {
		if h != nil {
			h(httptest.NewRecorder(), r, p)
		}
	}
	switch f.Kind {
	case FaultInternalError:
		writeError(w, http.StatusInternalServerError, "Server Error", docsREST)
	case FaultBadGateway:
		writeError(w, http.StatusBadGateway, "Server Error", docsREST)
	case FaultApplyThenFail:
		apply()
		writeError(w, http.StatusBadGateway, "Server Error", docsREST)
	case FaultSecondaryRateLimit:
		setRetryAfter(w, f)
		writeError(w, http.StatusForbidden,
			"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:FAKE.",
			docsSecondaryRateLimit)
	case FaultPrimaryRateLimit:
		reset := f.Reset
		if reset.IsZero() {
			reset = s.now().Add(time.Hour)
		}
		writePrimaryRateLimit(w, s.cfg.rateLimit, reset)
	case FaultTooManyRequests:
		setRetryAfter(w, f)
		if !f.Reset.IsZero() {
			setRateHeaders(w.Header(), s.cfg.rateLimit, 0, f.Reset)
		}
		writeError(w, http.StatusTooManyRequests,
			"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			docsSecondaryRateLimit)
	case FaultDisconnect:
		hangUp(w)
	case FaultApplyThenDisconnect:
		apply()
		hangUp(w)
	case FaultStatus:
		msg := f.Message
		if msg == "" {
			msg = defaultMessage(f.Status)
		}
		writeError(w, f.Status, msg, docsREST)
	default:
		writeError(w, http.StatusInternalServerError, "fakegithub: unknown fault kind "+f.Kind.String(), docsREST)
	}
}

func setRetryAfter(w http.ResponseWriter, f Fault) {
	switch {
	case !f.RetryAfterDate.IsZero():
		w.Header().Set("Retry-After", f.RetryAfterDate.UTC().Format(http.TimeFormat))
	case f.RetryAfter > 0:
		secs := int64((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	for {
		if sw, ok := w.(*statusWriter); ok {
			w = sw.ResponseWriter
			continue
		}
		break
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, http.StatusBadGateway, "fakegithub: cannot hang up on this connection", docsREST)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

func defaultMessage(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Bad credentials"
	case http.StatusForbidden:
		return "Resource not accessible by integration"
	case http.StatusNotFound:
		return "Not Found"
	case http.StatusUnprocessableEntity:
		return "Validation Failed"
	default:
		return http.StatusText(status)
	}
}
