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
)

const driftSecret = "pw-Dr1ftS3cret-e2e"

// driftWorkspace is a scheduled run on main against the fake GitHub, with
// the drift fixture applied in infra.
func driftWorkspace(t *testing.T) (*workspace, *fakegithub.Server) {
	gh := fakegithub.New(t, fakegithub.WithToken("ghs_e2eTokenValue0123456789"))
	gh.AddRepo("octo-org", "shop")
	w := newWorkspace(t)
	w.env["GITHUB_API_URL"] = gh.APIURL()
	w.env["GITHUB_EVENT_NAME"] = "schedule"
	w.fixture("drift", "infra")
	w.tf("infra", "init", "-input=false")
	w.tf("infra", "apply", "-input=false", "-auto-approve")
	return w, gh
}

// driftIssues are lockstep's issues with the infra/production marker.
func driftIssues(gh *fakegithub.Server) []fakegithub.Issue {
	var out []fakegithub.Issue
	for _, is := range gh.Issues("octo-org", "shop") {
		if is.User == fakegithub.DefaultUser && strings.HasPrefix(is.Body, "<!-- lockstep:drift dir=infra env=production -->\n") {
			out = append(out, is)
		}
	}
	return out
}

func issueWrites(gh *fakegithub.Server) int {
	return gh.Count("POST", "/repos/octo-org/shop/issues") + gh.Count("PATCH", "/repos/octo-org/shop/issues/{n}") +
		gh.Count("POST", "/repos/octo-org/shop/issues/{n}/comments")
}

type driftEntry struct {
	Drifted     bool   `json:"drifted"`
	Drift       int    `json:"drift"`
	Add         int    `json:"add"`
	Change      int    `json:"change"`
	Issue       string `json:"issue"`
	IssueResult string `json:"issue-result"`
}

func driftJSON(t *testing.T, r result) map[string]driftEntry {
	t.Helper()
	var out map[string]driftEntry
	require.NoError(t, json.Unmarshal([]byte(r.outputs["drift-json"]), &out), "drift-json: %s", r.outputs["drift-json"])
	return out
}

func TestDriftIssueLifecycle(t *testing.T) {
	w, gh := driftWorkspace(t)
	// Someone else's issue with lockstep's marker and label is never
	// touched, and does not stop lockstep from keeping its own.
	forged := gh.SeedIssue("octo-org", "shop", fakegithub.Issue{Title: "Drift: infra (production)", Body: "<!-- lockstep:drift dir=infra env=production -->\nforged", User: "mallory"}, "lockstep:drift")
	inputs := map[string]string{"command": "drift", "working-directory": "infra", "environment": "production"}

	// Clean: no issue, nothing written.
	r := w.action(inputs)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "false", r.outputs["drifted"])
	assert.Equal(t, "success", r.outputs["result"])
	assert.Empty(t, driftIssues(gh))
	assert.Zero(t, issueWrites(gh))
	assert.Contains(t, r.summary, "No drift")
	// Nothing a drift run plans can be applied: no saved plan, no record.
	for _, f := range []string{"tfplan", "tfplan.lockstep.json", "tfplan.age"} {
		_, err := os.Stat(filepath.Join(w.root, "infra", f))
		assert.True(t, os.IsNotExist(err), "%s left in the stack", f)
	}

	// Changed outside lockstep: the real resource no longer matches main.
	w.tf("infra", "apply", "-input=false", "-auto-approve", "-var", "size=large")
	r = w.action(inputs)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "true", r.outputs["drifted"])
	issues := driftIssues(gh)
	require.Len(t, issues, 1, "one issue opened")
	is := issues[0]
	assert.Equal(t, "open", is.State)
	assert.Equal(t, "Drift: infra (production)", is.Title)
	assert.Contains(t, is.Body, "`terraform_data.app`")
	assert.Contains(t, is.Body, "`input`")
	assert.Contains(t, is.Body, "commit `3f9a2c1`")
	assert.Contains(t, is.Body, "https://github.com/octo-org/shop/actions/runs/4211")
	assert.Equal(t, []string{"lockstep:drift"}, gh.Labels("octo-org", "shop", is.Number))
	entry := driftJSON(t, r)["infra"]
	assert.True(t, entry.Drifted)
	assert.Equal(t, 1, entry.Change)
	assert.Equal(t, "created", entry.IssueResult)
	assert.Contains(t, entry.Issue, "/issues/")
	assert.Contains(t, r.summary, "Drift")

	// Again, unchanged: nothing is written.
	before := issueWrites(gh)
	w.env["GITHUB_RUN_ID"] = "4212"
	r = w.action(inputs)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "true", r.outputs["drifted"])
	assert.Equal(t, before, issueWrites(gh), "an unchanged drift writes nothing")
	assert.Equal(t, "unchanged", driftJSON(t, r)["infra"].IssueResult)

	// The outside change is reverted, but main has code that is not
	// applied: still drifted, and the same issue now says so.
	w.tf("infra", "apply", "-input=false", "-auto-approve")
	w.moveTargetBranch("infra")
	r = w.action(inputs)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "true", r.outputs["drifted"])
	issues = driftIssues(gh)
	require.Len(t, issues, 1)
	assert.Equal(t, is.Number, issues[0].Number, "updated in place")
	assert.Contains(t, issues[0].Body, "`terraform_data.unreviewed`")
	assert.Contains(t, issues[0].Body, "1 to add, 0 to change, 0 to destroy")
	assert.NotContains(t, issues[0].Body, "`terraform_data.app`")
	assert.Equal(t, "updated", driftJSON(t, r)["infra"].IssueResult)

	// Applied: clean, and the issue is closed with one comment.
	w.tf("infra", "apply", "-input=false", "-auto-approve")
	r = w.action(inputs)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "false", r.outputs["drifted"])
	issues = driftIssues(gh)
	require.Len(t, issues, 1)
	assert.Equal(t, "closed", issues[0].State)
	cs := gh.Comments("octo-org", "shop", is.Number)
	require.Len(t, cs, 1)
	assert.Contains(t, cs[0].Body, "No drift at `3f9a2c1`")
	assert.Contains(t, cs[0].Body, "https://github.com/octo-org/shop/actions/runs/4212")
	// Clean again: nothing more.
	before = issueWrites(gh)
	r = w.action(inputs)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, before, issueWrites(gh))

	// The forged issue was never edited, commented on or closed.
	for _, got := range gh.Issues("octo-org", "shop") {
		if got.Number == forged {
			assert.Equal(t, "open", got.State)
			assert.True(t, strings.HasSuffix(got.Body, "\nforged"))
		}
	}
	assert.Empty(t, gh.Comments("octo-org", "shop", forged))

	// The sensitive value never left Terraform.
	for _, got := range gh.Issues("octo-org", "shop") {
		assert.NotContains(t, got.Body, driftSecret)
	}
	for _, req := range gh.Requests() {
		assert.NotContains(t, string(req.Body), driftSecret, "%s %s", req.Method, req.Path)
	}
}

func TestDriftSecretEnvValueNeverInTheIssue(t *testing.T) {
	w, gh := driftWorkspace(t)
	// The outside change puts a secret-env value into the resource.
	const secret = "s3cr3t-fr0m-env-e2e"
	w.tf("infra", "apply", "-input=false", "-auto-approve", "-var", "size="+secret)
	w.env["MY_SECRET"] = secret
	r := w.action(map[string]string{"command": "drift", "working-directory": "infra", "environment": "production", "secret-env": "MY_SECRET"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "true", r.outputs["drifted"])
	require.Len(t, driftIssues(gh), 1)
	for _, req := range gh.Requests() {
		assert.NotContains(t, string(req.Body), secret, "%s %s", req.Method, req.Path)
	}
	assert.NotContains(t, r.summary, secret)
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			assert.NotContains(t, line, secret)
		}
	}
}

func TestDriftNeverOpensASecondIssueWhenListingFails(t *testing.T) {
	w, gh := driftWorkspace(t)
	w.tf("infra", "apply", "-input=false", "-auto-approve", "-var", "size=large")
	gh.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/octo-org/shop/issues", Times: -1, Kind: fakegithub.FaultInternalError})
	r := w.action(map[string]string{"command": "drift", "working-directory": "infra", "environment": "production"})
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "drift-issue-failed", r.outputs["failure-reason"])
	assert.Equal(t, "true", r.outputs["drifted"], "the verdict is reported even when the issue cannot be kept")
	assert.Zero(t, gh.Count("POST", "/repos/octo-org/shop/issues"))
	assert.Contains(t, r.stdout, "listing issues labelled lockstep:drift")
}

func TestDriftEveryStack(t *testing.T) {
	w, gh := driftWorkspace(t)
	w.fixture("nochange", "steady")
	w.tf("steady", "init", "-input=false")
	w.tf("steady", "apply", "-input=false", "-auto-approve")
	w.tf("infra", "apply", "-input=false", "-auto-approve", "-var", "size=large")
	r := w.action(map[string]string{"command": "drift", "environment": "production"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "true", r.outputs["drifted"])
	all := driftJSON(t, r)
	require.Len(t, all, 2, "drift-json: %s", r.outputs["drift-json"])
	assert.True(t, all["infra"].Drifted)
	assert.False(t, all["steady"].Drifted)
	assert.Len(t, driftIssues(gh), 1, "only the drifted stack has an issue")
	assert.Contains(t, r.summary, "### Drift · 2 stacks · production")
}
