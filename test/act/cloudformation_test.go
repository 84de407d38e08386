package act

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakecfn"
)

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
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /shop/password
      Type: String
      Value: !Ref DbPassword
Outputs:
  QueueUrl:
    Value: !Ref Queue
`

// cfnSecret is the NoEcho parameter's value: it must appear nowhere.
const cfnSecret = "cfn-Act-N0Ech0-S3cret"

// engine: cloudformation through the reusable workflow: the plan job
// creates the change set (AWS here is test/fakecfn, reached through the
// SDK's endpoint variable in TERRAFORM_ENV), apply executes exactly that
// change set, and the app deploys with the stack's outputs.
func TestCloudFormationAppliesThenDeploys(t *testing.T) {
	t.Parallel()
	srv := fakecfn.New()
	t.Cleanup(srv.Close)
	w := newWorld(t, "cfn", map[string]string{
		"cfn/stack.yaml":  cfnTemplate,
		"cfn/params.json": `{"DbPassword": "` + cfnSecret + `"}`,
	})
	w.engine, w.pulumiStack, w.template, w.parametersFile = "cloudformation", "shop-staging", "stack.yaml", "params.json"
	w.terraformEnv = srv.Env()
	w.backend = "" // CloudFormation keeps the state itself (backend-config is refused)
	w.seedPlanArtifacts()
	res := w.act("push")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	// AWS_EC2_METADATA_DISABLED=true is not masked: masking "true" would
	// hide every true of the log, and GitHub would drop the outputs.
	require.Equal(t, "true", res.steps["plan"]["has-changes"])
	require.True(t, strings.Contains(res.log, "(AWS_EC2_METADATA_DISABLED): a value this short or this common is not masked"), "the export step says why it left the value unmasked")
	require.Equal(t, "2", res.steps["plan"]["add"])

	st, ok := srv.Stack("shop-staging")
	require.True(t, ok, "apply created the stack")
	require.Equal(t, "CREATE_COMPLETE", st.Status)
	require.Equal(t, 1, srv.CallCount("ExecuteChangeSet"), "exactly one execution: the reviewed change set")

	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.steps["apply"]["outputs-json"]), &outputs), res.steps["apply"]["outputs-json"])
	require.Contains(t, outputs, "QueueUrl")
	w.requireAppDeployment(t)
	require.Contains(t, w.deployed(), deployTarget)
	res.requireNoSecrets(t)
	require.False(t, strings.Contains(res.log, cfnSecret), "the NoEcho value never reaches the log")
}
