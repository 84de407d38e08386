package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// lockstep run does the whole pipeline on a fresh stack, with real
// Terraform: validate, plan, apply, deploy, verify, history; a second run
// with nothing to apply skips apply and still deploys; a run whose deploy
// fails stops there with exit 1 after rolling the app back.
func TestRunDoesTheWholePipelineLocally(t *testing.T) {
	w := newWorkspace(t)
	dir := w.fixture("nochange", "infra")
	app := newFakeApp(w)
	run := func(version string) result {
		t.Helper()
		return w.cli("run", "--working-directory", "infra", "--environment", "staging", "--auto-approve",
			"--terraform-path", w.terraform, "--app-version", version, "--deploy-command", app.command(),
			"--smoke-urls", app.healthURL(), "--smoke-timeout", "0", "--summary-file", filepath.Join(w.root, "summary.md"))
	}

	r := run("v1")
	requireCode(t, 0, r)
	for _, line := range []string{"==> [1/6] validate", "==> [2/6] plan", "==> [3/6] apply", "==> [4/6] deploy", "==> [5/6] verify", "==> [6/6] history", "lockstep run succeeded"} {
		assert.Contains(t, r.stderr, line)
	}
	assert.Contains(t, w.tf("infra", "state", "list"), "terraform_data.steady", "apply ran")
	assert.Equal(t, []string{"v1 100"}, app.deploys())
	assert.Equal(t, "same", app.env()["LOCKSTEP_OUTPUT_STEADY"], "apply's outputs reach the deploy command")

	infra, err := trace.ContentVersion(dir)
	require.NoError(t, err)
	h := w.cli("history", "--environment", "staging")
	requireCode(t, 0, h)
	assert.Contains(t, h.stdout, "app:v1-infra:"+infra)
	assert.Contains(t, r.stderr, "DEPLOYMENT_VERSION=app:v1-infra:"+infra)
	summary, err := os.ReadFile(filepath.Join(w.root, "summary.md"))
	require.NoError(t, err)
	assert.Contains(t, string(summary), "lockstep run succeeded")

	// Nothing to apply: apply is skipped, the app still deploys.
	r = run("v2")
	requireCode(t, 0, r)
	assert.Contains(t, r.stderr, "skipped: the plan has no changes")
	assert.Equal(t, []string{"v1 100", "v2 100"}, app.deploys())

	// A broken app: deploy fails, the app is rolled back to v2, and the run
	// stops there with deploy's exit code.
	app.setHealthy(func(version string, _ int) bool { return version != "v3-broken" })
	r = run("v3-broken")
	requireCode(t, 1, r)
	assert.Contains(t, r.stderr, "lockstep run stopped at deploy")
	assert.Contains(t, r.stderr, "lockstep run failed")
	assert.Regexp(t, `verify\s+⏭️\s+not run`, r.stderr)
	assert.Equal(t, []string{"v1 100", "v2 100", "v3-broken 100", "v2 100"}, app.deploys())

	h = w.cli("history", "--environment", "staging")
	requireCode(t, 0, h)
	assert.Contains(t, h.stdout, "rollback from v3-broken")
}

func TestRunStopsAtTheFirstFailingStage(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("invalid", "infra")
	app := newFakeApp(w)
	r := w.cli("run", "--working-directory", "infra", "--environment", "staging", "--auto-approve",
		"--terraform-path", w.terraform, "--app-version", "v1", "--deploy-command", app.command())
	requireCode(t, 1, r)
	assert.Contains(t, r.stderr, "lockstep run stopped at validate")
	assert.NotContains(t, r.stderr, "==> [2/6] plan")
	assert.Nil(t, app.deploys())
}

func TestRunIsNotAnActionCommand(t *testing.T) {
	w := newWorkspace(t)
	r := w.action(map[string]string{"command": "run"})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, `input "command": "run" is not a command`)
}
