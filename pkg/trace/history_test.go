package trace

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func historyEntries() []Entry {
	rb := entry("3", "production", "v1.4.1", "3f2a9c1", StatusSuccess, TaskRollback, 20)
	rb.RolledBackFrom = "v1.4.2"
	rb.Actor = "octocat"
	rb.UpdatedAt = rb.CreatedAt.Add(time.Minute)
	rb.ApprovedBy, rb.ApprovalMode = []string{"alice"}, "environment"
	rb.InfraOutputs = []string{"app_url", "queue_arn"}
	failed := entry("2", "production", "v1.4.2", "3f2a9c1", StatusFailure, TaskDeploy, 10)
	failed.Actor = "octocat"
	failed.Description = "canary step 2 of 3 (50%) failed"
	failed.ApprovedBy, failed.ApprovalMode = []string{"bob", "dave"}, "pull-request"
	first := entry("1", "production", "v1.4.1", "3f2a9c1", StatusSuccess, TaskDeploy, 0)
	first.Actor = "hubot\x1b[31m"
	first.CreatedAt = first.CreatedAt.In(time.FixedZone("CET", 3600))
	return []Entry{rb, failed, first}
}

func TestRenderHistory(t *testing.T) {
	want := "" +
		"WHEN (UTC)           ENVIRONMENT  DEPLOYMENT VERSION        APP     INFRA    TASK                  STATUS   ACTOR       APPROVED BY\n" +
		"2025-03-14 09:46:53  production   app:v1.4.1-infra:3f2a9c1  v1.4.1  3f2a9c1  rollback from v1.4.2  success  octocat     alice (environment)\n" +
		"2025-03-14 09:36:53  production   app:v1.4.2-infra:3f2a9c1  v1.4.2  3f2a9c1  deploy                failure  octocat     bob, dave (pull-request)\n" +
		"2025-03-14 09:26:53  production   app:v1.4.1-infra:3f2a9c1  v1.4.1  3f2a9c1  deploy                success  hubot [31m  -\n"
	assert.Equal(t, want, RenderHistory(historyEntries()))
	assert.Equal(t, "No deployments recorded.\n", RenderHistory(nil))
}

func TestRenderHistoryJSON(t *testing.T) {
	data, err := RenderHistoryJSON(historyEntries()[:1])
	require.NoError(t, err)
	want := `[
  {
    "id": "3",
    "environment": "production",
    "deployment_version": "app:v1.4.1-infra:3f2a9c1",
    "app_version": "v1.4.1",
    "infra_version": "3f2a9c1",
    "task": "rollback:app",
    "status": "success",
    "description": "",
    "rolled_back_from": "v1.4.2",
    "plan_sha256": "",
    "actor": "octocat",
    "run_url": "",
    "created_at": "2025-03-14T09:46:53Z",
    "updated_at": "2025-03-14T09:47:53Z",
    "approved_by": "alice",
    "approval_mode": "environment",
    "infra_outputs": "app_url,queue_arn"
  }
]
`
	assert.Equal(t, want, string(data))

	data, err = RenderHistoryJSON(nil)
	require.NoError(t, err)
	assert.Equal(t, "[]\n", string(data))

	var all []map[string]any
	data, err = RenderHistoryJSON(historyEntries())
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &all))
	assert.Len(t, all, 3)
	assert.Equal(t, "2025-03-14T09:26:53Z", all[2]["created_at"], "always UTC")
	assert.Equal(t, "", all[2]["approved_by"])
	assert.Equal(t, "bob,dave", all[1]["approved_by"])
}
