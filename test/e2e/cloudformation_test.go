package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakecfn"
	"github.com/lockstep-ci/lockstep/test/guardtest"
)

// cfnSecret is the NoEcho parameter's value.
const cfnSecret = "cfn-N0Ech0-S3cret-e2e"

const cfnTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  DbPassword:
    Type: String
    NoEcho: true
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: orders
      VisibilityTimeout: 30
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /shop/password
      Type: String
      Value: !Ref DbPassword
Outputs:
  QueueUrl:
    Value: !Ref Queue
  Dsn:
    Value: !Sub "postgres://app:${DbPassword}@db"
`

// cfnStack puts a CloudFormation template and its parameters at infra and
// points the runs' AWS SDK at a fake CloudFormation (test/fakecfn).
func cfnStack(t *testing.T, w *workspace) *fakecfn.Server {
	t.Helper()
	srv := fakecfn.New()
	t.Cleanup(srv.Close)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		w.env[k] = v
	}
	dir := filepath.Join(w.root, "infra")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	writeCfn(t, w, "stack.yaml", cfnTemplate)
	writeCfn(t, w, "params.json", `[{"ParameterKey": "DbPassword", "ParameterValue": "`+cfnSecret+`"}]`)
	return srv
}

func writeCfn(t *testing.T, w *workspace, name, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(w.root, "infra", name), []byte(body), 0o644))
}

func assertNoCfnSecret(t *testing.T, r result) {
	t.Helper()
	for i, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			assert.NotContains(t, line, cfnSecret, "stdout line %d", i+1)
		}
	}
	assert.NotContains(t, r.stderr, cfnSecret)
	assert.NotContains(t, r.summary, cfnSecret)
	for k, v := range r.outputs {
		assert.NotContains(t, v, cfnSecret, "output %s", k)
	}
}

var cfnInputs = map[string]string{"working-directory": "infra", "environment": "staging", "engine": "cloudformation",
	"stack": "shop-staging", "template": "stack.yaml", "parameters-file": "params.json", "plan-file": "plan.json"}

// A CloudFormation stack through the lockstep binary: validate offline,
// plan a change set, apply exactly it, then refuse a change set that a
// later execution made stale, without executing it.
func TestCloudFormationPlanApplyAndStaleChangeSet(t *testing.T) {
	w, _ := pushWorkspace(t)
	srv := cfnStack(t, w)

	r := w.action(with(cfnInputs, "command", "validate"))
	requireCode(t, 0, r)
	assert.Zero(t, len(srv.Calls()), "validate needs no AWS")

	r = w.action(with(cfnInputs, "command", "plan"))
	requireCode(t, 0, r)
	assertNoCfnSecret(t, r)
	assert.Contains(t, r.stdout, "::add-mask::"+cfnSecret, "the NoEcho value is masked")
	assert.Equal(t, "true", r.outputs["has-changes"])
	assert.Equal(t, "2", r.outputs["add"])
	assert.Contains(t, r.summary, "CloudFormation")
	assert.Contains(t, r.summary, "`Queue`")

	r = w.action(with(cfnInputs, "command", "apply"))
	requireCode(t, 0, r)
	assertNoCfnSecret(t, r)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.summary, "Apply complete:** 2 added, 0 changed, 0 destroyed")
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.outputs["outputs-json"]), &outputs), r.outputs["outputs-json"])
	assert.Contains(t, outputs, "QueueUrl")
	assert.NotContains(t, outputs, "Dsn", "an output showing a NoEcho value is sensitive")
	st, ok := srv.Stack("shop-staging")
	require.True(t, ok)
	assert.Equal(t, "CREATE_COMPLETE", st.Status)

	// Two plans of different content; the second is applied, which makes
	// CloudFormation delete the first's change set.
	writeCfn(t, w, "stack.yaml", strings.Replace(cfnTemplate, "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1))
	r = w.action(with(cfnInputs, "command", "plan"))
	requireCode(t, 0, r)
	first := map[string][]byte{}
	for _, name := range []string{"plan.json", "plan.json.lockstep.json", "stack.yaml"} {
		b, err := os.ReadFile(filepath.Join(w.root, "infra", name))
		require.NoError(t, err)
		first[name] = b
	}
	writeCfn(t, w, "stack.yaml", strings.Replace(cfnTemplate, "VisibilityTimeout: 30", "VisibilityTimeout: 90", 1))
	r = w.action(with(cfnInputs, "command", "plan"))
	requireCode(t, 0, r)
	r = w.action(with(cfnInputs, "command", "apply"))
	requireCode(t, 0, r)

	for name, b := range first {
		require.NoError(t, os.WriteFile(filepath.Join(w.root, "infra", name), b, 0o644))
	}
	executes := srv.CallCount("ExecuteChangeSet")
	r = w.action(with(cfnInputs, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "plan-stale", r.outputs["failure-reason"])
	assert.Equal(t, executes, srv.CallCount("ExecuteChangeSet"), "the stale change set is never executed")
	st, _ = srv.Stack("shop-staging")
	assert.EqualValues(t, 90, st.Resources["Queue"].Properties["VisibilityTimeout"])
}

// A resource failing: the summary names it with CloudFormation's reason,
// and what was never reached.
func TestCloudFormationFailedResourceReport(t *testing.T) {
	w, _ := pushWorkspace(t)
	srv := cfnStack(t, w)
	writeCfn(t, w, "stack.yaml", strings.Replace(cfnTemplate, "    Type: AWS::SSM::Parameter\n", "    Type: AWS::SSM::Parameter\n    DependsOn: Queue\n", 1))
	srv.FailResource("shop-staging", "Queue", "Resource handler returned message: queue limit exceeded")

	r := w.action(with(cfnInputs, "command", "plan"))
	requireCode(t, 0, r)
	r = w.action(with(cfnInputs, "command", "apply"))
	requireCode(t, 1, r)
	assertNoCfnSecret(t, r)
	assert.Equal(t, "apply-failed", r.outputs["failure-reason"])
	requireBefore(t, r.summary, "Failed (1)", "`Queue`")
	assert.Contains(t, r.summary, "queue limit exceeded")
	requireBefore(t, r.summary, "Not reached (1)", "`Param`")
	st, _ := srv.Stack("shop-staging")
	assert.Equal(t, "CREATE_FAILED", st.Status, "no rollback by default")
}

// cfn-guard rules in the stack's .cfn-guard: validate fails with an
// annotation at the template line of each failed check, the job summary
// lists it, and plan is not affected. Without cfn-guard, validate fails
// instead of passing rules it could not run.
func TestCloudFormationGuardRulesInValidate(t *testing.T) {
	guard := guardtest.Path(t)
	w, _ := pushWorkspace(t)
	srv := cfnStack(t, w)
	require.NoError(t, os.MkdirAll(filepath.Join(w.root, "infra", ".cfn-guard"), 0o755))
	writeCfn(t, w, ".cfn-guard/sqs.guard", `rule sqs_long_timeout {
    Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.VisibilityTimeout >= 60
    << queues need a visibility timeout of a minute or more >>
}
rule ssm_named {
    Resources.*[ Type == 'AWS::SSM::Parameter' ].Properties.Name exists
}
`)
	path := os.Getenv("PATH")
	w.env["PATH"] = filepath.Dir(guard) + string(os.PathListSeparator) + path

	r := w.action(with(cfnInputs, "command", "validate"))
	requireCode(t, 1, r)
	assertNoCfnSecret(t, r)
	assert.Contains(t, r.stdout, "::error col=7,file=infra/stack.yaml,line=11,title=cfn-guard rule sqs_long_timeout failed::Resources.Queue.Properties.VisibilityTimeout: queues need a visibility timeout of a minute or more. Check was not compliant as property value [Path=/Resources/Queue/Properties/VisibilityTimeout Value=30] not greater than equal value [Value=60]. [rule sqs_long_timeout (.cfn-guard/sqs.guard)]\n")
	assert.NotContains(t, r.stdout, "ssm_named", "a rule that passes is not reported")
	assert.Contains(t, r.summary, "| ❌ | `infra/stack.yaml:11` | cfn-guard rule sqs\\_long\\_timeout failed |")
	assert.Equal(t, "validate-failed", r.outputs["failure-reason"])
	assert.Zero(t, len(srv.Calls()), "validate needs no AWS")

	r = w.action(with(cfnInputs, "command", "plan"))
	requireCode(t, 0, r)
	assert.Equal(t, "true", r.outputs["has-changes"])

	// The rules pass once the template complies.
	writeCfn(t, w, "stack.yaml", strings.Replace(cfnTemplate, "VisibilityTimeout: 30", "VisibilityTimeout: 60", 1))
	r = w.action(with(cfnInputs, "command", "validate"))
	requireCode(t, 0, r)
	assert.Contains(t, r.summary, "the template passes the cfn-guard rules in `.cfn-guard/`")

	// No cfn-guard on PATH: the rules cannot run, and validate says so.
	var without []string
	for _, dir := range filepath.SplitList(path) {
		if _, err := os.Stat(filepath.Join(dir, "cfn-guard")); err != nil {
			without = append(without, dir)
		}
	}
	w.env["PATH"] = strings.Join(without, string(os.PathListSeparator))
	r = w.action(with(cfnInputs, "command", "validate"))
	requireCode(t, 1, r)
	assert.Contains(t, r.stdout, "cfn-guard is not installed")
	assert.Equal(t, "validate-failed", r.outputs["failure-reason"])
}

// A CloudFormation stack the way a team ships it: the pull request's
// change set is one plan comment (and nothing executes it: apply refuses
// pull requests); after the merge, the push plans again, production's
// reviewer approves the run, apply executes exactly that change set, and
// the app deploys with the stack's outputs and both versions recorded.
func TestCloudFormationPullRequestToApprovedApplyAndDeploy(t *testing.T) {
	w, gh := prWorkspace(t)
	srv := cfnStack(t, w)
	in := with(cfnInputs, "environment", "production")

	r := w.action(with(in, "command", "plan"))
	requireCode(t, 0, r)
	assertNoCfnSecret(t, r)
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	body := mine[0].Body
	assert.True(t, strings.HasPrefix(body, "<!-- lockstep:plan dir=infra env=production -->\n"), body)
	assert.Contains(t, body, "CloudFormation")
	assert.Contains(t, body, "`Queue`")
	assert.NotContains(t, body, cfnSecret)
	for _, req := range gh.Requests() {
		assert.NotContains(t, string(req.Body), cfnSecret, "%s %s", req.Method, req.Path)
	}
	// The same plan again leaves the comment as it is.
	r = w.action(with(in, "command", "plan"))
	requireCode(t, 0, r)
	assert.Equal(t, body, lockstepComments(gh)[0].Body)
	r = w.action(with(in, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "event-not-allowed", r.outputs["failure-reason"])
	assert.Zero(t, srv.CallCount("ExecuteChangeSet"), "a pull request's change set is never executed")

	// Merged: the push plans, alice approves the run, apply executes it.
	gh.AddCommitPulls("octo-org", "shop", w.env["GITHUB_SHA"], 7)
	w.mergedPush("")
	strictProduction(gh)
	r = w.action(with(in, "command", "plan"))
	requireCode(t, 0, r)
	r = w.action(with(in, "command", "apply"))
	requireCode(t, 0, r)
	assertNoCfnSecret(t, r)
	assert.Equal(t, "alice", r.outputs["approved-by"])
	assert.Equal(t, 1, srv.CallCount("ExecuteChangeSet"), "exactly one execution: the reviewed change set")
	infra := r.outputs["infra-version"]
	require.NotEmpty(t, infra, "the infra version of a template's directory")

	app := newFakeApp(w)
	w.env[outputsJSONVar] = r.outputs["outputs-json"]
	r = w.action(map[string]string{"command": "deploy", "working-directory": "infra", "environment": "production", "engine": "cloudformation",
		"app-version": "v1.4.2", "infra-version": infra, "deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0",
		"strategy": "direct"})
	requireCode(t, 0, r)
	assertNoCfnSecret(t, r)
	assert.Equal(t, "app:v1.4.2-infra:"+infra, r.outputs["deployment-version"])
	assert.NotEmpty(t, app.env()["LOCKSTEP_OUTPUT_QUEUEURL"], "the deploy command gets the stack's outputs")
	assert.Empty(t, app.env()["LOCKSTEP_OUTPUT_DSN"], "never an output that shows a NoEcho value")
}

// An update that replaces a resource (a new queue name) shows as a replace
// and needs an allow like a Terraform replace; the same template planned
// again is an empty change set: no changes, nothing to apply, and the
// change set is gone. A failing resource with the environment's
// engine-rollback on lets CloudFormation roll the update back, and the
// report and failure say so.
func TestCloudFormationReplaceEmptyAndRollback(t *testing.T) {
	w, _ := pushWorkspace(t)
	srv := cfnStack(t, w)
	requireCode(t, 0, w.action(with(cfnInputs, "command", "plan")))
	requireCode(t, 0, w.action(with(cfnInputs, "command", "apply")))

	writeCfn(t, w, "stack.yaml", strings.Replace(cfnTemplate, "QueueName: orders", "QueueName: orders-v2", 1))
	r := w.action(with(cfnInputs, "command", "plan"))
	requireCode(t, 0, r)
	assert.Equal(t, "1", r.outputs["replace"])
	assert.Contains(t, r.summary, "`QueueName` forces replacement")
	r = w.action(with(cfnInputs, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "destroy-not-allowed", r.outputs["failure-reason"], "a replace needs an allow")
	r = w.action(with(with(cfnInputs, "allow-destroy", "true"), "command", "apply"))
	requireCode(t, 0, r)
	st, _ := srv.Stack("shop-staging")
	assert.Equal(t, "orders-v2", st.Resources["Queue"].Properties["QueueName"])

	// Nothing changed since: an empty change set, deleted again.
	deletes := srv.CallCount("DeleteChangeSet")
	r = w.action(with(cfnInputs, "command", "plan"))
	requireCode(t, 0, r)
	assert.Equal(t, "false", r.outputs["has-changes"])
	assert.Greater(t, srv.CallCount("DeleteChangeSet"), deletes, "the empty change set is deleted")
	r = w.action(with(cfnInputs, "command", "apply"))
	requireCode(t, 0, r)
	assert.Contains(t, r.summary, "Nothing to apply")

	// engine-rollback: CloudFormation undoes the failed update.
	require.NoError(t, os.WriteFile(filepath.Join(w.root, ".lockstep.yml"), []byte("environments:\n  staging:\n    engine-rollback: true\n"), 0o644))
	writeCfn(t, w, "stack.yaml", strings.Replace(strings.Replace(cfnTemplate, "QueueName: orders", "QueueName: orders-v2", 1), "VisibilityTimeout: 30", "VisibilityTimeout: 45", 1))
	srv.FailResource("shop-staging", "Queue", "Resource handler returned message: throttled")
	requireCode(t, 0, w.action(with(cfnInputs, "command", "plan")))
	r = w.action(with(cfnInputs, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "apply-failed", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "the engine rolled its own changes back")
	st, _ = srv.Stack("shop-staging")
	assert.Equal(t, "UPDATE_ROLLBACK_COMPLETE", st.Status)
	assert.EqualValues(t, 30, st.Resources["Queue"].Properties["VisibilityTimeout"], "the previous template is back")
}
