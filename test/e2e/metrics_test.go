package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/promtest"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// errorRatio is the metrics gate the tests give lockstep: more than 10% of
// the example app's requests answered 5xx, per version, over 5 s (the test
// Prometheus scrapes every second).
const errorRatio = `sum by (version) (rate(http_requests_total{code=~"5.."}[5s])) / sum by (version) (rate(http_requests_total[5s])) > 0.1`

var (
	exampleAppOnce sync.Once
	exampleAppBin  string
	exampleAppErr  error
)

// exampleApp builds examples/app once, beside the lockstep binary (TestMain
// removes both).
func exampleApp(t *testing.T) string {
	t.Helper()
	exampleAppOnce.Do(func() {
		exampleAppBin = filepath.Join(filepath.Dir(lockstepBin), "example-app")
		build := exec.Command("go", "build", "-o", exampleAppBin, "./examples/app")
		build.Dir = tftest.RepoRoot()
		out, err := build.CombinedOutput()
		if err != nil {
			exampleAppErr = err
			exampleAppBin = string(out)
		}
	})
	require.NoError(t, exampleAppErr, "building examples/app: %s", exampleAppBin)
	return exampleAppBin
}

// realApp is the example app run for real: the deploy command replaces the
// running process with the version deployed (a version containing "flaky"
// answers half its requests with 500, its /healthz stays healthy), the
// shared Prometheus scrapes it, and the test sends it steady traffic.
type realApp struct {
	t    *testing.T
	dir  string
	port int
}

func newRealApp(w *workspace) *realApp {
	w.t.Helper()
	bin := exampleApp(w.t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(w.t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(w.t, ln.Close())
	a := &realApp{t: w.t, dir: filepath.Join(w.root, ".realapp"), port: port}
	require.NoError(w.t, os.MkdirAll(a.dir, 0o755))
	script := `#!/bin/sh
set -eu
dir='` + a.dir + `'
printf '%s %s\n' "$LOCKSTEP_APP_VERSION" "$LOCKSTEP_CANARY_WEIGHT" >> "$dir/deploys.log"
if [ -f "$dir/app.pid" ]; then
  old=$(cat "$dir/app.pid")
  kill "$old" 2>/dev/null || true
  i=0
  while kill -0 "$old" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
rate=0
case "$LOCKSTEP_APP_VERSION" in *flaky*) rate=0.5 ;; esac
APP_VERSION="$LOCKSTEP_APP_VERSION" APP_ERROR_RATE="$rate" '` + bin + `' --addr 127.0.0.1:` + strconv.Itoa(port) + ` >>"$dir/app.log" 2>&1 &
echo $! > "$dir/app.pid"
i=0
while ! (exec 3<>/dev/tcp/127.0.0.1/` + strconv.Itoa(port) + `) 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
`
	// /dev/tcp is bash's: run the script with bash.
	require.NoError(w.t, os.WriteFile(filepath.Join(a.dir, "deploy.sh"), []byte(strings.Replace(script, "#!/bin/sh", "#!/usr/bin/env bash", 1)), 0o755))
	w.t.Cleanup(a.stop)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := &http.Client{Timeout: time.Second}
		for ctx.Err() == nil {
			if resp, err := c.Get(a.url("/")); err == nil {
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	w.t.Cleanup(func() { cancel(); <-done })
	return a
}

func (a *realApp) command() string { return filepath.Join(a.dir, "deploy.sh") }

func (a *realApp) url(path string) string { return "http://127.0.0.1:" + strconv.Itoa(a.port) + path }

func (a *realApp) deploys() []string {
	data, err := os.ReadFile(filepath.Join(a.dir, "deploys.log"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(a.t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func (a *realApp) stop() {
	data, err := os.ReadFile(filepath.Join(a.dir, "app.pid"))
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// metricsInputs are a canary deploy of the real app gated by errorRatio.
func metricsInputs(p *promtest.Server, app *realApp, bake string) map[string]string {
	return map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "production",
		"deploy-command": app.command(), "strategy": "canary", "canary-steps": "10,50,100", "canary-bake": bake,
		"prometheus-url": p.URL, "metrics-queries": errorRatio, "metrics-interval": "1s",
	}
}

func TestMetricsGatePassesAHealthyCanary(t *testing.T) {
	p := promtest.Shared(t)
	w := newWorkspace(t)
	appliedStack(w)
	fakeGitHub(w)
	app := newRealApp(w)
	p.Proxy(app.url("/metrics"))

	r := w.action(merge(metricsInputs(p, app, "3s"), map[string]string{"app-version": "v1", "canary-steps": "50,100", "smoke-urls": app.url("/healthz")}))
	requireCode(t, 0, r)
	assert.Equal(t, []string{"v1 50", "v1 100"}, app.deploys())
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.stdout, "Metrics gate: 1 PromQL quer(ies) on Prometheus at "+p.URL+", every 1s.")
	assert.Contains(t, r.stdout, "canary 50% → 100%, 3s bake after each step (the canary-bake input)")
	assert.Contains(t, r.stdout, "▶ canary step 1 of 2 (50%): deploying")
	assert.Contains(t, r.stdout, "⏳ canary step 1 of 2 (50%): metrics gate, 1 query clean after 1 round(s): ")
	assert.Contains(t, r.stdout, "✔ canary step 2 of 2 (100%) healthy after")
	assert.Contains(t, r.summary, "**Canary 50,100 (3s bake per step): ✅ healthy at 100%.**")
	assert.Contains(t, r.summary, "Each canary step bakes 3s before its checks (the canary-bake input).")
	assert.Contains(t, r.summary, "#### ✅ Metrics gate passed")
}

// The scenario: a release whose /healthz is fine but which fails
// half its users. The smoke checks pass; the 5xx ratio stops the canary at
// its first step and the app goes back to the version before.
func TestMetricsGateStopsARisingErrorRatioAtTheFirstStepAndRollsBack(t *testing.T) {
	p := promtest.Shared(t)
	w := newWorkspace(t)
	infra := appliedStack(w)
	gh := fakeGitHub(w)
	app := newRealApp(w)
	p.Proxy(app.url("/metrics"))

	good := map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "production", "app-version": "v1",
		"deploy-command": app.command(), "strategy": "direct",
	}
	requireCode(t, 0, w.action(good))

	r := w.action(merge(metricsInputs(p, app, "30s"), map[string]string{"app-version": "v2-flaky", "smoke-urls": app.url("/healthz")}))
	requireCode(t, 1, r)
	assert.Equal(t, []string{"v1 100", "v2-flaky 10", "v1 100"}, app.deploys(), "stopped at 10%; v1 back at 100%")
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "deploy-failed", r.outputs["failure-reason"])
	assert.Contains(t, r.summary, "**Canary 10,50,100 (30s bake per step): ❌ stopped at step 1 of 3 (10%).**")
	assert.Contains(t, r.summary, "| 1 | 10% | ❌ metrics gate failed |")
	assert.Contains(t, r.summary, "#### ❌ Metrics gate failed")
	assert.Contains(t, r.summary, "`"+errorRatio+"`")
	assert.Contains(t, r.summary, `{version="v2-flaky"}`, "the sample's labels")
	assert.Contains(t, r.summary, "Rolled back from `v2-flaky` to `app:v1-infra:"+infra+"`")
	assert.NotContains(t, r.summary, "Smoke checks passed", "the failed step ran no smoke checks; the rollback's table shows its own")
	assert.Contains(t, r.stdout, "▶ deploying at 100%\n", "the rollback")
	assert.Contains(t, r.stderr+r.stdout, "canary step 1 of 3 (10%): metrics gate failed: "+errorRatio+": 1 sample(s): {version=\"v2-flaky\"} ")

	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 3)
	assert.Equal(t, "v2-flaky", payloadOf(t, deps[1])["app_version"])
	assert.Equal(t, "failure", latestState(gh, deps[1]))
	assert.Equal(t, "rollback:app", deps[2].Task)
	assert.Equal(t, "success", latestState(gh, deps[2]))
}

// Prometheus down: the deploy is refused before anything is recorded or
// deployed, with an error that says so, and the URL's password is nowhere.
func TestMetricsGateRefusesWhenPrometheusIsDown(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	r := w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "production", "app-version": "v1",
		"deploy-command": app.command(), "strategy": "canary", "canary-bake": "0",
		"prometheus-url": "http://gate:hunter2-pw@" + addr, "metrics-queries": errorRatio,
	})
	requireCode(t, 1, r)
	assert.Empty(t, app.deploys(), "nothing deployed")
	assert.Empty(t, gh.Deployments(owner, repo), "nothing recorded")
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "metrics-unavailable", r.outputs["failure-reason"])
	assert.Contains(t, r.summary, "**Nothing was deployed.** metrics gate: querying Prometheus at http://"+addr+" for ")
	assert.Contains(t, r.summary, "connection refused")
	assert.Contains(t, r.stdout, "::add-mask::hunter2-pw\n")
	var logLines []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			logLines = append(logLines, l)
		}
	}
	for name, text := range map[string]string{"summary": r.summary, "stderr": r.stderr, "stdout but its mask commands": strings.Join(logLines, "\n")} {
		assert.NotContains(t, text, "hunter2", name)
	}
}

// A bad query is Prometheus's own error, before anything is deployed.
func TestMetricsGateRefusesABadQueryInPrometheusOwnWords(t *testing.T) {
	p := promtest.Shared(t)
	w := newWorkspace(t)
	appliedStack(w)
	fakeGitHub(w)
	app := newFakeApp(w)
	r := w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "production", "app-version": "v1",
		"deploy-command": app.command(), "strategy": "canary", "canary-bake": "0",
		"prometheus-url": p.URL, "metrics-queries": "sum(rate(http_requests_total[1m])",
	})
	requireCode(t, 1, r)
	assert.Empty(t, app.deploys())
	assert.Equal(t, "metrics-unavailable", r.outputs["failure-reason"])
	assert.Contains(t, r.summary, `is not valid: Prometheus at `+p.URL+` says bad\_data: invalid parameter "query": 1:34: parse error: unclosed left parenthesis`)
}

// verify watches the metrics through its window beside the URLs; a firing
// query rolls the app back like a failed smoke check.
func TestVerifyWatchWithTheMetricsGateRollsBack(t *testing.T) {
	p := promtest.Shared(t)
	w := newWorkspace(t)
	infra := appliedStack(w)
	fakeGitHub(w)
	app := newRealApp(w)
	p.Proxy(app.url("/metrics"))
	deployInputs := map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging",
		"deploy-command": app.command(), "strategy": "direct",
	}
	requireCode(t, 0, w.action(merge(deployInputs, map[string]string{"app-version": "v1"})))
	requireCode(t, 0, w.action(merge(deployInputs, map[string]string{"app-version": "v2-flaky"})))

	r := w.action(map[string]string{
		"command": "verify", "working-directory": "infra", "environment": "staging", "app-version": "v2-flaky",
		"deploy-command": app.command(), "smoke-urls": app.url("/healthz"), "smoke-timeout": "0", "watch": "30s",
		"prometheus-url": p.URL, "metrics-queries": errorRatio, "metrics-interval": "1s",
	})
	requireCode(t, 1, r)
	assert.Equal(t, "verify-failed", r.outputs["failure-reason"])
	assert.Equal(t, []string{"v1 100", "v2-flaky 100", "v1 100"}, app.deploys())
	assert.Contains(t, r.summary, "### ✅ Smoke checks passed", "the healthz is fine")
	assert.Contains(t, r.summary, "### ❌ Metrics gate failed")
	assert.Contains(t, r.summary, `{version="v2-flaky"}`)
	assert.Contains(t, r.stdout, "⏳ watch: metrics gate")
	assert.Contains(t, r.summary, "app:v1-infra:"+infra)
}

func TestMetricsRequireDataRefusesAQueryWithoutAComparison(t *testing.T) {
	w := newWorkspace(t)
	r := w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "production", "app-version": "v1",
		"infra-version": "abc1234", "deploy-command": "true", "prometheus-url": "http://127.0.0.1:1", "metrics-queries": "sum(up)",
		"metrics-require-data": "true",
	})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, `input "metrics-queries": "sum(up)" has no single top-level comparison (like ratio > 0.05), so metrics-require-data cannot tell which value must have data`)
}

// verify with Prometheus down judges nothing: it fails, but neither marks
// the deployment failed nor rolls the app back.
func TestVerifyWithPrometheusDownFailsWithoutRollingBack(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	deployInputs := map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "deploy-command": app.command(),
	}
	requireCode(t, 0, w.action(merge(deployInputs, map[string]string{"app-version": "v1"})))
	requireCode(t, 0, w.action(merge(deployInputs, map[string]string{"app-version": "v2"})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	r := w.action(merge(deployInputs, map[string]string{
		"command": "verify", "app-version": "v2", "prometheus-url": "http://" + addr, "metrics-queries": errorRatio,
	}))
	requireCode(t, 1, r)
	assert.Equal(t, "metrics-unavailable", r.outputs["failure-reason"])
	assert.Equal(t, []string{"v1 100", "v2 100"}, app.deploys(), "no rollback")
	assert.Contains(t, r.summary, "The metrics gate could not run; the app was neither judged nor rolled back.")
	assert.Contains(t, r.summary, "connection refused")
	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 2)
	assert.Equal(t, "success", latestState(gh, deps[1]), "v2 is not marked failed")
}
