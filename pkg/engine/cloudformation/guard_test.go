package cloudformation_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/engine/cloudformation"
	"github.com/lockstep-ci/lockstep/test/guardtest"
)

// These tests run the real cfn-guard (test/guardtest finds it).

const sqsRules = `let queues = Resources.*[ Type == 'AWS::SQS::Queue' ]

rule sqs_encrypted when %queues !empty {
    %queues.Properties.SqsManagedSseEnabled == true
    <<
      Violation: SQS queues must be encrypted
      Fix: set SqsManagedSseEnabled to true
    >>
}

rule sqs_timeout when %queues !empty {
    %queues.Properties.VisibilityTimeout >= 60
}
`

// guardStack is an offline adapter of templateV1 in a new directory, with
// rule files (relative to .cfn-guard) and cfn-guard at guard.
func guardStack(t *testing.T, guard string, rules map[string]string) (*cloudformation.Adapter, string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	}
	write("stack.yaml", templateV1)
	write("params.json", `{"Env": "prod", "DbPassword": "`+secret+`"}`)
	for name, body := range rules {
		write(cloudformation.GuardRulesDir+"/"+name, body)
	}
	a, err := cloudformation.New(cloudformation.Options{Dir: dir, Template: "stack.yaml", Stack: "shop", ParametersFile: "params.json", GuardPath: guard})
	require.NoError(t, err)
	require.NoError(t, a.Init(context.Background(), engine.InitOptions{NoBackend: true}))
	return a, dir
}

func TestGuardRulesThatPassAddNothing(t *testing.T) {
	a, _ := guardStack(t, guardtest.Path(t), map[string]string{
		"queues.guard": "rule queue_named {\n  Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.QueueName exists\n}\n",
		// Rules in a subdirectory count, and a rule file without rules passes.
		"team/buckets.guard": "rule bucket_named {\n  Resources.Bucket.Properties.BucketName exists\n}\n",
		"team/empty.guard":   "# nothing yet\n",
		"README.md":          "not a rule file\n",
	})
	diags, err := a.Validate(context.Background())
	require.NoError(t, err)
	assert.Empty(t, diags)
}

func TestAFailedGuardRuleIsADiagnosticAtItsProperty(t *testing.T) {
	a, _ := guardStack(t, guardtest.Path(t), map[string]string{"sqs.guard": sqsRules})
	diags, err := a.Validate(context.Background())
	require.NoError(t, err)
	require.Len(t, diags, 2, "%+v", diags)
	byRule := map[string]engine.Diagnostic{}
	for _, d := range diags {
		assert.False(t, d.Warning)
		assert.Equal(t, "stack.yaml", d.File)
		byRule[d.Summary] = d
	}

	enc := byRule["cfn-guard rule sqs_encrypted failed"]
	// The property is missing: the place is the Queue's Properties.
	assert.Equal(t, 16, enc.Line, "%+v", enc)
	assert.Contains(t, enc.Detail, "Resources.Queue.Properties: Violation: SQS queues must be encrypted; Fix: set SqsManagedSseEnabled to true.")
	assert.Contains(t, enc.Detail, "[rule sqs_encrypted (.cfn-guard/sqs.guard)]")

	timeout := byRule["cfn-guard rule sqs_timeout failed"]
	assert.Equal(t, 18, timeout.Line, "%+v", timeout)
	assert.Equal(t, 7, timeout.Column)
	assert.Contains(t, timeout.Detail, "Resources.Queue.Properties.VisibilityTimeout: ")
	assert.Contains(t, timeout.Detail, "not greater than equal")
}

func TestGuardMessagesHideNoEchoDefaults(t *testing.T) {
	const def = "default-N0Ech0-value"
	a, dir := guardStack(t, guardtest.Path(t), map[string]string{
		"params.guard": "rule password_is_other {\n  Parameters.DbPassword.Default == \"other\"\n}\n",
	})
	body := strings.Replace(templateV1, "    NoEcho: true\n", "    NoEcho: true\n    Default: "+def+"\n", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stack.yaml"), []byte(body), 0o600))
	diags, err := a.Validate(context.Background())
	require.NoError(t, err)
	require.Len(t, diags, 1, "%+v", diags)
	assert.Equal(t, 9, diags[0].Line)
	assert.NotContains(t, diags[0].Detail, def)
	assert.Contains(t, diags[0].Detail, "***")
}

func TestABrokenGuardRuleFileIsAnError(t *testing.T) {
	a, _ := guardStack(t, guardtest.Path(t), map[string]string{
		"ok.guard":     "rule queue_named {\n  Resources.Queue.Properties.QueueName exists\n}\n",
		"broken.guard": "rule broken {\n  Resources.*.Properties.X ==\n",
	})
	diags, err := a.Validate(context.Background())
	require.Error(t, err)
	assert.Nil(t, diags)
	assert.Contains(t, err.Error(), "cfn-guard could not check stack.yaml against the rules in .cfn-guard (exit status 5)")
	assert.Contains(t, err.Error(), "broken.guard")
}

func TestGuardRulesWithoutCfnGuardFailValidate(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "cfn-guard")

	// No rules: cfn-guard is never looked for.
	a, _ := guardStack(t, missing, nil)
	diags, err := a.Validate(context.Background())
	require.NoError(t, err)
	assert.Empty(t, diags)

	a, _ = guardStack(t, missing, map[string]string{"sqs.guard": sqsRules})
	_, err = a.Validate(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the stack has 1 cfn-guard rule file(s) in .cfn-guard, but cfn-guard is not installed")
	assert.Contains(t, err.Error(), "validate never passes rules it could not check")
}

func TestAGuardRulesFileInsteadOfADirectoryIsAnError(t *testing.T) {
	a, dir := guardStack(t, filepath.Join(t.TempDir(), "cfn-guard"), nil)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".cfn-guard"), []byte(sqsRules), 0o600))
	_, err := a.Validate(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), ".cfn-guard is a file")
}

// cfn-guard passes over a data file whose name it does not take for a
// template (stack.cfn) and reports nothing: lockstep gives it a copy
// instead, so the rules still run.
func TestGuardRulesCheckATemplateOfAnyName(t *testing.T) {
	_, dir := guardStack(t, guardtest.Path(t), map[string]string{
		"names.guard": "rule queue_name_in {\n  Resources.Queue.Properties.QueueName in [\"a\", \"b\"]\n}\n",
	})
	require.NoError(t, os.Rename(filepath.Join(dir, "stack.yaml"), filepath.Join(dir, "stack.cfn")))
	a, err := cloudformation.New(cloudformation.Options{Dir: dir, Template: "stack.cfn", Stack: "shop", GuardPath: guardtest.Path(t)})
	require.NoError(t, err)
	diags, err := a.Validate(context.Background())
	require.NoError(t, err)
	require.Len(t, diags, 1, "%+v", diags)
	assert.Equal(t, "stack.cfn", diags[0].File)
	assert.Equal(t, "cfn-guard rule queue_name_in failed", diags[0].Summary)
	assert.Equal(t, 17, diags[0].Line)
	assert.Equal(t, `Resources.Queue.Properties.QueueName: Check was not compliant as property [/Resources/Queue/Properties/QueueName] was not present in [(resolved, Value=["a","b"])] [rule queue_name_in (.cfn-guard/names.guard)]`, diags[0].Detail)
}

// A rule of alternatives is one diagnostic saying what none of them found;
// a rule failing because a rule it names failed says so, at the template
// without a line (the named rule has its own diagnostic with one).
func TestGuardDisjunctionsAndDependentRules(t *testing.T) {
	a, _ := guardStack(t, guardtest.Path(t), map[string]string{"names.guard": `rule queue_name_known {
  Resources.Queue.Properties.QueueName == "billing" or
  Resources.Queue.Properties.QueueName == "payments"
}
rule queue_ok {
  queue_name_known
}
`})
	diags, err := a.Validate(context.Background())
	require.NoError(t, err)
	require.Len(t, diags, 2, "%+v", diags)

	assert.Equal(t, "cfn-guard rule queue_name_known failed", diags[0].Summary)
	assert.Equal(t, 17, diags[0].Line)
	assert.Equal(t, `Resources.Queue.Properties.QueueName: None of these holds: `+
		`Check was not compliant as property value [Path=/Resources/Queue/Properties/QueueName Value="orders"] not equal to value [Value="billing"]. `+
		`Or: Check was not compliant as property value [Path=/Resources/Queue/Properties/QueueName Value="orders"] not equal to value [Value="payments"]. `+
		`[rule queue_name_known (.cfn-guard/names.guard)]`, diags[0].Detail)

	assert.Equal(t, "cfn-guard rule queue_ok failed", diags[1].Summary)
	assert.Equal(t, "stack.yaml", diags[1].File)
	assert.Zero(t, diags[1].Line)
	assert.Contains(t, diags[1].Detail, "dependent rule [queue_name_known] did not PASS")
	assert.Contains(t, diags[1].Detail, "[rule queue_ok (.cfn-guard/names.guard)]")
}
