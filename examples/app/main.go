// Command app is the tiny HTTP service that lockstep's demo deploys.
//
// It answers its version at / and /version ({"version": "..."}) and its health
// at /healthz ("ok"). The version comes from -ldflags "-X main.version=...",
// else from APP_VERSION, else "dev". It listens on --addr, else on :$PORT,
// else on :8080.
//
// A broken release is easy to make on purpose, to show lockstep's smoke checks
// and rollback: with APP_BROKEN=1, or a version containing "broken", /healthz
// answers 503. A release that passes its smoke checks but fails its users, to
// show lockstep's metrics gate: APP_ERROR_RATE=0.5 (a fraction from 0 to 1)
// answers that share of the requests to / and /version with 500, evenly
// spread; /healthz stays healthy.
//
// /metrics serves Prometheus metrics: http_requests_total, labelled with the
// status code, the handler and the app's version, counts every request to
// the other endpoints.
//
// On SIGTERM or SIGINT it stops taking connections and finishes the requests
// under way before it exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// version is set at build time with -ldflags "-X main.version=...".
var version string

// shutdownTimeout bounds how long in-flight requests may take after SIGTERM.
const shutdownTimeout = 10 * time.Second

// config is what the service is told at start.
type config struct {
	addr    string
	version string
	broken  bool
	// errorRate is the share of / and /version requests answered 500.
	errorRate float64
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "app: %v\n", err)
		os.Exit(1)
	}
}

// run parses the configuration, serves until ctx is done or a termination
// signal arrives, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.addr, err)
	}
	logger := log.New(stderr, "app: ", log.LstdFlags)
	logger.Printf("version %s listening on %s (broken=%t, error rate %g)", cfg.version, ln.Addr(), cfg.broken, cfg.errorRate)
	return serve(ctx, ln, newHandler(cfg), logger)
}

// serve serves on ln until ctx is done, then drains in-flight requests.
func serve(ctx context.Context, ln net.Listener, h http.Handler, logger *log.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          logger,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}

	logger.Printf("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// parseConfig reads flags and environment. Flags win over the environment.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "listen address (default :$PORT, else :8080)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	cfg := config{addr: *addr, version: version}
	if cfg.addr == "" {
		port := getenv("PORT")
		if port == "" {
			port = "8080"
		}
		cfg.addr = ":" + port
	}
	if cfg.version == "" {
		cfg.version = getenv("APP_VERSION")
	}
	if cfg.version == "" {
		cfg.version = "dev"
	}
	cfg.broken = getenv("APP_BROKEN") == "1" || strings.Contains(cfg.version, "broken")
	if v := getenv("APP_ERROR_RATE"); v != "" {
		rate, err := strconv.ParseFloat(v, 64)
		if err != nil || rate < 0 || rate > 1 {
			return config{}, fmt.Errorf("APP_ERROR_RATE %q is not a fraction from 0 to 1, like 0.5", v)
		}
		cfg.errorRate = rate
	}
	return cfg, nil
}

// newHandler routes the service's endpoints; every request but those to
// /metrics is counted in http_requests_total.
func newHandler(cfg config) http.Handler {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "http_requests_total",
		Help:        "HTTP requests answered, by status code and handler.",
		ConstLabels: prometheus.Labels{"version": cfg.version},
	}, []string{"code", "handler"})
	reg.MustRegister(requests)

	var served atomic.Uint64
	// failing spreads errorRate evenly: request n fails when it takes the
	// count of failures so far, floor(n*rate), one higher.
	failing := func() bool {
		n := served.Add(1)
		return uint64(float64(n)*cfg.errorRate) > uint64(float64(n-1)*cfg.errorRate)
	}
	versionHandler := func(w http.ResponseWriter, r *http.Request) {
		if failing() {
			http.Error(w, "internal error (APP_ERROR_RATE)", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Version string `json:"version"`
		}{cfg.version})
	}
	healthHandler := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if cfg.broken {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "broken")
			return
		}
		_, _ = io.WriteString(w, "ok")
	}
	counted := func(name string, h http.HandlerFunc) http.Handler {
		return promhttp.InstrumentHandlerCounter(requests.MustCurryWith(prometheus.Labels{"handler": name}), h)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", counted("/", versionHandler))
	mux.Handle("GET /version", counted("/version", versionHandler))
	mux.Handle("GET /healthz", counted("/healthz", healthHandler))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", counted("other", http.NotFound))
	return mux
}
