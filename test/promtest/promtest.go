// Package promtest runs a real Prometheus for tests: Debian's prometheus
// binary (scripts/install-tools.sh installs it), on 127.0.0.1 with a
// temporary storage directory, scraping one fixed target every second. The
// target is a relay in the test process that serves whatever the test points
// it at (an app's /metrics, or an in-process handler), so that one Prometheus
// serves a whole test package: it answers its first query only about 6 s
// after it starts.
//
// Without the binary the tests skip, unless LOCKSTEP_REQUIRE_PROMETHEUS is
// set (.ci/run sets it), which makes a missing Prometheus a failure.
package promtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Job is the scrape job of the relay target: queries may select
// {job="app"}.
const Job = "app"

// EnvRequire makes a missing Prometheus a test failure instead of a skip.
const EnvRequire = "LOCKSTEP_REQUIRE_PROMETHEUS"

// EnvBinary names the prometheus binary to run; default: prometheus on PATH.
const EnvBinary = "LOCKSTEP_PROMETHEUS"

// Server is a running Prometheus and its relay target.
type Server struct {
	// URL is Prometheus's address, like http://127.0.0.1:40123.
	URL string

	cmd   *exec.Cmd
	dir   string
	relay *httptest.Server
	done  chan struct{}

	mu     sync.Mutex
	target http.Handler
}

// Binary finds the prometheus binary: $LOCKSTEP_PROMETHEUS, else
// prometheus on PATH.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return exec.LookPath(p)
	}
	return exec.LookPath("prometheus")
}

// Start starts Prometheus and waits until it has scraped the relay once.
func Start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, fmt.Errorf("prometheus not found (run `make tools`, or apt-get install prometheus): %w", err)
	}
	dir, err := os.MkdirTemp("", "lockstep-prometheus-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, done: make(chan struct{})}
	s.relay = httptest.NewServer(http.HandlerFunc(s.serveRelay))
	port, err := freePort()
	if err != nil {
		s.Stop()
		return nil, err
	}
	target := strings.TrimPrefix(s.relay.URL, "http://")
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: [%q]
`, Job, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		s.Stop()
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		s.Stop()
		return nil, err
	}
	defer logf.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.URL = "http://" + addr
	s.cmd = exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(30 * time.Second); err != nil {
		log := s.Log()
		s.Stop()
		return nil, fmt.Errorf("%w\nprometheus log:\n%s", err, log)
	}
	return s, nil
}

// waitReady polls until Prometheus answers that its relay target is up.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("prometheus exited at start")
		default:
		}
		if n, err := s.count(`up{job="` + Job + `"} == 1`); err == nil && n > 0 {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("prometheus at %s did not scrape its target within %s", s.URL, timeout)
}

// count is how many samples query returns now ("resultType":"vector").
func (s *Server) count(query string) (int, error) {
	resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", resp.Status, body)
	}
	return strings.Count(string(body), `"metric":`), nil
}

// WaitFor polls until query returns at least one sample: until Prometheus
// has scraped what the test just set up. It fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, query string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n, err := s.count(query)
		if err == nil && n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus: %s returned no sample within %s (last error: %v)", query, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Serve makes the relay answer scrapes with h (nil: an empty exposition).
func (s *Server) Serve(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = h
}

// Proxy makes the relay answer scrapes with what GET metricsURL answers (an
// app's /metrics); while the app is down the scrape fails.
func (s *Server) Proxy(metricsURL string) {
	s.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, metricsURL, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header.Set("Accept", r.Header.Get("Accept"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
}

func (s *Server) serveRelay(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.target
	s.mu.Unlock()
	if h == nil {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		return
	}
	h.ServeHTTP(w, r)
}

// Log is what Prometheus wrote so far.
func (s *Server) Log() string {
	data, _ := os.ReadFile(filepath.Join(s.dir, "prometheus.log"))
	return string(data)
}

// Stop kills Prometheus and removes its storage.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	if s.relay != nil {
		s.relay.Close()
	}
	_ = os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared is the test package's one Prometheus, started on first use; call
// StopShared from TestMain after m.Run. Without a prometheus binary it
// skips t, or fails it when LOCKSTEP_REQUIRE_PROMETHEUS is set.
func Shared(t testing.TB) *Server {
	t.Helper()
	if _, err := Binary(); err != nil {
		Missing(t, err)
	}
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		t.Fatalf("starting prometheus: %v", sharedErr)
	}
	shared.Serve(nil)
	return shared
}

// StopShared stops the shared Prometheus, if it was started.
func StopShared() {
	if shared != nil {
		shared.Stop()
	}
}

// Missing skips t for a missing Prometheus, or fails it when
// LOCKSTEP_REQUIRE_PROMETHEUS is set.
func Missing(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("prometheus is not installed (%v): run `make tools` (apt-get install prometheus)", err)
	if os.Getenv(EnvRequire) != "" {
		t.Fatal(msg + "; " + EnvRequire + " forbids skipping")
	}
	t.Skip(msg + "; set " + EnvRequire + "=1 to make this a failure")
}

// Context is a context for one test's queries.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
