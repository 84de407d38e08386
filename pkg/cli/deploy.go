package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/deploy"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/lockstep-ci/lockstep/pkg/verify"
)

// EnvOutputsJSON carries the non-sensitive Terraform outputs to deploy,
// verify and rollback as a JSON object of name to value: apply's outputs-json
// output, passed on by the workflow. When it is set, deploy does not ask
// Terraform for them; verify and rollback never do (a rollback never runs
// Terraform), so without it their redeploy gets no LOCKSTEP_OUTPUT_*.
const EnvOutputsJSON = "LOCKSTEP_OUTPUTS_JSON"

// runDeploy deploys the app onto the infrastructure as it is now: it derives
// the versions, records the deployment in the ledger, rolls the app out with
// the environment's strategy and checks, and rolls the app (never the
// infrastructure) back when that fails and rollback is auto.
func runDeploy(ctx context.Context, a *app) error {
	return deployApp(ctx, a, deployOptions{})
}

// deployOptions are what the local pipeline knows about the stages before
// deploy that a lone deploy command does not.
type deployOptions struct {
	// PlanSHA256 is the checksum of the plan the pipeline just applied, for
	// the record ("" when nothing was applied).
	PlanSHA256 string
	// OutputsJSON is apply's outputs-json ("" when apply did not run).
	OutputsJSON string
}

func deployApp(ctx context.Context, a *app, o deployOptions) error {
	if err := oneStack(a, "deploy"); err != nil {
		return err
	}
	if err := needEnvironment(a, "deploy"); err != nil {
		return err
	}
	pol, err := a.policy()
	if err != nil {
		return err
	}
	target, err := deployTarget(a)
	if err != nil {
		return err
	}
	if target == nil {
		return &badInput{errors.New(`deploy needs a way to deploy the app: set deploy-command (a shell command) or deploy-workflow (a workflow file that lockstep dispatches and waits for)`)}
	}
	promoted, err := a.promotion(ctx)
	if err != nil {
		return refusedDeploy(a, err)
	}
	v, err := deployVersions(ctx, a)
	if err != nil {
		return err
	}
	if v, err = a.promotedApp(promoted, v); err != nil {
		return refusedDeploy(a, err)
	}
	if promoted != nil {
		a.r.Printf("Promoting app %s from %s, where it succeeded for this commit (deployment %s).", v.app, a.cfg.PromoteFrom, promoted.ID)
	}
	// The versions are known before anything can fail: a failed deploy still
	// says which pair it was.
	if err := v.export(a); err != nil {
		return err
	}
	// The infra/app contract: the app's outputs must be there before
	// anything is recorded or deployed.
	outputs := infraOutputs(ctx, a, o.OutputsJSON, true)
	required, source, err := requiredOutputs(a)
	if err != nil {
		return err
	}
	if err := checkContract(a.cfg.WorkingDirectory(), required, source, outputs); err != nil {
		return refusedDeploy(a, err)
	}
	if len(required) > 0 {
		a.r.Printf("Infra contract: the app's %d required output(s) are present (from %s).", len(required), source)
	}
	strategy := deployStrategy(a, pol)
	gate, err := metricsGate(a)
	if err != nil {
		return err
	}
	var metricsRep metricsReports
	var stepGate deploy.Gate
	if gate != nil {
		if _, canary := strategy.(deploy.Canary); canary {
			// Before anything is recorded or deployed: a gate that cannot
			// be evaluated must not be found out at the first step.
			if err := checkMetrics(ctx, a, gate); err != nil {
				return refusedDeploy(a, err)
			}
			stepGate = deployGate(a, gate, &metricsRep)
		} else {
			a.r.Printf("Metrics gate: a direct deploy has no canary steps to gate; verify evaluates metrics-queries through its watch window.")
		}
	}
	ledger, where, err := deployLedger(ctx, a, pol)
	if err != nil {
		return err
	}

	var reports []verify.Report
	var check deploy.Check
	if len(a.cfg.SmokeURLs) > 0 {
		check = smokeChecker(a).SmokeCheck(a.cfg.SmokeURLs, a.cfg.SmokeTimeout, func(r verify.Report) {
			reports = append(reports, r)
			a.r.Printf("%s", r.Summary())
		})
	}
	progressLine := func(line string) { a.r.Printf("%s", line) }
	d := &deploy.Deployer{Ledger: ledger, Target: target, Check: check, Gate: stepGate, Progress: progressLine, Now: a.env.Now}
	a.r.Printf("Deploying app %s on infra %s to %s: %s (from %s); recording it in %s.",
		v.app, v.infra, a.cfg.Environment, strategyName(a, strategy), strategySource(a, pol), where)
	res, err := d.Deploy(ctx, deploy.Plan{
		Environment:  a.cfg.Environment,
		AppVersion:   v.app,
		InfraVersion: v.infra,
		PlanSHA256:   o.PlanSHA256,
		Commit:       a.gh.SHA,
		Actor:        deployActor(a),
		RunURL:       a.gh.RunURL(),
		Outputs:      outputStrings(outputs),
		Strategy:     strategy,
		AutoRollback: a.cfg.Rollback == config.Auto,
	})
	if res.Entry.ID != "" {
		if err := a.r.SetOutput("deployment-id", res.Entry.ID); err != nil {
			return err
		}
		if err := a.r.Summary(deploySummary(a, res, reports, &metricsRep, v)); err != nil {
			return err
		}
	}
	var failed *deploy.FailedError
	switch {
	case errors.As(err, &failed):
		return fail("deploy-failed", err)
	case err != nil:
		return fail("ledger-failed", err)
	}
	return a.r.SetOutput("result", "success")
}

// refusedDeploy reports a deploy refused before anything was recorded or
// deployed (promotion, the infra contract): outputs and the job summary.
func refusedDeploy(a *app, err error) error {
	var r *refusal
	if errors.As(err, &r) {
		_ = a.r.SetOutput("result", "refused")
		_ = a.r.SetOutput("failure-reason", r.Reason)
		_ = a.r.Summary("### Deploy refused · " + comment.EscapeText(a.cfg.Environment) + "\n\n> [!CAUTION]\n> **Nothing was deployed.** " + comment.EscapeText(r.Err.Error()) + "\n")
	}
	return err
}

// deploySummary is the job summary of a deploy: the rollout, the checks
// that decided it, and the traceability line.
func deploySummary(a *app, res deploy.Result, reports []verify.Report, mreps *metricsReports, v deployVersion) string {
	var b strings.Builder
	b.WriteString(res.Markdown())
	if res.Outcome.Strategy == "canary" {
		fmt.Fprintf(&b, "\nEach canary step bakes %s before its checks (%s).\n", res.Outcome.Bake, bakeSource(a))
	}
	if r, ok := mreps.deciding(); ok {
		b.WriteString("\n")
		if !r.OK() {
			b.WriteString("The metrics gate that stopped the rollout:\n\n")
		}
		b.WriteString(metricsSection(r))
	}
	// A step the metrics gate stopped ran no smoke checks: a report now is
	// the rollback's, which its own table already shows.
	f, failed := res.Outcome.FailedStep()
	if r, ok := decidingReport(reports); ok && !(failed && f.GateFailed) {
		b.WriteString("\n")
		if !r.OK() {
			b.WriteString("The checks that stopped the rollout:\n\n")
		}
		// A part of this deployment's section: one heading level down.
		b.WriteString(strings.Replace(r.Markdown(), "### ", "#### ", 1))
	}
	if !res.OK() && a.cfg.Rollback == config.Never {
		b.WriteString("\n#### ↩️ No rollback\n\n`rollback` is `never`: the failed version stays deployed.\n")
	}
	if len(a.cfg.SmokeURLs) == 0 && a.cfg.PrometheusURL == "" {
		b.WriteString("\n> [!NOTE]\n> No `smoke-urls` given: the app was deployed without checking its health; only a failing deploy triggers a rollback.\n")
	}
	fmt.Fprintf(&b, "\n**Traceability:** `%s=%s`", deploy.EnvDeploymentVersion, v.deployment())
	if rb := res.Rollback; rb != nil && rb.OK() {
		fmt.Fprintf(&b, "; after the rollback, `%s` runs", rb.Entry.DeploymentVersion)
	}
	b.WriteString("\n\n")
	return b.String()
}

// decidingReport is the smoke report that decided the rollout: the first
// failed one, else the last.
func decidingReport(reports []verify.Report) (verify.Report, bool) {
	for _, r := range reports {
		if !r.OK() {
			return r, true
		}
	}
	if len(reports) == 0 {
		return verify.Report{}, false
	}
	return reports[len(reports)-1], true
}

// deployVersion is the pair a deployment is about.
type deployVersion struct{ app, infra string }

func (v deployVersion) deployment() string { return trace.DeploymentVersion(v.app, v.infra) }

// export sets the version outputs and DEPLOYMENT_VERSION for later steps.
func (v deployVersion) export(a *app) error {
	for _, o := range [][2]string{{"app-version", v.app}, {"infra-version", v.infra}, {"deployment-version", v.deployment()}} {
		if err := a.r.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	return a.r.SetEnv(deploy.EnvDeploymentVersion, v.deployment())
}

// deployVersions derives the app and infra versions the inputs do not give:
// the tag name or short commit SHA, and the short SHA of the last commit
// that touched the working directory (or a hash of its files).
func deployVersions(ctx context.Context, a *app) (deployVersion, error) {
	v := deployVersion{app: a.cfg.AppVersion}
	if v.app == "" {
		v.app = trace.AppVersion(a.gh.RefType, a.gh.RefName, a.gh.SHA)
		if v.app != "" && !config.ValidVersion(v.app) {
			// The tag name is chosen by whoever can push a tag; it goes
			// into DEPLOYMENT_VERSION, payloads and the deploy command's
			// environment, so it is held to the input's rule.
			return v, &badInput{fmt.Errorf("input %q: derived from the tag name %q, which %s; give app-version explicitly or use a plain tag", "app-version", v.app, config.VersionProblem)}
		}
	}
	if v.app == "" {
		return v, &config.InputError{Input: "app-version", Flag: a.local != nil,
			Problem: "is needed: there is neither a tag nor a commit to derive it from (is this a git repository?)"}
	}
	infra, err := deployInfraVersion(ctx, a)
	v.infra = infra
	return v, err
}

// deployInfraVersion is the infra-version input, or the one derived from git
// (or the root module's files). It never runs Terraform.
func deployInfraVersion(ctx context.Context, a *app) (string, error) {
	if a.cfg.InfraVersion != "" {
		return a.cfg.InfraVersion, nil
	}
	v, err := trace.InfraVersion(ctx, a.gh.Workspace, a.cfg.WorkingDirectory(), filepath.Base(a.cfg.PlanFile))
	if err != nil {
		return "", &badInput{fmt.Errorf("%w; give the infra-version input instead", err)}
	}
	return v, nil
}

// deployTarget is how the app is deployed: deploy-command or deploy-workflow,
// nil when neither is given (config.Load refuses both at once).
func deployTarget(a *app) (deploy.Target, error) {
	switch {
	case a.cfg.DeployCommand != "":
		return &deploy.CommandTarget{
			Command: a.cfg.DeployCommand,
			Dir:     a.gh.Workspace,
			Stdout:  a.r.Log(),
			Stderr:  a.r.Log(),
			Redact:  a.r.Masker().Redact,
			Environ: childenv.Environ(a.cfg.GitHubToken),
		}, nil
	case a.cfg.DeployWorkflow != "":
		if a.local != nil {
			return nil, &badInput{&config.InputError{Input: "deploy-workflow", Value: a.cfg.DeployWorkflow, Flag: true,
				Problem: "dispatches a GitHub Actions workflow, which needs a workflow run's GitHub context; locally, deploy with --deploy-command"}}
		}
		ref, err := dispatchRef(a.gh)
		if err != nil {
			return nil, refuseWithResult(a, "deploy-workflow-ref", err)
		}
		gh, err := a.github()
		if err != nil {
			return nil, &badInput{fmt.Errorf("dispatching deploy-workflow %s: %w", a.cfg.DeployWorkflow, err)}
		}
		return &deploy.WorkflowTarget{
			Dispatcher: gh.Workflows(),
			Workflow:   a.cfg.DeployWorkflow,
			Ref:        ref,
			Timeout:    a.cfg.DeployTimeout,
			Now:        a.env.Now,
			OnRun: func(r deploy.WorkflowRun) {
				a.r.Printf("Waiting for deploy workflow %s run %d: %s", a.cfg.DeployWorkflow, r.ID, r.URL)
			},
			Progress: func(line string) { a.r.Printf("%s", line) },
		}, nil
	}
	return nil, nil
}

// dispatchRef is the branch or tag a deploy workflow runs on: the run's own.
// A pull request's merge ref cannot be dispatched, and deploying from a pull
// request is not what the pipeline does.
func dispatchRef(gh *config.Context) (string, error) {
	switch {
	case gh.IsPullRequest() || strings.HasPrefix(gh.Ref, "refs/pull/"):
		return "", fmt.Errorf("refusing to dispatch deploy workflow on pull request ref %s: a workflow_dispatch runs on a branch or tag, and the app is deployed after merge, from the target branch", orNone(gh.Ref))
	case (gh.RefType == "branch" || gh.RefType == "tag") && gh.RefName != "":
		return gh.RefName, nil
	case strings.HasPrefix(gh.Ref, "refs/heads/"):
		return strings.TrimPrefix(gh.Ref, "refs/heads/"), nil
	case strings.HasPrefix(gh.Ref, "refs/tags/"):
		return strings.TrimPrefix(gh.Ref, "refs/tags/"), nil
	}
	return "", fmt.Errorf("refusing to dispatch deploy workflow: the run's ref %s is neither a branch nor a tag (GITHUB_REF_TYPE %s)", orNone(gh.Ref), orNone(gh.RefType))
}

// refuseWithResult reports a refusal in the outputs (result refused, not
// failed) and returns it as an exit-1 error.
func refuseWithResult(a *app, reason string, err error) error {
	_ = a.r.SetOutput("result", "refused")
	_ = a.r.SetOutput("failure-reason", reason)
	return refuse(reason, err)
}

// deployLedger is where deployments are recorded: GitHub Deployments in
// action mode, the JSON-lines file in --state-dir locally. where names it
// for messages.
func deployLedger(ctx context.Context, a *app, pol policy.Policy) (ledger trace.Ledger, where string, err error) {
	if a.local != nil {
		l := &trace.FileLedger{Dir: stateDir(a), Now: a.env.Now}
		return l, l.Path(), nil
	}
	gh, err := a.github()
	if err != nil {
		return nil, "", &badInput{fmt.Errorf("recording deployments in GitHub: %w", err)}
	}
	approvers, mode := deployApprovers(ctx, a, gh, pol)
	return gh.Ledger(github.LedgerOptions{
		Ref:                   a.gh.SHA,
		ProductionEnvironment: pol.ProductionLike,
		LogURL:                a.gh.RunURL(),
		EnvironmentURL:        environmentURL(a.cfg.SmokeURLs),
		ApprovedBy:            approvers,
		ApprovalMode:          mode,
	}), "GitHub Deployments", nil
}

// deployApprovers are who approved what this deploy ships: the run's
// environment approvals, or, when approval is required and the run has
// none (pull-request mode), the approvers of the merged pull request the
// commit came from.
func deployApprovers(ctx context.Context, a *app, gh *github.Client, pol policy.Policy) (logins []string, mode string) {
	if out := runApprovers(ctx, a, gh); len(out) > 0 {
		return out, policy.ModeEnvironment
	}
	if !pol.ApprovalRequired || pol.ApprovalMode == policy.ModeEnvironment {
		return nil, ""
	}
	if out := pullRequestApprovers(ctx, a, gh); len(out) > 0 {
		return out, policy.ModePullRequest
	}
	return nil, ""
}

// pullRequestApprovers are the counted approvers (see policy.WeighReviews)
// of the merged pull requests the push of GITHUB_SHA brought in (several
// for a merge queue batch, see pushBatch), each login once, for the record
// only: the gate ran in the apply job. Best effort, like runApprovers.
func pullRequestApprovers(ctx context.Context, a *app, gh *github.Client) []string {
	if a.gh.SHA == "" {
		return nil
	}
	prs, err := gh.PullRequestsWithCommit(ctx, a.gh.SHA)
	if err != nil {
		a.r.Warnf("the deployment will not record who approved the pull request: %v", err)
		return nil
	}
	head, ok := mergedPullRequest(prs, a.gh.SHA)
	if !ok {
		return nil
	}
	batch, err := a.pushedPullRequests(ctx, gh, head)
	if err != nil {
		a.r.Warnf("the deployment records the approvers of PR #%d only: %v", head.Number, err)
		batch = []github.PullRequest{head}
	}
	var out []string
	seen := map[string]bool{}
	for _, pr := range batch {
		logins, err := countedApprovers(ctx, gh, pr)
		if err != nil {
			a.r.Warnf("the deployment will not record who approved PR #%d: %v", pr.Number, err)
			return nil
		}
		for _, l := range logins {
			if !seen[strings.ToLower(l)] {
				seen[strings.ToLower(l)] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// countedApprovers are the logins of merged pull request pr's approvals
// that count, leaving out the plan comment's time (deploy does not gate).
func countedApprovers(ctx context.Context, gh *github.Client, pr github.PullRequest) ([]string, error) {
	raw, err := gh.PullRequestReviews(ctx, pr.Number)
	if err != nil {
		return nil, err
	}
	reviews := make([]policy.Review, len(raw))
	perms := map[string]string{}
	for i, r := range raw {
		reviews[i] = policy.Review{ID: r.ID, Login: r.Login, State: r.State, CommitID: r.CommitID, SubmittedAt: r.SubmittedAt, URL: r.URL}
	}
	for _, r := range policy.LatestDecisive(reviews) {
		if r.State != policy.ReviewApproved || strings.EqualFold(r.Login, pr.Author) {
			continue
		}
		p, err := gh.Permission(ctx, r.Login)
		if err != nil {
			return nil, err
		}
		perms[strings.ToLower(r.Login)] = p
	}
	var out []string
	for _, r := range policy.WeighReviews(reviews, policy.ReviewRules{Author: pr.Author, HeadSHA: pr.HeadSHA, MinApprovals: 1, Permissions: perms}).Counted {
		out = append(out, r.Login)
	}
	return out, nil
}

// runApprovers are the logins who approved this run for the environment:
// deploy runs in a later job of the run whose apply job was approved, so
// the run's approvals are the apply's. Best effort: the record then says
// nothing about approvers, with a warning.
func runApprovers(ctx context.Context, a *app, gh *github.Client) []string {
	id, err := strconv.ParseInt(a.gh.RunID, 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	approvals, err := gh.RunApprovals(ctx, id)
	if err != nil {
		a.r.Warnf("the deployment will not record who approved this run: %v", err)
		return nil
	}
	var out []string
	for _, ap := range approvals {
		if ap.State == github.ApprovalApproved && ap.Covers(a.cfg.Environment) && !slices.Contains(out, ap.Login) {
			out = append(out, ap.Login)
		}
	}
	return out
}

// stateDir is the local ledger's directory, relative paths against the
// directory lockstep runs in.
func stateDir(a *app) string {
	dir := trace.DefaultStateDir
	if a.local != nil && a.local.stateDir != "" {
		dir = a.local.stateDir
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(a.gh.Workspace, dir)
	}
	return dir
}

// environmentURL is what a deployment status links to as the environment:
// the origin of the first smoke URL, without credentials. "" without one.
func environmentURL(smokeURLs []string) string {
	if len(smokeURLs) == 0 {
		return ""
	}
	u, err := url.Parse(smokeURLs[0])
	if err != nil || u.Host == "" {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String()
}

// deployStrategy is the environment's rollout: canary steps with a bake time,
// or one direct deploy.
func deployStrategy(a *app, pol policy.Policy) deploy.Strategy {
	if pol.Strategy == policy.StrategyCanary {
		return deploy.Canary{Steps: pol.CanarySteps, Bake: a.cfg.CanaryBake}
	}
	return deploy.Direct{}
}

func strategyName(a *app, s deploy.Strategy) string {
	if c, ok := s.(deploy.Canary); ok {
		parts := make([]string, len(c.Steps))
		for i, w := range c.Steps {
			parts[i] = fmt.Sprintf("%d%%", w)
		}
		return fmt.Sprintf("canary %s, %s bake after each step (%s)", strings.Join(parts, " → "), c.Bake, bakeSource(a))
	}
	return s.Name()
}

// bakeSource says whether canary-bake was given or is the default.
func bakeSource(a *app) string {
	if a.cfg.Set["canary-bake"] {
		return "the canary-bake input"
	}
	return "the canary-bake default"
}

// strategySource says where the strategy came from, for the log.
func strategySource(a *app, pol policy.Policy) string {
	switch pol.Source[policy.FieldStrategy] {
	case policy.SourceInput:
		return "the strategy input"
	case policy.SourceFile:
		return a.cfg.ConfigFile
	}
	if pol.ProductionLike {
		return "the default for production-like environments"
	}
	return "the default for non-production environments"
}

// smokeChecker probes smoke-urls with the run's HTTP client and clock.
func smokeChecker(a *app) *verify.Checker {
	return &verify.Checker{Client: a.env.HTTPClient, Now: a.env.Now, Expect: a.cfg.ExpectStatus,
		Progress: func(line string) { a.r.Printf("%s", line) }}
}

// deployActor is who deploys: the workflow's actor, or the local user.
func deployActor(a *app) string {
	if a.local == nil {
		return a.gh.Actor
	}
	return a.env.Getenv("USER")
}

// oneStack refuses several working directories: a deployment is recorded
// against the infra version of one root module.
func oneStack(a *app, command string) error {
	if len(a.cfg.WorkingDirectories) <= 1 {
		return nil
	}
	return &badInput{&config.InputError{Input: "working-directory", Value: strings.Join(a.cfg.WorkingDirectories, ", "), Flag: a.local != nil,
		Problem: "names several stacks; " + command + " records the app against the infra version of one root module: name the one the app runs on"}}
}

// needEnvironment refuses an empty environment: deployments, their history
// and the last good version are kept per environment.
func needEnvironment(a *app, command string) error {
	if a.cfg.Environment != "" {
		return nil
	}
	return &badInput{&config.InputError{Input: "environment", Flag: a.local != nil,
		Problem: "is required by " + command + ": deployments, their history and the last good app version are kept per environment"}}
}

// outputsReader is what deploy needs from the engine to hand the stack's
// outputs to the deploy command (`terraform output -json`).
type outputsReader interface {
	Outputs(ctx context.Context) (map[string]engine.Output, error)
}

// infraOutputs are the non-sensitive stack outputs the deploy command
// gets as LOCKSTEP_OUTPUT_* (see outputStrings), as JSON values: apply's
// outputs-json from this pipeline, else EnvOutputsJSON, else (only when
// askTerraform) the stack's outputs read from its engine. A failure to read
// them is a warning: the app may not need them, the deploy command sees
// they are missing, and the infra contract (requires-outputs) refuses.
func infraOutputs(ctx context.Context, a *app, fromApply string, askTerraform bool) map[string]json.RawMessage {
	for _, src := range []struct{ name, json string }{
		{"apply's outputs-json", fromApply},
		{EnvOutputsJSON, a.env.Getenv(EnvOutputsJSON)},
	} {
		if strings.TrimSpace(src.json) == "" {
			continue
		}
		out, err := parseOutputsJSON(src.json)
		if err != nil {
			a.r.Warnf("The deploy command gets no LOCKSTEP_OUTPUT_* variables: reading %s: %v", src.name, err)
			return nil
		}
		return out
	}
	if !askTerraform {
		return nil
	}
	eng, _, err := a.stackEngine(ctx, a.cfg.WorkingDirectory())
	if err != nil {
		a.r.Warnf("The deploy command gets no LOCKSTEP_OUTPUT_* variables: %v", err)
		return nil
	}
	out, err := terraformOutputs(ctx, eng)
	if err != nil {
		a.r.Warnf("The deploy command gets no LOCKSTEP_OUTPUT_* variables: reading the Terraform outputs of %s: %v (pass apply's outputs-json in %s instead)",
			a.cfg.WorkingDirectory(), err, EnvOutputsJSON)
		return nil
	}
	return out
}

// terraformOutputs are the stack's non-sensitive outputs.
func terraformOutputs(ctx context.Context, r outputsReader) (map[string]json.RawMessage, error) {
	outputs, err := r.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	for name, o := range outputs {
		if !o.Sensitive {
			out[name] = o.Value
		}
	}
	return out, nil
}

// parseOutputsJSON reads apply's outputs-json: an object of output name to
// value.
func parseOutputsJSON(s string) (map[string]json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("want a JSON object of output name to value: %w", err)
	}
	return raw, nil
}

// outputStrings are outputs as the deploy command's environment holds
// them (see outputString); nil stays nil.
func outputStrings(outputs map[string]json.RawMessage) map[string]string {
	if outputs == nil {
		return nil
	}
	out := make(map[string]string, len(outputs))
	for name, v := range outputs {
		out[name] = outputString(v)
	}
	return out
}

// outputString is an output's value as an environment variable holds it:
// strings as they are, null as empty, anything else as compact JSON.
func outputString(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s // null leaves s empty
	}
	var b bytes.Buffer
	if json.Compact(&b, v) == nil {
		return b.String()
	}
	return string(bytes.TrimSpace(v))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
