package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

const (
	owner, repo = "octo-org", "shop"
	runURL      = "https://github.com/octo-org/shop/actions/runs/4211"
)

// fakeGitHub points the workspace's action runs at a fake GitHub holding
// the repository.
func fakeGitHub(w *workspace) *fakegithub.Server {
	s := fakegithub.New(w.t)
	s.AddRepo(owner, repo)
	w.env["GITHUB_API_URL"] = s.APIURL()
	return s
}

// fakeApp is the app the tests deploy. The deploy command it gives records
// each deployment (version and canary weight) and its environment in files
// of the workspace; the app's /healthz answers from the deployed version and
// weight through healthy.
type fakeApp struct {
	t   *testing.T
	dir string
	srv *httptest.Server

	mu      sync.Mutex
	healthy func(version string, weight int) bool
}

func newFakeApp(w *workspace) *fakeApp {
	w.t.Helper()
	f := &fakeApp{t: w.t, dir: filepath.Join(w.root, ".app"), healthy: func(string, int) bool { return true }}
	f.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		version, weight := f.current()
		f.mu.Lock()
		ok := version != "" && f.healthy(version, weight)
		f.mu.Unlock()
		if !ok {
			http.Error(rw, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		_, _ = rw.Write([]byte("ok"))
	}))
	w.t.Cleanup(f.srv.Close)
	return f
}

// command is the deploy-command; it runs in the workspace root.
func (f *fakeApp) command() string {
	return `mkdir -p .app && ` +
		`printf '%s %s\n' "$LOCKSTEP_APP_VERSION" "$LOCKSTEP_CANARY_WEIGHT" >> .app/deploys.log && ` +
		`printf '%s %s\n' "$LOCKSTEP_APP_VERSION" "$LOCKSTEP_CANARY_WEIGHT" > .app/current && ` +
		`env | sort > .app/env`
}

func (f *fakeApp) healthURL() string { return f.srv.URL + "/healthz" }

func (f *fakeApp) setHealthy(h func(version string, weight int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.healthy = h
}

func (f *fakeApp) current() (string, int) {
	data, err := os.ReadFile(filepath.Join(f.dir, "current"))
	if err != nil {
		return "", 0
	}
	version, weight, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	n, _ := strconv.Atoi(weight)
	return version, n
}

// deploys lists "version weight" for each time the deploy command ran.
func (f *fakeApp) deploys() []string {
	data, err := os.ReadFile(filepath.Join(f.dir, "deploys.log"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(f.t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// env is the environment of the deploy command's last run.
func (f *fakeApp) env() map[string]string {
	data, err := os.ReadFile(filepath.Join(f.dir, "env"))
	require.NoError(f.t, err)
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// markerTerraform is a terraform-path that fails and leaves a marker file
// when anything runs it; the marker's path is returned with it.
func markerTerraform(t *testing.T) (path, marker string) {
	t.Helper()
	dir := t.TempDir()
	marker = filepath.Join(dir, "terraform-ran")
	path = filepath.Join(dir, "terraform")
	script := "#!/bin/sh\necho \"terraform $*\" >> '" + marker + "'\nexit 1\n"
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path, marker
}

func assertNoTerraformRan(t *testing.T, marker string) {
	t.Helper()
	data, err := os.ReadFile(marker)
	if err == nil {
		t.Errorf("Terraform ran during the rollback:\n%s", data)
		return
	}
	require.True(t, os.IsNotExist(err), "reading the marker: %v", err)
}

// appliedStack puts the nochange fixture, applied with real Terraform, at
// infra/ and returns its infra version (a content hash: the workspace is no
// git repository).
func appliedStack(w *workspace) string {
	w.t.Helper()
	dir := w.fixture("nochange", "infra")
	w.tf("infra", "init", "-input=false")
	w.tf("infra", "apply", "-input=false", "-auto-approve")
	v, err := trace.ContentVersion(dir)
	require.NoError(w.t, err)
	return v
}

// merge returns base with extra's keys set.
func merge(base map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func statesOf(sts []fakegithub.DeploymentStatus) []string {
	var out []string
	for _, st := range sts {
		out = append(out, st.State)
	}
	return out
}

func payloadOf(t *testing.T, d fakegithub.Deployment) map[string]any {
	t.Helper()
	var p map[string]any
	require.NoError(t, json.Unmarshal(d.Payload, &p), "payload %s", d.Payload)
	return p
}

// latestState is a deployment's latest status.
func latestState(gh *fakegithub.Server, d fakegithub.Deployment) string {
	sts := gh.Statuses(owner, repo, d.ID)
	if len(sts) == 0 {
		return ""
	}
	return sts[len(sts)-1].State
}

func requireCode(t *testing.T, want int, r result) {
	t.Helper()
	require.Equal(t, want, r.code, "stdout:\n%s\nstderr:\n%s\nsummary:\n%s", r.stdout, r.stderr, r.summary)
}

func TestDeployCommandRecordsBothVersionsInAGitHubDeployment(t *testing.T) {
	w := newWorkspace(t)
	infra := appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	w.env[outputsJSONVar] = `{"steady":"same","ports":[80,443]}`

	r := w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1.2.0",
		"deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0",
	})
	requireCode(t, 0, r)

	dv := "app:v1.2.0-infra:" + infra
	assert.Equal(t, "v1.2.0", r.outputs["app-version"])
	assert.Equal(t, infra, r.outputs["infra-version"])
	assert.Equal(t, dv, r.outputs["deployment-version"])
	assert.Equal(t, "success", r.outputs["result"])
	assert.Equal(t, dv, parseFileCommand(t, w.files["GITHUB_ENV"])["DEPLOYMENT_VERSION"])

	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 1)
	d := deps[0]
	assert.Equal(t, strconv.FormatInt(d.ID, 10), r.outputs["deployment-id"])
	assert.Equal(t, "deploy:app", d.Task)
	assert.Equal(t, "staging", d.Environment)
	assert.Equal(t, w.env["GITHUB_SHA"], d.Ref)
	require.NotNil(t, d.AutoMerge)
	assert.False(t, *d.AutoMerge)
	require.NotNil(t, d.RequiredContexts)
	assert.Empty(t, *d.RequiredContexts)
	require.NotNil(t, d.ProductionEnvironment)
	assert.False(t, *d.ProductionEnvironment, "staging is not production-like")
	p := payloadOf(t, d)
	assert.Equal(t, "v1.2.0", p["app_version"])
	assert.Equal(t, infra, p["infra_version"])
	assert.Equal(t, dv, p["deployment_version"])
	assert.Equal(t, runURL, p["run_url"])
	assert.NotContains(t, p, "approved_by", "nobody approved this run: the payload says nothing about approvers")

	sts := gh.Statuses(owner, repo, d.ID)
	assert.Equal(t, []string{"in_progress", "success"}, statesOf(sts))
	for _, st := range sts {
		assert.Equal(t, runURL, st.LogURL)
		assert.Equal(t, app.srv.URL+"/", st.EnvironmentURL)
	}

	// The deploy command got the versions and the non-sensitive outputs, and
	// none of lockstep's inputs (the token among them).
	assert.Equal(t, []string{"v1.2.0 100"}, app.deploys())
	env := app.env()
	assert.Equal(t, dv, env["DEPLOYMENT_VERSION"])
	assert.Equal(t, "v1.2.0", env["LOCKSTEP_APP_VERSION"])
	assert.Equal(t, infra, env["LOCKSTEP_INFRA_VERSION"])
	assert.Equal(t, "staging", env["LOCKSTEP_ENVIRONMENT"])
	assert.Equal(t, "same", env["LOCKSTEP_OUTPUT_STEADY"])
	assert.Equal(t, "[80,443]", env["LOCKSTEP_OUTPUT_PORTS"])
	for k := range env {
		assert.False(t, strings.HasPrefix(k, "INPUT_"), "the deploy command got %s", k)
	}

	assert.Contains(t, r.summary, "Deployed `"+dv+"` to staging")
	assert.Contains(t, r.summary, "Smoke checks passed")
	assert.Contains(t, r.summary, "DEPLOYMENT_VERSION="+dv)
}

// The deploy job runs in the same workflow run as the approved apply job: the
// deployment records who approved the run for its environment, and when the
// approvals cannot be read it still deploys, with a warning.
func TestDeployRecordsWhoApprovedTheRun(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	in := map[string]string{"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1.2.0", "deploy-command": app.command()}
	gh.SetRunApprovals(owner, repo, 4211,
		fakegithub.Approval{State: "approved", User: "alice", Comment: "go", Environments: []string{"staging"}},
		fakegithub.Approval{State: "approved", User: "bob", Environments: []string{"production"}},
		fakegithub.Approval{State: "rejected", User: "carol", Environments: []string{"staging"}},
	)
	requireCode(t, 0, w.action(in))
	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 1)
	assert.Equal(t, []any{"alice"}, payloadOf(t, deps[0])["approved_by"])

	gh.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/{o}/{r}/actions/runs/{id}/approvals", Kind: fakegithub.FaultStatus, Status: 403})
	r := w.action(in)
	requireCode(t, 0, r)
	assert.Contains(t, r.stdout, "::warning::the deployment will not record who approved this run")
	deps = gh.Deployments(owner, repo)
	require.Len(t, deps, 2)
	assert.NotContains(t, payloadOf(t, deps[1]), "approved_by")
}

// outputsJSONVar is cli.EnvOutputsJSON, spelled out: the workflow contract.
const outputsJSONVar = "LOCKSTEP_OUTPUTS_JSON"

func TestDeployWorkflowDispatchesAndWaitsForTheRun(t *testing.T) {
	for _, tc := range []struct {
		conclusion string
		code       int
		state      string
	}{
		{"success", 0, "success"},
		{"failure", 1, "failure"},
	} {
		t.Run(tc.conclusion, func(t *testing.T) {
			w := newWorkspace(t)
			infra := appliedStack(w)
			gh := fakeGitHub(w)
			// The repository's own deploy-app.yml, its run-name and declared
			// inputs: the fake refuses a dispatch the file would not take.
			wf, err := fakegithub.ReadWorkflow(filepath.Join(tftest.RepoRoot(), "workflows", "deploy-app.yml"))
			require.NoError(t, err)
			wf.Conclusion = tc.conclusion
			wf.Polls = 1 // completed when first seen: the test never waits a poll interval
			gh.SetWorkflow(owner, repo, "deploy-app.yml", wf)

			r := w.action(map[string]string{
				"command": "deploy", "working-directory": "infra", "environment": "staging",
				"app-version": "v2", "deploy-workflow": "deploy-app.yml", "deploy-timeout": "1m",
			})
			requireCode(t, tc.code, r)

			ds := gh.Dispatches(owner, repo)
			require.Len(t, ds, 1)
			assert.Equal(t, "main", ds[0].Ref)
			assert.Len(t, ds[0].Inputs, 5)
			assert.Equal(t, "v2", ds[0].Inputs["app-version"])
			assert.Equal(t, infra, ds[0].Inputs["infra-version"])
			assert.Equal(t, "app:v2-infra:"+infra, ds[0].Inputs["deployment-version"])
			assert.Equal(t, "100", ds[0].Inputs["canary-weight"])
			deps := gh.Deployments(owner, repo)
			require.Len(t, deps, 1)
			assert.True(t, strings.HasPrefix(ds[0].Inputs["lockstep-id"].(string), strconv.FormatInt(deps[0].ID, 10)+"-100-"),
				"lockstep-id %v names the deployment", ds[0].Inputs["lockstep-id"])
			assert.Equal(t, []string{"in_progress", tc.state}, statesOf(gh.Statuses(owner, repo, deps[0].ID)))

			if tc.code == 0 {
				assert.Equal(t, "success", r.outputs["result"])
				return
			}
			assert.Equal(t, "failed", r.outputs["result"])
			assert.Equal(t, "deploy-failed", r.outputs["failure-reason"])
			assert.Contains(t, r.summary, "concluded failure")
			assert.Contains(t, r.summary, "No rollback", "nothing succeeded before: nothing to roll back to")
		})
	}
}

func TestDeployWorkflowIsRefusedOnPullRequests(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	gh := fakeGitHub(w)
	gh.SetWorkflow(owner, repo, "deploy-app.yml", fakegithub.Workflow{Polls: 1})
	w.pullRequestEvent(7, "feedfacecafebeefdeadbeef0123456789abcdef")

	r := w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging",
		"app-version": "v2", "deploy-workflow": "deploy-app.yml",
	})
	requireCode(t, 1, r)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "deploy-workflow-ref", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "refusing to dispatch deploy workflow on pull request ref refs/pull/7/merge")
	assert.Empty(t, gh.Dispatches(owner, repo))
	assert.Empty(t, gh.Deployments(owner, repo))
}

func TestDeployNeedsACommandOrAWorkflow(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	fakeGitHub(w)
	r := w.action(map[string]string{"command": "deploy", "working-directory": "infra", "environment": "staging"})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, "deploy-command")
	assert.Contains(t, r.stdout, "deploy-workflow")
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "bad-input", r.outputs["failure-reason"])
}

// A canary whose checks fail at the 50% step stops there and rolls the app
// back to the previous good version on the same infra version, without
// running Terraform.
func TestCanaryStopsAtTheFailingStepAndRollsBack(t *testing.T) {
	w := newWorkspace(t)
	infra := appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	app.setHealthy(func(version string, weight int) bool { return version != "v2" || weight < 50 })
	terraformPath, marker := markerTerraform(t)
	w.env["INPUT_TERRAFORM-PATH"] = terraformPath
	w.env[outputsJSONVar] = `{"steady":"same"}`
	inputs := map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "production",
		"canary-steps": "10,50,100", "canary-bake": "0", "deploy-command": app.command(),
		"smoke-urls": app.healthURL(), "smoke-timeout": "0",
	}

	r := w.action(merge(inputs, map[string]string{"app-version": "v1"}))
	requireCode(t, 0, r)
	assert.Equal(t, []string{"v1 10", "v1 50", "v1 100"}, app.deploys())

	r = w.action(merge(inputs, map[string]string{"app-version": "v2"}))
	requireCode(t, 1, r)
	assert.Equal(t, []string{"v1 10", "v1 50", "v1 100", "v2 10", "v2 50", "v1 100"}, app.deploys(),
		"v2 stops at 50%; v1 comes back at 100%")
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "deploy-failed", r.outputs["failure-reason"])
	assert.Equal(t, "app:v2-infra:"+infra, r.outputs["deployment-version"])
	assert.Contains(t, r.summary, "stopped at step 2 of 3 (50%)")
	assert.Contains(t, r.summary, "Rolled back from `v2` to `app:v1-infra:"+infra+"`")
	assert.Contains(t, r.summary, "Smoke checks failed")

	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 3)
	for _, d := range deps {
		require.NotNil(t, d.ProductionEnvironment)
		assert.True(t, *d.ProductionEnvironment)
		assert.Equal(t, infra, payloadOf(t, d)["infra_version"])
	}
	assert.Equal(t, "deploy:app", deps[1].Task)
	assert.Equal(t, "v2", payloadOf(t, deps[1])["app_version"])
	assert.Equal(t, "failure", latestState(gh, deps[1]))
	assert.Equal(t, "rollback:app", deps[2].Task)
	assert.Equal(t, "v1", payloadOf(t, deps[2])["app_version"])
	assert.Equal(t, "v2", payloadOf(t, deps[2])["rolled_back_from"])
	assert.Equal(t, []string{"in_progress", "success"}, statesOf(gh.Statuses(owner, repo, deps[2].ID)))

	assertNoTerraformRan(t, marker)
}

// A failed smoke check in verify marks the deployment failed and redeploys
// the newest app version that succeeded on the same infra version, not a
// newer one that ran on other infrastructure; Terraform never runs.
func TestVerifyFailureRollsBackToTheLastGoodAppOnTheSameInfra(t *testing.T) {
	w := newWorkspace(t)
	infra := appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	deployInputs := map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging",
		"deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0",
	}
	requireCode(t, 0, w.action(merge(deployInputs, map[string]string{"app-version": "v1"})))
	requireCode(t, 0, w.action(merge(deployInputs, map[string]string{"app-version": "v9", "infra-version": "0ther1n"})))
	requireCode(t, 0, w.action(merge(deployInputs, map[string]string{"app-version": "v2"})))

	// From here on, any Terraform command leaves a marker.
	terraformPath, marker := markerTerraform(t)
	w.env["INPUT_TERRAFORM-PATH"] = terraformPath

	app.setHealthy(func(version string, _ int) bool { return version != "v2" })
	r := w.action(map[string]string{
		"command": "verify", "working-directory": "infra", "environment": "staging", "app-version": "v2",
		"deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0",
	})
	requireCode(t, 1, r)
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "verify-failed", r.outputs["failure-reason"])
	assert.Equal(t, "v1 100", app.deploys()[len(app.deploys())-1], "v1, not v9 (other infra), is redeployed")
	// Per-URL results, then the rollback.
	assert.Contains(t, r.summary, "Smoke checks failed")
	assert.Contains(t, r.summary, "| `"+app.healthURL()+"` | ❌ failed |")
	assert.Contains(t, r.summary, "Rolled back from `v2` to `app:v1-infra:"+infra+"`")

	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 4)
	v2 := deps[2]
	assert.Equal(t, "v2", payloadOf(t, v2)["app_version"])
	sts := gh.Statuses(owner, repo, v2.ID)
	assert.Equal(t, "failure", sts[len(sts)-1].State)
	assert.Contains(t, sts[len(sts)-1].Description, "verify failed")
	rb := deps[3]
	assert.Equal(t, "rollback:app", rb.Task)
	assert.Equal(t, "v1", payloadOf(t, rb)["app_version"])
	assert.Equal(t, infra, payloadOf(t, rb)["infra_version"])
	assert.Equal(t, "success", latestState(gh, rb))

	assertNoTerraformRan(t, marker)
}

func TestVerifyPassesWithHealthyURLs(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	requireCode(t, 0, w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1",
		"deploy-command": app.command(),
	}))
	r := w.action(map[string]string{
		"command": "verify", "working-directory": "infra", "environment": "staging", "app-version": "v1",
		"smoke-urls": app.healthURL(), "smoke-timeout": "0", "watch": "1s",
	})
	requireCode(t, 0, r)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.summary, "Smoke checks passed")
	assert.Contains(t, r.summary, "Watch passed")
	require.Len(t, gh.Deployments(owner, repo), 1, "a healthy verify records nothing new")
}

// The rollback command redeploys the app only: with a terraform-path that
// leaves a marker, the marker never appears.
func TestRollbackCommandNeverRunsTerraform(t *testing.T) {
	w := newWorkspace(t)
	infra := appliedStack(w)
	app := newFakeApp(w)
	terraformPath, marker := markerTerraform(t)
	deploy := func(version string) {
		t.Helper()
		requireCode(t, 0, w.cli("deploy", "--working-directory", "infra", "--environment", "staging",
			"--app-version", version, "--terraform-path", w.terraform, "--deploy-command", app.command()))
	}
	deploy("v1")
	deploy("v2")

	rollback := func(args ...string) result {
		t.Helper()
		return w.cli(append([]string{"rollback", "--working-directory", "infra", "--environment", "staging",
			"--terraform-path", terraformPath, "--deploy-command", app.command(),
			"--smoke-urls", app.healthURL(), "--smoke-timeout", "0"}, args...)...)
	}
	r := rollback()
	requireCode(t, 0, r)
	assert.Equal(t, "v1 100", app.deploys()[len(app.deploys())-1])
	assert.Contains(t, r.stdout, "Rolled back from `v2` to `app:v1-infra:"+infra+"`")
	assert.Contains(t, r.stdout, "revert the change in a pull request", "the summary says how infrastructure is rolled back")

	// A version that never ran on this infra version is refused without
	// --force, deployed with it.
	r = rollback("--to", "v0")
	requireCode(t, 1, r)
	assert.Contains(t, r.stderr, "refusing to roll back to app version v0")
	r = rollback("--to", "v0", "--force")
	requireCode(t, 0, r)
	assert.Equal(t, "v0 100", app.deploys()[len(app.deploys())-1])

	h := w.cli("history", "--environment", "staging", "--json")
	requireCode(t, 0, h)
	var entries []map[string]string
	require.NoError(t, json.Unmarshal([]byte(h.stdout), &entries), h.stdout)
	require.Len(t, entries, 4)
	assert.Equal(t, []string{"v0", "rollback:app", "success"}, []string{entries[0]["app_version"], entries[0]["task"], entries[0]["status"]})
	assert.Equal(t, []string{"v1", "rollback:app", "v2"}, []string{entries[1]["app_version"], entries[1]["task"], entries[1]["rolled_back_from"]})
	assert.Equal(t, []string{"v2", "failure"}, []string{entries[2]["app_version"], entries[2]["status"]}, "rolled back on demand: not good any more")
	assert.Contains(t, entries[2]["description"], "rolled back on demand")

	assertNoTerraformRan(t, marker)
}

func TestHistoryInActionModeReadsGitHubDeployments(t *testing.T) {
	w := newWorkspace(t)
	infra := appliedStack(w)
	fakeGitHub(w)
	app := newFakeApp(w)
	requireCode(t, 0, w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v7",
		"deploy-command": app.command(),
	}))
	r := w.action(map[string]string{"command": "history", "environment": "staging"})
	requireCode(t, 0, r)
	assert.Contains(t, r.summary, "```text\n")
	assert.Contains(t, r.summary, "app:v7-infra:"+infra)
	assert.Contains(t, r.stdout, "app:v7-infra:"+infra)
}

// The infra/app contract: deploy refuses, before anything is recorded or
// deployed, when an output the app needs is missing (a sensitive one
// counts as missing) or null; with all of them present the deployment
// records the output names it ran against.
func TestDeployRefusesWhenTheInfraLacksOutputsTheAppNeeds(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("contract", "infra")
	w.tf("infra", "init", "-input=false")
	w.tf("infra", "apply", "-input=false", "-auto-approve")
	gh := fakeGitHub(w)
	app := newFakeApp(w)
	in := map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1.2.0",
		"deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0",
	}

	// From the repository's lockstep-requires.txt, outputs read from Terraform.
	require.NoError(t, os.WriteFile(filepath.Join(w.root, "lockstep-requires.txt"),
		[]byte("# what the app reads\napp_url\nqueue_arn  # the queue stack is not applied yet\ndb_password\n"), 0o644))
	r := w.action(in)
	requireCode(t, 1, r)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "infra-contract", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "the app needs outputs that the infrastructure of infra does not provide: queue_arn (missing), db_password (missing) (listed in lockstep-requires.txt)")
	assert.NotContains(t, r.stdout, "app_url (")
	assert.Contains(t, r.summary, "Nothing was deployed")
	assert.Empty(t, app.deploys(), "the app was not deployed")
	assert.Empty(t, gh.Deployments(owner, repo), "no deployment was recorded")
	assert.NotContains(t, r.stdout+r.summary, "hunter2-contract")

	// A null output from apply's outputs-json, named by the input (which
	// wins over the file).
	w.env[outputsJSONVar] = `{"app_url":"http://app.internal:8080","queue_arn":null}`
	r = w.action(with(in, "requires-outputs", "app_url\nqueue_arn"))
	requireCode(t, 1, r)
	assert.Equal(t, "infra-contract", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "queue_arn (null) (listed in the input requires-outputs)")
	assert.Empty(t, app.deploys())

	// Everything the app needs is there: it deploys, and the deployment
	// records which outputs it ran against.
	w.env[outputsJSONVar] = `{"app_url":"http://app.internal:8080","queue_arn":"arn:aws:sqs:eu-west-1:1:orders"}`
	r = w.action(with(in, "requires-outputs", "app_url\nqueue_arn"))
	requireCode(t, 0, r)
	assert.Equal(t, []string{"v1.2.0 100"}, app.deploys())
	deps := gh.Deployments(owner, repo)
	require.Len(t, deps, 1)
	assert.Equal(t, []any{"app_url", "queue_arn"}, payloadOf(t, deps[0])["infra_outputs"])
}

// A malformed lockstep-requires.txt is bad input naming the file and line.
func TestDeployRefusesAMalformedRequiresFile(t *testing.T) {
	w := newWorkspace(t)
	appliedStack(w)
	fakeGitHub(w)
	app := newFakeApp(w)
	require.NoError(t, os.WriteFile(filepath.Join(w.root, "lockstep-requires.txt"), []byte("steady\napp url\n"), 0o644))
	r := w.action(map[string]string{
		"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v1.2.0",
		"deploy-command": app.command(),
	})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, `lockstep-requires.txt:2: "app url" is not an output name`)
	assert.Empty(t, app.deploys())
}
