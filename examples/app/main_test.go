package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		name       string
		cfg        config
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "root is the version", cfg: config{version: "1.2.3"}, path: "/", wantStatus: 200, wantBody: `{"version":"1.2.3"}`},
		{name: "version", cfg: config{version: "1.2.3"}, path: "/version", wantStatus: 200, wantBody: `{"version":"1.2.3"}`},
		{name: "healthy", cfg: config{version: "1.2.3"}, path: "/healthz", wantStatus: 200, wantBody: "ok"},
		{name: "broken", cfg: config{version: "1.2.3", broken: true}, path: "/healthz", wantStatus: 503, wantBody: "broken"},
		{name: "broken still tells its version", cfg: config{version: "2.0.0-broken", broken: true}, path: "/version", wantStatus: 200, wantBody: `{"version":"2.0.0-broken"}`},
		{name: "unknown path", cfg: config{version: "1.2.3"}, path: "/nope", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(newHandler(tt.cfg))
			defer srv.Close()

			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != "" && strings.TrimSpace(string(body)) != tt.wantBody {
				t.Errorf("GET %s: body %q, want %q", tt.path, body, tt.wantBody)
			}
		})
	}
}

func TestVersionIsJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	newHandler(config{version: `a"b`}).ServeHTTP(rec, httptest.NewRequest("GET", "/version", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var got struct{ Version string }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("decoding %q: %v", rec.Body.String(), err)
	}
	if got.Version != `a"b` {
		t.Errorf("version %q, want %q", got.Version, `a"b`)
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name      string
		ldVersion string
		args      []string
		env       map[string]string
		want      config
		wantErr   bool
	}{
		{name: "defaults", want: config{addr: ":8080", version: "dev"}},
		{name: "from the environment", env: map[string]string{"PORT": "9000", "APP_VERSION": "1.2.3"}, want: config{addr: ":9000", version: "1.2.3"}},
		{name: "flag wins over PORT", args: []string{"--addr", "127.0.0.1:7000"}, env: map[string]string{"PORT": "9000"}, want: config{addr: "127.0.0.1:7000", version: "dev"}},
		{name: "ldflags win over APP_VERSION", ldVersion: "2.0.0", env: map[string]string{"APP_VERSION": "1.2.3"}, want: config{addr: ":8080", version: "2.0.0"}},
		{name: "APP_BROKEN", env: map[string]string{"APP_BROKEN": "1"}, want: config{addr: ":8080", version: "dev", broken: true}},
		{name: "broken version", env: map[string]string{"APP_VERSION": "1.3.0-broken"}, want: config{addr: ":8080", version: "1.3.0-broken", broken: true}},
		{name: "APP_BROKEN=0 is healthy", env: map[string]string{"APP_BROKEN": "0"}, want: config{addr: ":8080", version: "dev"}},
		{name: "APP_ERROR_RATE", env: map[string]string{"APP_ERROR_RATE": "0.25"}, want: config{addr: ":8080", version: "dev", errorRate: 0.25}},
		{name: "APP_ERROR_RATE above 1", env: map[string]string{"APP_ERROR_RATE": "2"}, wantErr: true},
		{name: "APP_ERROR_RATE not a number", env: map[string]string{"APP_ERROR_RATE": "half"}, wantErr: true},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: true},
		{name: "stray argument", args: []string{"serve"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := version
			version = tt.ldVersion
			defer func() { version = old }()

			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %t", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, newHandler(config{version: "1.0.0"}), log.New(io.Discard, "", 0)) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz status %d before shutdown", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after its context was cancelled")
	}
}

func TestMetricsCountRequestsByStatusCode(t *testing.T) {
	srv := httptest.NewServer(newHandler(config{version: "1.4.0", errorRate: 0.5}))
	defer srv.Close()
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	var codes []int
	for range 4 {
		codes = append(codes, get("/"))
	}
	if want := []int{200, 500, 200, 500}; !equalInts(codes, want) {
		t.Errorf("half the requests to / fail, evenly: got %v, want %v", codes, want)
	}
	if c := get("/healthz"); c != 200 {
		t.Errorf("/healthz answered %d; an error rate leaves it healthy", c)
	}
	get("/nope")

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`http_requests_total{code="200",handler="/",version="1.4.0"} 2`,
		`http_requests_total{code="500",handler="/",version="1.4.0"} 2`,
		`http_requests_total{code="200",handler="/healthz",version="1.4.0"} 1`,
		`http_requests_total{code="404",handler="other",version="1.4.0"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), `handler="/metrics"`) {
		t.Errorf("scrapes are counted:\n%s", body)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
