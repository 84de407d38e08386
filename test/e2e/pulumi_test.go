package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/pulumitest"
)

// pulumiSecret is the stack's secret config value, also its secret output.
const pulumiSecret = "pul-C4n4ry-S3cret-e2e"

// pulumiStack puts test/fixtures/pulumi at infra with its stack dev made
// and its secret set, on an offline Pulumi of the test's own; the action's
// runs find that Pulumi through terraform-path and the environment.
// It returns a function running pulumi in infra.
func pulumiStack(t *testing.T, w *workspace) func(args ...string) string {
	t.Helper()
	bin := pulumitest.Path(t)
	env := pulumitest.Env(t, bin)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		w.env[k] = v
	}
	w.env["INPUT_TERRAFORM-PATH"] = bin
	dir := w.fixture("pulumi", "infra")
	run := func(args ...string) string { return pulumitest.Run(t, bin, dir, env, args...) }
	run("stack", "init", "dev", "--non-interactive")
	run("config", "set", "--stack", "dev", "--secret", "password", pulumiSecret)
	return run
}

// assertNoPulumiSecret checks everything a run renders or sends.
func assertNoPulumiSecret(t *testing.T, r result) {
	t.Helper()
	for i, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			assert.NotContains(t, line, pulumiSecret, "stdout line %d", i+1)
		}
	}
	assert.NotContains(t, r.stderr, pulumiSecret)
	assert.NotContains(t, r.summary, pulumiSecret)
	for k, v := range r.outputs {
		assert.NotContains(t, v, pulumiSecret, "output %s", k)
	}
}

// A Pulumi stack through the pipeline: the pull request's preview is one
// comment; after merge the reviewed plan is applied exactly; a state
// changed after the plan is refused; no secret appears anywhere.
func TestPulumiPreviewCommentApplyAndStaleState(t *testing.T) {
	w, gh := prWorkspace(t)
	pulumi := pulumiStack(t, w)
	in := map[string]string{"working-directory": "infra", "environment": "staging", "engine": "pulumi", "stack": "dev", "plan-file": "plan.json"}

	r := w.action(with(in, "command", "plan"))
	requireCode(t, 0, r)
	assertNoPulumiSecret(t, r)
	assert.Contains(t, r.stdout, "::add-mask::"+pulumiSecret, "the config's secret is masked")
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	body := mine[0].Body
	assert.True(t, strings.HasPrefix(body, "<!-- lockstep:plan dir=infra env=staging -->\n"), body)
	assert.Contains(t, body, "Pulumi")
	assert.Contains(t, body, "lockstep:index:Thing::first")
	assert.Contains(t, body, "4 to add, 0 to change, 0 to destroy", "Pulumi's own count: the stack and three things")
	assert.Contains(t, body, "\n+ lockstep:index:Thing::first (create)\n", "the preview's text, written from its events")
	assert.NotContains(t, body, pulumiSecret)
	for _, req := range gh.Requests() {
		assert.NotContains(t, string(req.Body), pulumiSecret, "%s %s", req.Method, req.Path)
	}

	// After merge: plan and apply exactly that plan.
	w.mergedPush("")
	r = w.action(with(in, "command", "plan"))
	requireCode(t, 0, r)
	r = w.action(with(in, "command", "apply"))
	requireCode(t, 0, r)
	assertNoPulumiSecret(t, r)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.summary, "Apply complete:** 4 added, 0 changed, 0 destroyed")
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.outputs["outputs-json"]), &outputs), r.outputs["outputs-json"])
	assert.Equal(t, "hello-one", outputs["greeting"])
	assert.NotEqual(t, pulumiSecret, outputs["token"], "the secret output carries no value")

	// The app follows the applied stack (the workflow hands apply's
	// outputs-json to the deploy job), with both versions recorded.
	app := newFakeApp(w)
	w.env[outputsJSONVar] = r.outputs["outputs-json"]
	infra := r.outputs["infra-version"]
	require.NotEmpty(t, infra)
	r = w.action(map[string]string{"command": "deploy", "working-directory": "infra", "environment": "staging", "engine": "pulumi",
		"app-version": "v1.4.2", "deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0", "plan-file": "plan.json"})
	requireCode(t, 0, r)
	assertNoPulumiSecret(t, r)
	assert.Equal(t, "app:v1.4.2-infra:"+infra, r.outputs["deployment-version"])
	assert.Equal(t, "app:v1.4.2-infra:"+infra, parseFileCommand(t, w.files["GITHUB_ENV"])["DEPLOYMENT_VERSION"])
	assert.Equal(t, []string{"v1.4.2 100"}, app.deploys())
	assert.Equal(t, "hello-one", app.env()["LOCKSTEP_OUTPUT_GREETING"], "the deploy command gets the stack's outputs")
	delete(w.env, outputsJSONVar)

	// A plan, then another update changes the state: refused.
	pulumi("config", "set", "--stack", "dev", "value", "two")
	r = w.action(with(in, "command", "plan"))
	requireCode(t, 0, r)
	pulumi("config", "set", "--stack", "dev", "value", "three")
	pulumi("up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive")
	pulumi("config", "set", "--stack", "dev", "value", "two")
	r = w.action(with(in, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "plan-stale", r.outputs["failure-reason"])
	assertNoPulumiSecret(t, r)
	assert.Contains(t, pulumi("stack", "output", "greeting", "--stack", "dev"), "hello-three", "nothing applied")
}

// A resource failing part way: the summary says what was applied, what
// failed and what was never reached.
func TestPulumiPartialFailureReport(t *testing.T) {
	w, _ := pushWorkspace(t)
	pulumi := pulumiStack(t, w)
	pulumi("up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive")
	pulumi("config", "set", "--stack", "dev", "value", "two")
	pulumi("config", "set", "--stack", "dev", "fail", "true")
	in := map[string]string{"working-directory": "infra", "environment": "staging", "engine": "pulumi", "stack": "dev", "plan-file": "plan.json"}

	r := w.action(with(in, "command", "plan"))
	requireCode(t, 0, r)
	r = w.action(with(in, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "apply-failed", r.outputs["failure-reason"])
	assertNoPulumiSecret(t, r)
	assert.Contains(t, r.summary, "1 applied (0 added, 1 changed, 0 destroyed), 1 failed, 1 not reached")
	requireBefore(t, r.summary, "Failed (1)", "`lockstep:index:Thing::second` | ✏️ update | failing on purpose")
	requireBefore(t, r.summary, "Applied (1)", "`lockstep:index:Thing::first` | ✏️ update")
	requireBefore(t, r.summary, "Not reached (1)", "`lockstep:index:Thing::third` | ✏️ update")
	assert.Contains(t, r.summary, "**Error:** pulumi up of stack dev failed at lockstep:index:Thing::second: failing on purpose")
}

// A stack config file in var-files is the config of the plan and of its
// apply. The apply job's inputs carry no var-files (pipeline.yml passes
// them to plan only, as Terraform's saved plan holds its variables): apply
// runs pulumi up with the file the binding record names, masks that file's
// secrets, and refuses, with nothing applied, when the file changed since
// the plan.
func TestPulumiVarFileIsThePlansConfigAtApply(t *testing.T) {
	const prodSecret = "pul-Pr0d-S3cret-varfile"
	w, _ := pushWorkspace(t)
	pulumi := pulumiStack(t, w)
	// prod.yaml: the stack's file (its encryption salt) with another value
	// and another secret.
	infra := filepath.Join(w.root, "infra")
	dev, err := os.ReadFile(filepath.Join(infra, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(infra, "prod.yaml"), dev, 0o644))
	pulumi("config", "set", "--stack", "dev", "--config-file", "prod.yaml", "value", "two")
	pulumi("config", "set", "--stack", "dev", "--config-file", "prod.yaml", "--secret", "password", prodSecret)
	in := map[string]string{"working-directory": "infra", "environment": "staging", "engine": "pulumi", "stack": "dev", "plan-file": "plan.json"}

	r := w.action(with(with(in, "var-files", "prod.yaml"), "command", "plan"))
	requireCode(t, 0, r)
	assert.Contains(t, r.stdout, "::add-mask::"+prodSecret)
	assert.Contains(t, r.stdout, `value: "two"`, "the preview is of the file's config")

	r = w.action(with(in, "command", "apply"))
	requireCode(t, 0, r)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.stdout, "::add-mask::"+prodSecret, "apply masks the recorded file's secrets")
	for i, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			assert.NotContains(t, line, prodSecret, "stdout line %d", i+1)
		}
	}
	assert.NotContains(t, r.outputs["outputs-json"], prodSecret)
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.outputs["outputs-json"]), &outputs), r.outputs["outputs-json"])
	assert.Equal(t, "hello-two", outputs["greeting"], "applied with the file's config")

	// The file changes between plan and apply: refused, nothing applied.
	pulumi("config", "set", "--stack", "dev", "--config-file", "prod.yaml", "value", "four")
	r = w.action(with(with(in, "var-files", "prod.yaml"), "command", "plan"))
	requireCode(t, 0, r)
	pulumi("config", "set", "--stack", "dev", "--config-file", "prod.yaml", "value", "five")
	r = w.action(with(in, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "binding-var-files", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "prod.yaml")
	assert.Contains(t, pulumi("stack", "output", "greeting", "--stack", "dev"), "hello-two", "nothing applied")
}
