package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// The canaries: a TERRAFORM_ENV line Terraform does not know is secret, a
// DEPLOY_ENV-style variable, and the runner's credentials.
const (
	adminCanary   = "adm-C4n4ry-Unm4rked-e2e"
	deployCanary  = "dep-C4n4ry-D3ploy-e2e"
	runtimeCanary = "rt-C4n4ry-Runtime-e2e"
	cacheCanary   = "https://cache.example/c4n4ry"
	resultsCanary = "https://results.example/c4n4ry"
	oidcToken     = "oidc-request-token-e2e"
)

// secretRun is the runner environment of a job whose export step turned
// TERRAFORM_ENV/DEPLOY_ENV lines into variables and gave their names to
// secret-env.
func secretRun(t *testing.T) (*workspace, *fakegithub.Server) {
	w, gh := prWorkspace(t)
	w.fixture("secretenv", "infra")
	w.env["TF_VAR_admin_password"] = adminCanary
	w.env["DEPLOY_SECRET"] = deployCanary
	w.env["ACTIONS_RUNTIME_TOKEN"] = runtimeCanary
	w.env["ACTIONS_CACHE_URL"] = cacheCanary
	w.env["ACTIONS_RESULTS_URL"] = resultsCanary
	w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = "https://oidc.example/token"
	w.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = oidcToken
	return w, gh
}

const secretEnv = "TF_VAR_admin_password\nDEPLOY_SECRET"

// Through plan (with its PR comment), apply and deploy, no canary reaches
// anything lockstep renders or sends: the log (but for ::add-mask::), the
// job summary, outputs, exported variables and every request body the fake
// GitHub received.
func TestSecretEnvNeverLeaksThroughPlanApplyAndDeploy(t *testing.T) {
	w, gh := secretRun(t)
	token := w.env["INPUT_GITHUB-TOKEN"]
	var runs []result
	step := func(r result) result {
		t.Helper()
		requireCode(t, 0, r)
		runs = append(runs, r)
		return r
	}

	plan := step(w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging", "secret-env": secretEnv}))
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	assert.Contains(t, mine[0].Body, "terraform_data.admin")
	assert.NotContains(t, mine[0].Body, adminCanary)
	assert.Contains(t, plan.summary, "terraform_data.admin")

	// The push after merge: plan, apply, deploy.
	w.mergedPush("")
	step(w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging", "secret-env": secretEnv}))
	apply := step(w.action(map[string]string{"command": "apply", "working-directory": "infra", "environment": "staging", "secret-env": secretEnv}))

	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(apply.outputs["outputs-json"]), &outputs), "outputs-json is valid JSON: %s", apply.outputs["outputs-json"])
	assert.Equal(t, map[string]any{"admin_password": "***", "user": "admin"}, outputs)

	deploy := step(w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1.0.0", "secret-env": secretEnv,
		"deploy-command": `env | sort > .deploy-env; echo "deploying with $DEPLOY_SECRET and $TF_VAR_admin_password"`,
	}))
	assert.Contains(t, deploy.stdout, "deploying with *** and ***")

	canaries := []string{adminCanary, deployCanary, token, "map-S3cret-e2e", "map2-S3cret-e2e"}
	for _, r := range runs {
		for i, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "::add-mask::") {
				continue
			}
			for _, c := range canaries {
				assert.NotContains(t, line, c, "stdout line %d", i+1)
			}
		}
		for _, c := range canaries {
			assert.NotContains(t, r.stderr, c)
			assert.NotContains(t, r.summary, c)
			assert.NotContains(t, r.envFile, c)
			for k, v := range r.outputs {
				assert.NotContains(t, v, c, "output %s", k)
			}
		}
		assert.Contains(t, r.stdout, "::add-mask::"+adminCanary)
		assert.Contains(t, r.stdout, "::add-mask::"+deployCanary)
		// Every mask is worth it: never "{", "}" or another short or
		// punctuation-only line of the sensitive maps.
		for _, line := range strings.Split(r.stdout, "\n") {
			if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
				assert.True(t, len(strings.TrimSpace(v)) >= 3 && strings.ContainsAny(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), "masked %q", v)
			}
		}
	}
	reqs := gh.Requests()
	require.NotEmpty(t, reqs)
	sawDeployment := false
	for _, req := range reqs {
		sawDeployment = sawDeployment || strings.HasSuffix(req.Path, "/deployments")
		for _, c := range canaries {
			assert.NotContains(t, string(req.Body), c, "%s %s", req.Method, req.Path)
		}
	}
	assert.True(t, sawDeployment, "deploy recorded a GitHub Deployment")
}

// Terraform's children (a local-exec provisioner) and the deploy command
// inherit neither lockstep's inputs nor the runner's credentials nor the
// token, but keep what they need: TF_VAR_*, secret-env variables and the
// OIDC request variables providers use.
func TestChildProcessesInheritNoInputsOrTokens(t *testing.T) {
	w, _ := secretRun(t)
	w.mergedPush("")
	token := w.env["INPUT_GITHUB-TOKEN"]
	w.env["GH_TOKEN"] = token // a workflow that also set the token for gh

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging", "secret-env": secretEnv})
	requireCode(t, 0, r)
	r = w.action(map[string]string{"command": "apply", "working-directory": "infra", "environment": "staging", "secret-env": secretEnv})
	requireCode(t, 0, r)
	assert.Contains(t, r.stdout, "TF_VAR_admin_password=***", "the provisioner printed its environment, masked")
	assert.NotContains(t, r.stdout, "INPUT_GITHUB-TOKEN", "the provisioner's env output in the log")
	assert.NotContains(t, r.stdout, "ACTIONS_RUNTIME_TOKEN")

	r = w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1.0.0", "secret-env": secretEnv,
		"deploy-command": "env | sort > .deploy-env; env",
	})
	requireCode(t, 0, r)
	assert.NotContains(t, r.stdout, "INPUT_GITHUB-TOKEN")
	assert.NotContains(t, r.stdout, "ACTIONS_RUNTIME_TOKEN")

	for _, file := range []string{filepath.Join("infra", ".child-env"), ".deploy-env"} {
		data, err := os.ReadFile(filepath.Join(w.root, file))
		require.NoError(t, err, file)
		env := string(data)
		for _, leaked := range []string{"INPUT_", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL", "GH_TOKEN=", token, runtimeCanary, cacheCanary, resultsCanary} {
			assert.NotContains(t, env, leaked, "%s holds %s", file, leaked)
		}
		lines := strings.Split(env, "\n")
		assert.Contains(t, lines, "TF_VAR_admin_password="+adminCanary, file)
		assert.Contains(t, lines, "DEPLOY_SECRET="+deployCanary, file)
		assert.Contains(t, lines, "ACTIONS_ID_TOKEN_REQUEST_TOKEN="+oidcToken, file)
		assert.Contains(t, lines, "ACTIONS_ID_TOKEN_REQUEST_URL=https://oidc.example/token", file)
	}
}

// A Terraform older than lockstep supports is refused before it runs,
// naming terraform-path and the version found. (A stub answering the version
// commands as Terraform 1.4.6: no Terraform that old is installed here.)
func TestOldTerraformIsRefusedNamingTerraformPath(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("secretenv", "infra")
	stub := tftest.VersionStub(t, "Terraform", "1.4.6")
	w.env["INPUT_TERRAFORM-PATH"] = stub

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra"})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, `input "terraform-path": "`+stub+`" is version 1.4.6; lockstep needs Terraform 1.5.0 or newer: point it at a newer binary`)
	assert.Equal(t, "refused", r.outputs["result"])
}
