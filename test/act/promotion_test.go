package act

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

// The example workflow workflows/staging-then-production.yml, run end to
// end: its staging job calls pipeline.yml for staging, its production job
// (needs: staging) calls it again for production with promote-from:
// staging.
//
// The test runs the example file itself after a rewrite of only what names
// the user's own infrastructure or would wait for minutes
// (promotionRewrites), and fails when the example no longer has a key it
// rewrites, so the two cannot drift apart silently. Everything else - the
// triggers, concurrency, needs, permissions, the secrets each call maps,
// var-files, deploy-command, strategy, canary-steps and promote-from - runs
// as written.

// promotionRewrites are the with: values of the example that the test
// replaces (nil deletes the key), per job; "@STATE@" and "@SMOKE@" become
// the state folder and the smoke server's URL.
var promotionRewrites = map[string]map[string]*string{
	"staging": {
		// A backend keyed per environment: the local backend takes a path.
		"backend-config": ptr("path=@STATE@/staging.tfstate"),
		"smoke-urls":     ptr("@SMOKE@/staging/healthz"),
		// The default retries a failing check for two minutes.
		"smoke-timeout": ptr("3s"),
	},
	"production": {
		"backend-config": ptr("path=@STATE@/production.tfstate"),
		"smoke-urls":     ptr("@SMOKE@/production/healthz"),
		// Ten minutes of watch and a one-minute bake per canary step
		// (the default) are right on GitHub and too long here.
		"watch":       ptr("1s"),
		"canary-bake": ptr("1s"),
		// The metrics gate needs a Prometheus with the app's metrics; it
		// has its own tests (test/e2e), and this one is about promotion.
		"metrics-queries":      nil,
		"metrics-require-data": nil,
	},
}

// promotionAdded are the rewrites of keys the example does not have.
var promotionAdded = map[string]bool{"canary-bake": true, "smoke-timeout": true}

func ptr(s string) *string { return &s }

// deployScript is the example's ./scripts/deploy.sh in the test's
// repository: it records what lockstep handed it, one line per call
// (its argument, LOCKSTEP_ENVIRONMENT, DEPLOYMENT_VERSION,
// LOCKSTEP_APP_VERSION, LOCKSTEP_CANARY_WEIGHT), and whether DEPLOY_ENV's
// DEPLOY_TARGET reached it (never the value: it is a secret).
const deployScript = `#!/bin/sh
set -eu
target=missing
[ "${DEPLOY_TARGET:-}" = "` + deployTarget + `" ] && target=set
printf '%s %s %s %s %s %s\n' "$1" "$LOCKSTEP_ENVIRONMENT" "$DEPLOYMENT_VERSION" "$LOCKSTEP_APP_VERSION" "$LOCKSTEP_CANARY_WEIGHT" "$target" >> '@STATE@/deployed.log'
`

// exampleCaller is workflows/staging-then-production.yml with
// promotionRewrites applied and each call's uses: pointed at the
// substituted pipeline.yml of this checkout, in the test's repository.
func exampleCaller(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "workflows", "staging-then-production.yml"))
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc))
	jobs := lookup(root(&doc), "jobs")
	require.NotNil(t, jobs)
	for job, rewrites := range promotionRewrites {
		j := lookup(jobs, job)
		require.NotNil(t, j, "the example has no job %s", job)
		uses := lookup(j, "uses")
		require.NotNil(t, uses, "job %s calls no workflow", job)
		// act cannot fetch the published workflow (no network): the
		// calls run this checkout's pipeline.yml, which is what the pinned
		// release would be.
		require.True(t, strings.HasPrefix(uses.Value, "lockstep-ci/lockstep/.github/workflows/pipeline.yml@"), "job %s: uses %s", job, uses.Value)
		uses.Value, uses.LineComment = "./.github/workflows/pipeline.yml", ""
		with := lookup(j, "with")
		require.NotNil(t, with, "job %s has no with:", job)
		for key, v := range rewrites {
			i := keyIndex(with, key)
			require.Equal(t, promotionAdded[key], i < 0, "job %s: the example's with: should %shave %s", job, map[bool]string{true: "not ", false: ""}[promotionAdded[key]], key)
			switch {
			case v == nil:
				with.Content = append(with.Content[:i], with.Content[i+2:]...)
			case i < 0:
				with.Content = append(with.Content, scalar(key), scalar(*v))
			default:
				with.Content[i+1] = scalar(*v)
			}
		}
		// act has no job.workflow_sha (see caller.yml); the lockstep
		// checkout is skipped anyway.
		with.Content = append(with.Content, scalar("lockstep-repository"), scalar("lockstep-ci/lockstep"), scalar("lockstep-ref"), scalar("act-test"))
	}
	// What the test is about runs as written.
	prod := lookup(lookup(jobs, "production"), "with")
	require.Equal(t, "staging", lookup(prod, "promote-from").Value)
	require.Equal(t, "staging", lookup(lookup(jobs, "production"), "needs").Value)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	require.NoError(t, enc.Encode(&doc))
	require.NoError(t, enc.Close())
	return buf.String()
}

func keyIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// promotionWorld is a push to main of a commit that changes infra, with the
// example as the caller: staging without reviewers, production with alice
// as its required reviewer, who approved this run's production apply (act
// pauses no job for reviewers; lockstep's gate reads the approval from the
// API). onStagingProbe, when set, runs on the first smoke check of staging.
type promotionWorld struct {
	*world
	stagingState, productionState string
	deployLog                     string
	hits                          map[string]*atomic.Int64
	// stagingDown makes staging's smoke URL answer 503.
	stagingDown atomic.Bool
}

func newPromotionWorld(t *testing.T, onStagingProbe func()) *promotionWorld {
	t.Helper()
	w := newWorld(t, "infra", map[string]string{
		"infra/staging.tfvars":    "greeting = \"hello staging\"\n",
		"infra/production.tfvars": "greeting = \"hello production\"\n",
		"scripts/deploy.sh":       deployScript,
	})
	p := &promotionWorld{
		world:           w,
		stagingState:    filepath.Join(filepath.Dir(w.state), "staging.tfstate"),
		productionState: filepath.Join(filepath.Dir(w.state), "production.tfstate"),
		deployLog:       filepath.Join(filepath.Dir(w.state), "deployed.log"),
		hits:            map[string]*atomic.Int64{"staging": {}, "production": {}},
	}
	var once sync.Once
	smoke := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		env, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if c, ok := p.hits[env]; ok {
			c.Add(1)
		}
		if env == "staging" && onStagingProbe != nil {
			once.Do(onStagingProbe)
		}
		if env == "staging" && p.stagingDown.Load() {
			http.Error(rw, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(rw, "ok")
	}))
	t.Cleanup(smoke.Close)

	caller := strings.NewReplacer("@STATE@", filepath.Dir(w.state), "@SMOKE@", smoke.URL).Replace(exampleCaller(t))
	tftest.WriteFiles(t, w.repo, map[string]string{".github/workflows/staging-then-production.yml": caller})
	require.NoError(t, os.Chmod(filepath.Join(w.repo, "scripts", "deploy.sh"), 0o755))
	// Into the push's one commit (a second commit would push only these
	// files, and no stack would have changed).
	w.git("add", "-A")
	w.git("-c", "user.name=act test", "-c", "user.email=act@lockstep.invalid", "commit", "-q", "--amend", "--no-edit")
	w.sha = w.git("rev-parse", "HEAD")

	w.caller = "staging-then-production.yml"
	w.backend = ""
	w.timeout = 300 * time.Second
	w.extraSecrets = map[string]string{
		"STAGING_TERRAFORM_ENV":    "TF_VAR_api_token=" + apiToken,
		"PRODUCTION_TERRAFORM_ENV": "TF_VAR_api_token=" + apiToken,
	}
	// As the example's step 1 sets it up: required reviewers with
	// self-review prevented, no admin bypass, protected branches only.
	w.gh.PutEnvironment(owner, repo, fakegithub.Environment{
		Name: "production", Reviewers: []fakegithub.Reviewer{{Type: "User", Login: "alice"}}, PreventSelfReview: true,
		BranchPolicy: &fakegithub.DeploymentBranchPolicy{ProtectedBranches: true},
	})
	w.gh.SetBranchProtected(owner, repo, "main", true)
	w.gh.SetRunApprovals(owner, repo, actRunID, fakegithub.Approval{
		State: "approved", User: "alice", Comment: "ship it", Environments: []string{"production"},
	})
	return p
}

// deploys are the deploy script's lines, split into their fields.
func (p *promotionWorld) deploys(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile(p.deployLog)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		out = append(out, strings.Fields(l))
	}
	return out
}

// appDeployments are lockstep's deploy:app deployments to env.
func (p *promotionWorld) appDeployments(env string) []fakegithub.Deployment {
	var out []fakegithub.Deployment
	for _, d := range p.gh.Deployments(owner, repo) {
		if d.Environment == env && d.Task == "deploy:app" {
			out = append(out, d)
		}
	}
	return out
}

// stateGreeting is the greeting output of the state at path.
func stateGreeting(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var st struct {
		Outputs map[string]struct {
			Value any `json:"value"`
		} `json:"outputs"`
	}
	require.NoError(t, json.Unmarshal(data, &st))
	v, _ := st.Outputs["greeting"].Value.(string)
	return v
}

// jobLog is what act logged for one job of the reusable workflow that the
// caller's job caller calls.
func jobLog(raw []byte, caller, job string) string {
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var l actLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && strings.HasPrefix(l.Job, caller+"/") && l.JobID == job {
			b.WriteString(l.Msg + "\n")
		}
	}
	return b.String()
}

var allSuccess = map[string]string{
	"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
}

// Staging applies, deploys and verifies; then production's plan tells the
// approver that staging succeeded with which app version, apply applies
// after alice's approval, and the canary deploys the very app and
// deployment version that staging verified.
func TestStagingThenProductionPromotes(t *testing.T) {
	t.Parallel()
	p := newPromotionWorld(t, nil)
	res := p.act("push")
	staging, production := parseActLogFor(res.raw, "staging"), parseActLogFor(res.raw, "production")
	staging.requireJobs(t, allSuccess)
	production.requireJobs(t, allSuccess)

	// Each environment's state, with its own var-file.
	require.Equal(t, "hello staging", stateGreeting(t, p.stagingState))
	require.Equal(t, "hello production", stateGreeting(t, p.productionState))

	// One direct deploy to staging, then the canary's three steps to
	// production, every one with the same versions.
	deploys := p.deploys(t)
	require.Len(t, deploys, 4, "%v", deploys)
	st := deploys[0]
	require.Equal(t, []string{"staging", "staging"}, st[:2])
	require.Equal(t, "100", st[4])
	require.Equal(t, "set", st[5], "DEPLOY_ENV reached the script")
	appVersion, deploymentVersion := st[3], st[2]
	require.Regexp(t, `^app:.+-infra:.+$`, deploymentVersion)
	require.Equal(t, "app:"+appVersion+"-infra:", deploymentVersion[:len("app:"+appVersion+"-infra:")])
	for i, weight := range []string{"10", "50", "100"} {
		require.Equal(t, []string{"production", "production", deploymentVersion, appVersion, weight, "set"}, deploys[1+i], "canary step %d", i+1)
	}
	require.Equal(t, appVersion, staging.steps["deploy"]["app-version"])
	require.Equal(t, appVersion, production.steps["deploy"]["app-version"], "production shipped staging's app version")
	require.Equal(t, deploymentVersion, production.steps["deploy"]["deployment-version"])

	// The ledger: one successful app deployment per environment, of this
	// commit and that app version.
	stagingDeps, prodDeps := p.appDeployments("staging"), p.appDeployments("production")
	require.Len(t, stagingDeps, 1)
	require.Len(t, prodDeps, 1)
	for _, d := range []fakegithub.Deployment{stagingDeps[0], prodDeps[0]} {
		require.Equal(t, p.sha, d.SHA)
		var payload map[string]any
		require.NoError(t, json.Unmarshal(d.Payload, &payload))
		require.Equal(t, appVersion, payload["app_version"])
		require.Equal(t, deploymentVersion, payload["deployment_version"])
		sts := p.gh.Statuses(owner, repo, d.ID)
		require.Equal(t, "success", sts[len(sts)-1].State)
	}

	// The production plan's job summary, what alice read before approving.
	summary := jobLog(res.raw, "production", "plan")
	require.Contains(t, summary, fmt.Sprintf("✅ **Promoted from staging:** this commit's app `%s` succeeded there (deployment %d, ", appVersion, stagingDeps[0].ID))
	require.Contains(t, summary, "Apply and deploy ship that same app version.")
	require.NotContains(t, jobLog(res.raw, "staging", "plan"), "Promoted from")
	require.Equal(t, "alice", production.steps["apply"]["approved-by"])
	require.Positive(t, p.hits["staging"].Load())
	require.Positive(t, p.hits["production"].Load())
	res.requireNoSecrets(t)
}

// While this run's staging deploy ran its smoke checks, another run
// deployed the same commit to staging and its verify failed (a re-run, a
// manual redeploy): the newest deployment of the commit to staging failed.
// This run's staging call still succeeds, so production starts (needs:
// staging holds), but promote-from reads the ledger afresh: the plan warns
// the approver, apply refuses not-promoted before Terraform runs (the
// production state is never written) and nothing deploys to production,
// even with alice's approval.
func TestStagingThenProductionRefusesWhatStagingDidNotProve(t *testing.T) {
	t.Parallel()
	var p *promotionWorld
	var failedID atomic.Int64
	p = newPromotionWorld(t, func() {
		deps := p.appDeployments("staging")
		if len(deps) != 1 {
			t.Errorf("the first staging smoke check came before staging's deployment was recorded: %v", deps)
			return
		}
		// The other run's deployment: the same commit and versions, as
		// lockstep records it, then marked failed by its verify.
		var payload map[string]any
		if err := json.Unmarshal(deps[0].Payload, &payload); err != nil {
			t.Error(err)
			return
		}
		payload["lockstep_id"] = "another-run"
		payload["run_url"] = "https://github.com/octo-org/shop/actions/runs/4343"
		var created struct {
			ID int64 `json:"id"`
		}
		if err := postJSON(p.gh.APIURL()+"repos/"+owner+"/"+repo+"/deployments", map[string]any{
			"ref": p.sha, "task": "deploy:app", "environment": "staging", "auto_merge": false,
			"required_contexts": []string{}, "description": deps[0].Description, "payload": payload,
		}, &created); err != nil {
			t.Error(err)
			return
		}
		if err := postJSON(fmt.Sprintf("%srepos/%s/%s/deployments/%d/statuses", p.gh.APIURL(), owner, repo, created.ID), map[string]any{
			"state": "failure", "description": "verify failed: the smoke check of /staging/healthz answered 503",
		}, nil); err != nil {
			t.Error(err)
			return
		}
		failedID.Store(created.ID)
	})
	res := p.act("push")
	staging, production := parseActLogFor(res.raw, "staging"), parseActLogFor(res.raw, "production")
	staging.requireJobs(t, allSuccess)
	require.NotZero(t, failedID.Load(), "the other run's deployment was recorded")
	production.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "failure", "deploy": "skipped", "verify": "skipped",
	})
	require.Equal(t, "refused", production.steps["apply"]["result"])
	require.Equal(t, "not-promoted", production.steps["apply"]["failure-reason"])
	short := p.sha[:7]
	applyLog := jobLog(res.raw, "production", "apply")
	require.Contains(t, applyLog, fmt.Sprintf("the latest deployment of commit %s to staging (app ", short))
	require.Contains(t, applyLog, fmt.Sprintf(", deployment %d, ", failedID.Load()))
	require.Contains(t, applyLog, "did not succeed (failure: verify failed: the smoke check of /staging/healthz answered 503)")
	require.Contains(t, jobLog(res.raw, "production", "plan"), "**Not promoted yet:**")

	// Staging is applied and deployed; production is untouched.
	require.Equal(t, "hello staging", stateGreeting(t, p.stagingState))
	_, err := os.Stat(p.productionState)
	require.True(t, os.IsNotExist(err), "nothing was applied to production: no state at %s (%v)", p.productionState, err)
	require.Empty(t, p.appDeployments("production"), "no app deployment to production")
	for _, d := range p.deploys(t) {
		require.Equal(t, "staging", d[0], "the deploy script ran for staging only: %v", d)
	}
	require.Zero(t, p.hits["production"].Load(), "production was never probed")
	res.requireNoSecrets(t)
}

// Staging's smoke check fails: its deploy marks the deployment failed and
// the staging call fails, so production (needs: staging) never starts,
// as on GitHub: no production plan, state or deployment.
func TestStagingThenProductionStopsAfterAFailedStaging(t *testing.T) {
	t.Parallel()
	p := newPromotionWorld(t, nil)
	p.stagingDown.Store(true)
	res := p.act("push")
	staging := parseActLogFor(res.raw, "staging")
	require.Equal(t, "failure", staging.jobs["deploy"], "jobs: %v", staging.jobs)
	require.Equal(t, "success", staging.jobs["apply"], "jobs: %v", staging.jobs)
	require.Equal(t, "hello staging", stateGreeting(t, p.stagingState))
	deps := p.appDeployments("staging")
	require.Len(t, deps, 1)
	sts := p.gh.Statuses(owner, repo, deps[0].ID)
	require.Equal(t, "failure", sts[len(sts)-1].State)

	production := parseActLogFor(res.raw, "production")
	for job, r := range production.jobs {
		require.NotEqual(t, "success", r, "production's %s ran after a failed staging", job)
	}
	_, err := os.Stat(p.productionState)
	require.True(t, os.IsNotExist(err), "nothing was applied to production: no state at %s (%v)", p.productionState, err)
	require.Empty(t, p.appDeployments("production"))
	for _, d := range p.deploys(t) {
		require.Equal(t, "staging", d[0], "the deploy script ran for staging only: %v", d)
	}
	require.Zero(t, p.hits["production"].Load())
	res.requireNoSecrets(t)
}

// postJSON posts body to the fake GitHub as a client would and decodes the
// answer into out (nil: discards it).
func postJSON(url string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
