package act

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// EnvHelper, set to 1 in act's environment, makes the test binary act as the
// stand-in for the substituted actions (RunHelper) when a step executes it.
const EnvHelper = "LOCKSTEP_ACT_HELPER"

const (
	owner = "octo-org"
	repo  = "shop"
	// callerJob is the job of testdata/repo/.github/workflows/caller.yml that
	// calls pipeline.yml; act names the called jobs "<callerJob>/pipeline.yml/<id>".
	callerJob = "lockstep"
	// Values of the TERRAFORM_ENV and DEPLOY_ENV secrets; none may show in act's log.
	apiToken     = "tok-Act5ecretValue-0xC0FFEE"
	greeting     = "hello from the act test"
	deployTarget = "dt-Act5ecretTarget-0xBEEF"
	// The LOCKSTEP_PLAN_KEY secret (unless a world sets another); never in act's log either.
	planKey    = "pk-Act5ecretPlanKey-0xFACE"
	actTimeout = 150 * time.Second
	// actRunID is the run's GITHUB_RUN_ID (act's default is 1), whose
	// artifacts the apply job's cleanup step deletes.
	actRunID = 4242
)

var pipelineJobs = []string{"detect", "plan", "plans", "apply", "deploy", "verify"}

func TestMain(m *testing.M) {
	if os.Getenv(EnvHelper) == "1" && len(os.Args) > 1 {
		os.Exit(RunHelper(os.Args[1], os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	binErr    error
)

// lockstepBinary builds cmd/lockstep once for all the act tests, unless
// LOCKSTEP_BINARY names a binary to test instead (a release build, say).
func lockstepBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LOCKSTEP_BINARY"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "lockstep-act-bin-"); binErr != nil {
			return
		}
		// As make build and the host mode's step build it (no cgo, -trimpath),
		// so that they share Go's build cache.
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(binDir, "lockstep"), "./cmd/lockstep")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = tftest.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("building lockstep: %w\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return filepath.Join(binDir, "lockstep")
}

// actBinary finds act: LOCKSTEP_ACT, the repository's .bin/act (make tools),
// then PATH. Without it the test skips, unless LOCKSTEP_REQUIRE_ACT is set.
func actBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LOCKSTEP_ACT"); p != "" {
		return p
	}
	if p := filepath.Join(tftest.RepoRoot(), ".bin", "act"); isExecutable(p) {
		return p
	}
	if p, err := exec.LookPath("act"); err == nil {
		return p
	}
	if os.Getenv("LOCKSTEP_REQUIRE_ACT") != "" {
		t.Fatal("act not found: run `make tools` (installs act v0.2.89 into .bin/) or set LOCKSTEP_ACT")
	}
	t.Skip("act not found: run `make tools`; set LOCKSTEP_REQUIRE_ACT=1 to make this a failure")
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// TestPullRequestPlansOnly: on a pull request validate and plan run; apply,
// deploy and verify do not, and no plan leaves the plan job.
func TestPullRequestPlansOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "infra")
	w.gh.AddPullRequest(owner, repo, 7, w.sha)
	w.gh.AddPullFiles(owner, repo, 7, fakegithub.PullFile{Filename: "infra/main.tf"})
	res := w.act("pull_request")

	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success",
		"apply": "skipped", "deploy": "skipped", "verify": "skipped",
	})
	// The workflow's outputs, as the caller sees them.
	require.Equal(t, "true", res.outputs["has-changes"], "the stack is new: the plan creates it")
	require.Equal(t, res.steps["plan"]["plan-sha256"], res.outputs["plan-sha256"])
	require.Regexp(t, `^[0-9a-f]{64}$`, res.outputs["plan-sha256"])
	// Not asserted here: the `result` output. act exposes a skipped job's outputs as their
	// unevaluated templates (GitHub gives ""), which breaks the ||-chain over verify, deploy
	// and apply; the push tests assert it where those jobs run.
	arts := w.artifacts()
	require.Len(t, arts, 1, "the binding record goes to the plans job")
	require.Equal(t, []string{"infra/tfplan.lockstep.json"}, arts[0].Files, "no saved plan leaves a pull request's job")
	require.Empty(t, w.gh.Deployments(owner, repo))
	require.Zero(t, w.smokeHits.Load())
	res.requireNoSecrets(t)

	// The plan job had what commenting needs: the event, the token and the API.
	comments := w.gh.Comments(owner, repo, 7)
	require.Len(t, comments, 1, "one plan comment")
	require.True(t, strings.HasPrefix(comments[0].Body, "<!-- lockstep:plan dir=infra env=staging -->"), "marker first:\n%s", comments[0].Body)
	require.Equal(t, comments[0].HTMLURL, res.outputs["comment-url"])
	for _, s := range []string{apiToken, deployTarget} {
		require.NotContains(t, comments[0].Body, s)
	}
}

// TestPushWithChangesAppliesThenDeploys: on a push with changes, apply runs
// with the uploaded plan, then deploy and verify. The caller names the engine
// and pins terraform-version: both reach validate, plan and apply.
func TestPushWithChangesAppliesThenDeploys(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "infra")
	w.engine, w.terraformVersion = "terraform", terraformVersion(t)
	w.seedPlanArtifacts()
	res := w.act("push")
	w.requirePlanArtifactsDeleted(t)
	w.requireEngineInputs(t, "detect", "validate", "plan", "apply", "cleanup", "deploy", "verify")

	// Plan and its artifacts: the plan job's, and the one the plans job
	// hands to apply.
	require.Equal(t, "true", res.steps["plan"]["has-changes"])
	arts := w.artifacts()
	require.Len(t, arts, 2, "the plan job's artifact and the plans job's")
	for _, a := range arts {
		require.Equal(t, []string{"infra/tfplan.age", "infra/tfplan.lockstep.json"}, a.Files, "the sealed plan and its binding record, never the plaintext or show -json")
		require.True(t, a.RetentionDays >= 1 && a.RetentionDays <= 3, "retention-days %d", a.RetentionDays)
	}
	require.Regexp(t, `^lockstep-staging-[0-9a-f]{8}-apply$`, arts[0].Name)
	require.Regexp(t, `^lockstep-staging-[0-9a-f]{8}-plan-[0-9a-f]{12}$`, arts[1].Name)

	// Detect, plan, apply, deploy, verify, in that order.
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	res.requireOrder(t, "detect", "plan", "plans", "apply", "deploy", "verify")
	require.FileExists(t, w.state, "apply wrote the state")
	require.Equal(t, "true", res.outputs["has-changes"])
	require.Equal(t, "success", res.outputs["result"])
	require.Regexp(t, `^app:.+-infra:.+$`, res.outputs["deployment-version"])
	w.requireAppDeployment(t)
	require.Contains(t, w.deployed(), deployTarget, "deploy-command ran with DEPLOY_ENV")
	require.Positive(t, w.smokeHits.Load(), "verify probed the smoke URL")
	res.requireNoSecrets(t)
}

// TestPushWithOpenTofuAppliesThenDeploys: the same pipeline with engine
// opentofu plans and applies with tofu (found on PATH, the default
// terraform-path for OpenTofu), then deploys.
func TestPushWithOpenTofuAppliesThenDeploys(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "infra")
	w.engine = "opentofu"
	tftest.Tofu(t) // skip (or, with LOCKSTEP_REQUIRE_TOFU=1, fail) before any work without it
	w.seedPlanArtifacts()
	res := w.act("push")
	w.requireEngineInputs(t, "detect", "validate", "plan", "apply", "cleanup", "deploy", "verify")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	require.Contains(t, res.log, "tofu plan in infra")
	require.Contains(t, res.log, "tofu apply in infra")
	require.NotContains(t, res.log, "terraform apply in infra")
	require.FileExists(t, w.state, "apply wrote the state")
	require.Equal(t, "success", res.outputs["result"])
	w.requireAppDeployment(t)
	res.requireNoSecrets(t)
}

// TestPushWithoutChangesSkipsApplyAndDeploys: with nothing to change, apply
// is skipped and the app still deploys and is verified.
func TestPushWithoutChangesSkipsApplyAndDeploys(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "infra")
	w.applyDirectly("infra")
	res := w.act("push")

	require.Equal(t, "false", res.steps["plan"]["has-changes"])
	arts := w.artifacts()
	require.Len(t, arts, 1)
	require.Equal(t, []string{"infra/tfplan.lockstep.json"}, arts[0].Files, "no saved plan leaves the job without changes")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "skipped", "deploy": "success", "verify": "success",
	})
	require.Equal(t, "false", res.outputs["has-changes"])
	require.Equal(t, "success", res.outputs["result"])
	require.Regexp(t, `^app:.+-infra:.+$`, res.outputs["deployment-version"])
	w.requireAppDeployment(t)
	require.Contains(t, w.deployed(), deployTarget)
	res.requireNoSecrets(t)
}

// TestFailedApplyStopsTheDeploy: when apply fails (a provisioner exits 1),
// deploy and verify do not run.
func TestFailedApplyStopsTheDeploy(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "infra-fails")
	w.seedPlanArtifacts()
	res := w.act("push")
	// The plans are deleted after a failed apply too (if: always()).
	w.requirePlanArtifactsDeleted(t)

	// act stops the run at a failed job, so the caller's report job does not
	// run: read the jobs' own outputs from the log instead.
	require.Equal(t, "true", res.steps["plan"]["has-changes"])
	// The plan job's records and plans, the plans job's bundle, and the
	// failed attempt's report that a retry shows (retry_test.go).
	var names []string
	for _, a := range w.artifacts() {
		names = append(names, a.Name)
	}
	require.ElementsMatch(t, []string{w.planPrefix() + "-apply", w.planPrefix() + "-attempts", w.planPrefix() + "-plan-" + sha12(w.stack)}, names)
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "failure", "deploy": "skipped", "verify": "skipped",
	})
	// Failing is not enough: it must fail for the provisioner, not for a
	// missing command or a refused binding.
	if !strings.Contains(res.log, "this provisioner fails on purpose") {
		t.Fatalf("apply failed, but not because Terraform ran the failing provisioner\n%s", res.awaiting())
	}
	require.Equal(t, "failed", res.steps["apply"]["result"])
	require.Empty(t, w.gh.Deployments(owner, repo), "no app deployment after a failed apply")
	require.Empty(t, w.deployed())
	require.Zero(t, w.smokeHits.Load())
}

// world is one act run's surroundings: the caller's repository, the fake
// GitHub, a smoke-check target, state outside the workspace and the folder
// standing in for the artifact and cache services.
type world struct {
	t      *testing.T
	dir    string
	repo   string
	sha    string
	before string // the push's before commit; empty: all zeros (a new branch)
	stack  string
	// env is the environment input (the ENVIRONMENT var): staging unless a
	// test sets another before act runs.
	env string
	// approvalMode is the approval-mode input (the APPROVAL_MODE var); ""
	// leaves the workflow's default (auto).
	approvalMode string
	backend      string // the BACKEND_CONFIG var
	// allowDestroy is the allow-destroy input (the ALLOW_DESTROY var).
	allowDestroy bool
	// runAttempt is GITHUB_RUN_ATTEMPT ("Re-run all jobs" is the same run
	// again with the next attempt); 0 leaves act's 1.
	runAttempt int
	// engine and terraformVersion are the engine and terraform-version
	// inputs (the ENGINE and TERRAFORM_VERSION vars); "" leaves the
	// workflow's defaults.
	engine, terraformVersion string
	// pulumiStack is the stack input (the STACK var), for engine pulumi
	// and cloudformation; template and parametersFile are CloudFormation's
	// (the TEMPLATE and PARAMETERS_FILE vars).
	pulumiStack, template, parametersFile string
	// varFiles is the var-files input (the VAR_FILES var).
	varFiles string
	// terraformEnv are more NAME=value lines of the TERRAFORM_ENV secret.
	terraformEnv []string
	// inputLog is where every lockstep step records its engine inputs
	// (recordingBinary).
	inputLog  string
	state     string
	shared    string
	deployLog string
	report    string
	gh        *fakegithub.Server
	// planKey is the LOCKSTEP_PLAN_KEY secret, "" for none; private marks
	// the repository private in the event payload.
	planKey   string
	private   bool
	smoke     *httptest.Server
	smokeHits atomic.Int64

	// approverToken is the LOCKSTEP_APPROVER_TOKEN secret, "" for none.
	approverToken string
	// deployEnvironment is the deploy-environment input (the
	// DEPLOY_ENV_NAME var); "" leaves the workflow's default (none).
	deployEnvironment string
	// deployCommand replaces the deploy-command (the DEPLOY_COMMAND var),
	// which by default appends $DEPLOY_TARGET to deployLog.
	deployCommand string

	// noEnginesOnPath, set before act runs, leaves every directory that
	// holds a terraform or tofu out of the PATH act and the steps see, so
	// that only an engine lockstep installs can run (pinned_test.go).
	noEnginesOnPath bool
	// extraEnv is added to the environment act and the steps see
	// (KEY=value; it wins over this process's value of the same name).
	extraEnv []string
	// caller is the workflow act runs, in .github/workflows; "" means
	// caller.yml.
	caller string
	// extraSecrets are more secrets of the run (a caller that maps its own
	// names, such as STAGING_TERRAFORM_ENV).
	extraSecrets map[string]string
	// timeout bounds the act run; 0 means actTimeout.
	timeout time.Duration
	// host runs the pipeline with lockstep-runs-on: host (the RUNS_ON var):
	// the lockstep steps stay as they are, the lockstep checkout copies this
	// repository's source, and the workflow's own step builds the binary.
	host bool
}

// callerFile is the workflow act runs.
func (w *world) callerFile() string {
	if w.caller == "" {
		return "caller.yml"
	}
	return w.caller
}

// newWorld makes a world whose caller plans stack (the working-directory
// input). files, when given, are written into the caller's repository over
// testdata/repo before its first commit; "@STATE@" in them becomes the
// folder outside the workspace where state lives.
func newWorld(t *testing.T, stack string, files ...map[string]string) *world {
	t.Helper()
	return newWorldMode(t, false, stack, files...)
}

// newHostWorld is newWorld for a pipeline with lockstep-runs-on: host.
func newHostWorld(t *testing.T, stack string, files ...map[string]string) *world {
	t.Helper()
	return newWorldMode(t, true, stack, files...)
}

func newWorldMode(t *testing.T, host bool, stack string, files ...map[string]string) *world {
	t.Helper()
	actBinary(t) // skip before any work when act is missing
	if _, err := exec.LookPath("jq"); err != nil {
		// pipeline.yml's plans job sums up the binding records with jq, which
		// GitHub's runner images have; act runs it on this host.
		if os.Getenv("LOCKSTEP_REQUIRE_ACT") != "" {
			t.Fatal("jq not found: install it (apt-get install jq); pipeline.yml's plans job needs it")
		}
		t.Skip("jq not found: install it (apt-get install jq); set LOCKSTEP_REQUIRE_ACT=1 to make this a failure")
	}
	bin := lockstepBinary(t)
	helper, err := os.Executable()
	require.NoError(t, err)
	inputs := actionInputs(t)

	dir := t.TempDir()
	w := &world{
		t:         t,
		dir:       dir,
		repo:      filepath.Join(dir, "repo"),
		stack:     stack,
		env:       "staging",
		state:     filepath.Join(dir, "state", "terraform.tfstate"),
		shared:    filepath.Join(dir, "shared"),
		deployLog: filepath.Join(dir, "deployed.log"),
		report:    filepath.Join(dir, "outputs.json"),
		inputLog:  filepath.Join(dir, "inputs.log"),
		planKey:   planKey,
		host:      host,
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(w.state), 0o755))
	require.NoError(t, os.MkdirAll(w.shared, 0o755))

	// The caller's repository: testdata/repo plus the real pipeline.yml, both
	// substituted.
	require.NoError(t, copyDir(filepath.Join("testdata", "repo"), w.repo))
	w.backend = "path=" + w.state
	for _, set := range files {
		for name, content := range set {
			p := filepath.Join(w.repo, filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(content, "@STATE@", filepath.Dir(w.state))), 0o644))
		}
	}
	o := Options{Binary: recordingBinary(t, dir, bin, w.inputLog), Helper: helper, Inputs: inputs, Host: host}
	workflows := filepath.Join(w.repo, ".github", "workflows")
	require.NoError(t, SubstituteFile(filepath.Join(tftest.RepoRoot(), ".github", "workflows", "pipeline.yml"), filepath.Join(workflows, "pipeline.yml"), o))
	// drift.yml too, for drift-caller.yml (drift_test.go).
	require.NoError(t, SubstituteFile(filepath.Join(tftest.RepoRoot(), ".github", "workflows", "drift.yml"), filepath.Join(workflows, "drift.yml"), o))
	// pipeline-oidc.yml too, for the OIDC caller (deployenv_test.go).
	require.NoError(t, SubstituteFile(filepath.Join(tftest.RepoRoot(), ".github", "workflows", "pipeline-oidc.yml"), filepath.Join(workflows, "pipeline-oidc.yml"), o))
	require.NoError(t, SubstituteFile(filepath.Join(workflows, "caller.yml"), filepath.Join(workflows, "caller.yml"), o))
	w.git("init", "-q", "-b", "main")
	w.git("remote", "add", "origin", "https://github.com/"+owner+"/"+repo+".git")
	w.git("add", "-A")
	w.git("-c", "user.name=act test", "-c", "user.email=act@lockstep.invalid", "commit", "-q", "-m", "the caller's repository")
	w.sha = w.git("rev-parse", "HEAD")

	w.gh = fakegithub.New(t)
	w.gh.AddRepo(owner, repo)
	w.gh.SetEnvironment(owner, repo, "staging")

	w.smoke = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		w.smokeHits.Add(1)
		fmt.Fprintln(rw, "ok")
	}))
	t.Cleanup(w.smoke.Close)
	return w
}

// commit changes the caller's repository in a new commit ("" deletes a
// file); the next push runs from the previous commit to it.
func (w *world) commit(files map[string]string) {
	w.t.Helper()
	tftest.WriteFiles(w.t, w.repo, files)
	w.git("add", "-A")
	w.git("-c", "user.name=act test", "-c", "user.email=act@lockstep.invalid", "commit", "-q", "-m", "a change")
	w.before, w.sha = w.sha, w.git("rev-parse", "HEAD")
}

func (w *world) git(args ...string) string {
	w.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = w.repo
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	require.NoError(w.t, err, "git %v:\n%s", args, out)
	return strings.TrimSpace(string(out))
}

// applyDirectly applies a stack with Terraform into the world's state, so
// that the pipeline's plan finds nothing to change.
func (w *world) applyDirectly(stack string) {
	w.t.Helper()
	work := filepath.Join(w.dir, "direct")
	require.NoError(w.t, copyDir(filepath.Join(w.repo, stack), work))
	tf := tftest.Path(w.t)
	for _, args := range [][]string{
		{"init", "-input=false", "-backend-config=path=" + w.state},
		{"apply", "-input=false", "-auto-approve"},
	} {
		cmd := exec.Command(tf, args...)
		cmd.Dir = work
		cmd.Env = append(w.baseEnv(), "TF_VAR_api_token="+apiToken, "TF_VAR_greeting="+greeting)
		out, err := cmd.CombinedOutput()
		require.NoError(w.t, err, "terraform %v:\n%s", args, out)
	}
}

// baseEnv is the environment act and the steps run in: this process's,
// without anything a surrounding GitHub Actions job or a user's Terraform or
// act configuration would leak in, plus what the action's image sets.
func (w *world) baseEnv() []string {
	home := filepath.Join(w.dir, "home")
	_ = os.MkdirAll(home, 0o755)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "RUNNER_"), strings.HasPrefix(k, "ACTIONS_"),
			strings.HasPrefix(k, "INPUT_"), strings.HasPrefix(k, "TF_"), strings.HasPrefix(k, "LOCKSTEP_"),
			strings.HasPrefix(k, "XDG_"), k == "HOME", k == "CI", k == "PATH":
			continue
		}
		env = append(env, kv)
	}
	path := os.Getenv("PATH")
	if w.noEnginesOnPath {
		path = withoutEngines(path)
	} else {
		tfDir := filepath.Dir(tftest.Path(w.t))
		if w.engine == "opentofu" {
			// tofu first: engine opentofu's default terraform-path is tofu.
			tfDir = filepath.Dir(tftest.Tofu(w.t)) + string(os.PathListSeparator) + tfDir
		}
		path = tfDir + string(os.PathListSeparator) + path
	}
	// os/exec keeps the last value of a repeated name: extraEnv wins.
	return append(append(env,
		"PATH="+path,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		// As in the action's image (Dockerfile).
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	), w.extraEnv...)
}

// withoutEngines is the PATH list without the directories that hold a
// terraform or tofu.
func withoutEngines(path string) string {
	var dirs []string
	for _, d := range filepath.SplitList(path) {
		if !isFile(filepath.Join(d, "terraform")) && !isFile(filepath.Join(d, "tofu")) {
			dirs = append(dirs, d)
		}
	}
	return strings.Join(dirs, string(os.PathListSeparator))
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// actCache is act's --action-cache-path. On the host (-self-hosted) act
// sets RUNNER_TOOL_CACHE to its tool_cache folder (runnerToolCache) for
// every job, whatever this process's environment says.
func (w *world) actCache() string { return filepath.Join(w.dir, "act-cache") }

// runnerToolCache is RUNNER_TOOL_CACHE as act's steps see it on the host:
// the same folder for every job of the run, as on a self-hosted runner.
// act does not create it.
func (w *world) runnerToolCache() string { return filepath.Join(w.actCache(), "tool_cache") }

// result is what one act run showed.
type result struct {
	jobs    map[string]string // pipeline job ID -> success, failure or skipped
	order   []string          // pipeline job IDs in the order they finished or were skipped
	log     string            // every message act logged
	outputs map[string]string // pipeline.yml's outputs, from the caller's report job
	// steps are the step outputs each pipeline job set, from act's log (the
	// report job does not run after a failed job).
	steps map[string]map[string]string
	// matrix holds each matrix job's instances: job ID -> the instance's
	// matrix directory -> its result.
	matrix map[string]map[string]string
	// raw is act's output, for callers whose pipeline jobs are not under
	// callerJob (parseActLogFor).
	raw []byte
}

// act runs the caller workflow for event and collects the results. A failing
// act run is not a test failure by itself: the jobs' results are asserted.
func (w *world) act(event string) result {
	w.t.Helper()
	eventFile := filepath.Join(w.dir, "event.json")
	require.NoError(w.t, os.WriteFile(eventFile, w.eventPayload(event), 0o644))
	secretValues := map[string]string{
		"GITHUB_TOKEN":  "ghs_actTestToken0123456789",
		"TERRAFORM_ENV": "# exported by pipeline.yml's Export TERRAFORM_ENV step\nTF_VAR_api_token=" + apiToken + "\nTF_VAR_greeting=" + greeting + "\n" + strings.Join(w.terraformEnv, "\n"),
		"DEPLOY_ENV":    "DEPLOY_TARGET=" + deployTarget,
	}
	if w.planKey != "" {
		secretValues["LOCKSTEP_PLAN_KEY"] = w.planKey
	}
	if w.approverToken != "" {
		secretValues["LOCKSTEP_APPROVER_TOKEN"] = w.approverToken
	}
	for k, v := range w.extraSecrets {
		secretValues[k] = v
	}
	secrets := writeYAML(w.t, filepath.Join(w.dir, "secrets.yml"), secretValues)
	vars := writeYAML(w.t, filepath.Join(w.dir, "vars.yml"), map[string]string{
		"WORKING_DIRECTORY": w.stack,
		"ENVIRONMENT":       w.env,
		"APPROVAL_MODE":     w.approvalMode,
		"BACKEND_CONFIG":    w.backend,
		"ALLOW_DESTROY":     strconv.FormatBool(w.allowDestroy),
		"RUNS_ON":           map[bool]string{true: "host", false: "container"}[w.host],
		"ENGINE":            w.engine,
		"TERRAFORM_VERSION": w.terraformVersion,
		"STACK":             w.pulumiStack,
		"TEMPLATE":          w.template,
		"PARAMETERS_FILE":   w.parametersFile,
		"VAR_FILES":         w.varFiles,
		"DEPLOY_COMMAND":    cmp.Or(w.deployCommand, `printf '%s\n' "$DEPLOY_TARGET" >> '`+w.deployLog+`'`),
		"DEPLOY_ENV_NAME":   w.deployEnvironment,
		"SMOKE_URLS":        w.smoke.URL + "/healthz",
		"REPORT_FILE":       w.report,
	})
	empty := filepath.Join(w.dir, "empty.env")
	require.NoError(w.t, os.WriteFile(empty, nil, 0o644))

	timeout := actTimeout
	if w.timeout > 0 {
		timeout = w.timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, actBinary(w.t), event,
		"--directory", w.repo,
		"--workflows", filepath.Join(".github", "workflows", w.callerFile()),
		"--no-recurse",
		"--platform", "ubuntu-latest=-self-hosted",
		"--eventpath", eventFile,
		"--json", "--verbose",
		"--action-cache-path", w.actCache(),
		"--no-cache-server",
		"--defaultbranch", "main",
		"--actor", "octocat",
		"--env", "GITHUB_API_URL="+strings.TrimSuffix(w.gh.APIURL(), "/"),
		"--env", "GITHUB_RUN_ID="+strconv.Itoa(actRunID),
		"--env", "GITHUB_RUN_ATTEMPT="+strconv.Itoa(max(1, w.runAttempt)),
		"--secret-file", secrets,
		"--var-file", vars,
		"--env-file", empty,
		"--input-file", empty,
	)
	cmd.Dir = w.repo
	cmd.Env = append(w.baseEnv(),
		EnvHelper+"=1",
		EnvRepo+"="+w.repo,
		EnvShared+"="+w.shared,
	)
	if w.host {
		cmd.Env = append(cmd.Env, EnvLockstepSource+"="+tftest.RepoRoot())
		// The workflow builds lockstep with this Go, its module and build
		// caches (the same flags as lockstepBinary: only the link is new),
		// and never a downloaded toolchain.
		for _, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
			out, err := exec.Command("go", "env", name).Output()
			require.NoError(w.t, err)
			cmd.Env = append(cmd.Env, name+"="+strings.TrimSpace(string(out)))
		}
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
	}
	out, err := cmd.CombinedOutput()
	require.NoError(w.t, ctx.Err(), "act did not finish within %s", timeout)
	res := parseActLog(out)
	res.raw = out
	if err != nil || os.Getenv("LOCKSTEP_ACT_VERBOSE") != "" {
		w.t.Logf("act exited with %v; its log (without debug lines):\n%s", err, humanLog(out))
	}
	w.t.Cleanup(func() {
		if w.t.Failed() && err == nil {
			w.t.Logf("act's log (without debug lines):\n%s", humanLog(out))
		}
	})
	res.outputs = map[string]string{}
	if data, err := os.ReadFile(w.report); err == nil {
		require.NoError(w.t, json.Unmarshal(data, &res.outputs), "the report job's file:\n%s", data)
	} else {
		w.t.Logf("the caller's report job wrote no outputs: %v", err)
	}
	return res
}

func (w *world) eventPayload(event string) []byte {
	repository := map[string]any{
		"name": repo, "full_name": owner + "/" + repo, "default_branch": "main",
		"owner":   map[string]any{"login": owner},
		"private": w.private, "visibility": map[bool]string{true: "private", false: "public"}[w.private],
	}
	var payload map[string]any
	switch event {
	case "push":
		before := w.before
		if before == "" {
			before = strings.Repeat("0", 40)
		}
		payload = map[string]any{
			"ref": "refs/heads/main", "before": before, "after": w.sha,
			"head_commit": map[string]any{"id": w.sha}, "repository": repository,
		}
	case "pull_request":
		payload = map[string]any{
			"action": "synchronize", "number": 7, "repository": repository,
			"pull_request": map[string]any{
				"number": 7,
				"head":   map[string]any{"sha": w.sha, "ref": "feature"},
				"base":   map[string]any{"sha": w.sha, "ref": "main"},
			},
		}
	case "workflow_dispatch", "schedule":
		payload = map[string]any{"ref": "refs/heads/main", "repository": repository}
	default:
		w.t.Fatalf("no payload for event %s", event)
	}
	data, err := json.Marshal(payload)
	require.NoError(w.t, err)
	return data
}

// planPrefix is the artifact prefix pipeline.yml's detect job gives this
// world's call: environment and a hash of the working-directory input.
func (w *world) planPrefix() string {
	sum := sha256.Sum256([]byte(w.stack))
	return "lockstep-" + w.env + "-" + hex.EncodeToString(sum[:])[:8]
}

// seedPlanArtifacts registers, in the fake GitHub's artifacts API, the plan
// artifacts this run's call of pipeline.yml names (the stand-in for
// upload-artifact keeps its files in a folder, not behind the API), and
// bystanders: another call's, another run's, and an unrelated one.
func (w *world) seedPlanArtifacts() {
	prefix := w.planPrefix()
	w.gh.AddArtifact(owner, repo, actRunID, prefix+"-plan-0123456789ab", 1024)
	w.gh.AddArtifact(owner, repo, actRunID, prefix+"-apply", 1024)
	w.gh.AddArtifact(owner, repo, actRunID, "lockstep-staging-ffffffff-apply", 1024)
	w.gh.AddArtifact(owner, repo, actRunID, "test-results", 10)
	w.gh.AddArtifact(owner, repo, actRunID+1, prefix+"-apply", 1024)
}

// requirePlanArtifactsDeleted checks the apply job deleted exactly the
// artifacts seedPlanArtifacts made for this call of this run.
func (w *world) requirePlanArtifactsDeleted(t *testing.T) {
	t.Helper()
	var left []string
	for _, a := range w.gh.Artifacts(owner, repo) {
		left = append(left, fmt.Sprintf("%d/%s", a.RunID, a.Name))
	}
	require.Equal(t, []string{
		fmt.Sprintf("%d/lockstep-staging-ffffffff-apply", actRunID),
		fmt.Sprintf("%d/test-results", actRunID),
		fmt.Sprintf("%d/%s-apply", actRunID+1, w.planPrefix()),
	}, left, "the apply job deletes this call's plan artifacts of this run, and nothing else")
}

// artifacts lists what the upload stand-in stored.
func (w *world) artifacts() []ArtifactMeta {
	w.t.Helper()
	files, _ := filepath.Glob(filepath.Join(w.shared, "artifacts", "*.json"))
	var out []ArtifactMeta
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(w.t, err)
		var m ArtifactMeta
		require.NoError(w.t, json.Unmarshal(data, &m))
		out = append(out, m)
	}
	return out
}

func (w *world) deployed() string {
	data, _ := os.ReadFile(w.deployLog)
	return string(data)
}

// requireAppDeployment checks lockstep's own record of the app deployment:
// a deploy:app Deployment in the environment whose latest status is success.
// (act creates no automatic environment Deployments, so every Deployment the
// fake GitHub holds is lockstep's.)
func (w *world) requireAppDeployment(t *testing.T) {
	t.Helper()
	deps := w.gh.Deployments(owner, repo)
	require.NotEmpty(t, deps, "deploy recorded a GitHub Deployment")
	for _, d := range deps {
		require.Equal(t, "deploy:app", d.Task, "lockstep's deployments carry task deploy:app, apart from the apply job's automatic ones")
		require.Equal(t, w.env, d.Environment)
	}
	last := deps[len(deps)-1]
	statuses := w.gh.Statuses(owner, repo, last.ID)
	require.NotEmpty(t, statuses)
	require.Equal(t, "success", statuses[len(statuses)-1].State)
}

func (r result) requireJobs(t *testing.T, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, j := range pipelineJobs {
		got[j] = r.jobs[j]
		if got[j] == "" {
			got[j] = "(never reported)"
		}
	}
	if !assertEqualMaps(want, got) {
		t.Fatalf("pipeline job results:\n  want %v\n  got  %v\n%s", want, got, r.awaiting())
	}
}

// awaiting explains a failed job whose lockstep command is not built yet.
func (r result) awaiting() string {
	var notes []string
	for _, m := range notImplemented.FindAllStringSubmatch(r.log, -1) {
		notes = append(notes, fmt.Sprintf("  note: `lockstep %s` is not implemented yet in this build", m[1]))
	}
	return strings.Join(dedupe(notes), "\n")
}

var notImplemented = regexp.MustCompile(`command "([a-z]+)" is not implemented`)

func (r result) requireOrder(t *testing.T, jobs ...string) {
	t.Helper()
	pos := map[string]int{}
	for i, j := range r.order {
		if _, ok := pos[j]; !ok {
			pos[j] = i
		}
	}
	for i := 1; i < len(jobs); i++ {
		require.Less(t, pos[jobs[i-1]], pos[jobs[i]], "%s finished before %s", jobs[i-1], jobs[i])
	}
}

// requireNoSecrets checks that no secret value reached act's log unmasked.
func (r result) requireNoSecrets(t *testing.T) {
	t.Helper()
	for _, s := range []string{apiToken, deployTarget, planKey} {
		if i := strings.Index(r.log, s); i >= 0 {
			t.Errorf("a secret value reached act's log: …%s…", r.log[max(0, i-200):i])
		}
	}
}

// actLine is one line of `act --json` output.
type actLine struct {
	Job       string         `json:"job"`
	JobID     string         `json:"jobID"`
	JobResult string         `json:"jobResult"`
	Level     string         `json:"level"`
	Msg       string         `json:"msg"`
	Matrix    map[string]any `json:"matrix"`
}

// setOutput is how act logs a step output.
var setOutput = regexp.MustCompile(`(?s)^\s*⚙\s+::set-output:: ([A-Za-z0-9_-]+)=(.*)$`)

func parseActLog(out []byte) result { return parseActLogFor(out, callerJob) }

// parseActLogFor is parseActLog for the reusable workflow that the caller's
// job caller calls.
func parseActLogFor(out []byte, caller string) result {
	res := result{jobs: map[string]string{}, steps: map[string]map[string]string{}, matrix: map[string]map[string]string{}}
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var l actLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			msgs = append(msgs, sc.Text())
			continue
		}
		msgs = append(msgs, l.Msg)
		if !strings.HasPrefix(l.Job, caller+"/") {
			continue
		}
		if m := setOutput.FindStringSubmatch(l.Msg); m != nil {
			if res.steps[l.JobID] == nil {
				res.steps[l.JobID] = map[string]string{}
			}
			res.steps[l.JobID][m[1]] = m[2]
		}
		if l.JobResult == "" {
			continue
		}
		if dir, ok := l.Matrix["directory"].(string); ok {
			if res.matrix[l.JobID] == nil {
				res.matrix[l.JobID] = map[string]string{}
			}
			res.matrix[l.JobID][dir] = l.JobResult
		}
		// act may log a job as skipped before it runs it: the last word counts.
		// For a matrix job, that is its last instance's.
		res.jobs[l.JobID] = l.JobResult
		if l.JobResult != "skipped" {
			res.order = append(res.order, l.JobID)
		}
	}
	res.log = strings.Join(msgs, "\n")
	return res
}

// humanLog is act's output without debug lines, for test logs.
func humanLog(out []byte) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var l actLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			b.WriteString(sc.Text() + "\n")
			continue
		}
		if l.Level == "debug" && l.JobResult == "" {
			continue
		}
		fmt.Fprintf(&b, "[%s] %s\n", l.Job, strings.TrimRight(l.Msg, "\n"))
	}
	return b.String()
}

func writeYAML(t *testing.T, path string, m map[string]string) string {
	t.Helper()
	data, err := yaml.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(path, filepath.Join(dst, rel), 0o644)
	})
}

func assertEqualMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// sha12 is the first 12 hex digits of the SHA-256 of s, as pipeline.yml
// names a plan job's artifact after its directories.
func sha12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}
