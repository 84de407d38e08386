package comment

import (
	"fmt"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRenderApplyFailureSaysWhereThingsStand(t *testing.T) {
	out := RenderApply(Meta{Directory: "infra", Environment: "production", Commit: "3f9a2c1d0e5b"}, ApplyResult{
		Applied:    []ApplyResource{{Address: "terraform_data.ok", Action: "create"}},
		Failed:     []ApplyResource{{Address: `terraform_data.bad["a|b"]`, Action: "create", Error: "local-exec provisioner error: exit 1 @oncall"}},
		NotReached: []ApplyResource{{Address: "terraform_data.after", Action: "create"}},
	}, "running terraform apply: exit status 1")
	assert.Contains(t, out, "**The apply failed.** 1 applied (1 added, 0 changed, 0 destroyed), 1 failed, 1 not reached.")
	assert.Contains(t, out, "does not roll infrastructure back")
	assert.Contains(t, out, "| `terraform_data.bad[\"a\\|b\"]` | ➕ create |")
	assert.NotContains(t, out, "@oncall", "a mention in an error never pings")
	requireBefore(t, out, "Failed (1)", "Applied (1)")
	assert.Contains(t, out, "fix forward in a new pull request")
}

func TestRenderApplyAlwaysFitsAComment(t *testing.T) {
	var r ApplyResult
	for i := 0; i < 5000; i++ {
		r.Failed = append(r.Failed, ApplyResource{Address: fmt.Sprintf("module.m[%d].terraform_data.x", i), Action: "create", Error: strings.Repeat("long error ", 60)})
		r.Errors = append(r.Errors, strings.Repeat("e", 900))
	}
	out := RenderApply(Meta{Directory: "infra"}, r, "failed")
	assert.LessOrEqual(t, utf8.RuneCountInString(out), commentBudget)
	assert.Contains(t, out, "more.")
}

func TestRenderRefusal(t *testing.T) {
	out := RenderRefusal("", "infra", "prod", "the plan was made for commit abc1234 <b>")
	assert.Contains(t, out, "**Refused: nothing was applied.** the plan was made for commit abc1234 &lt;b&gt;")
}

func TestRenderApplyNamesTheApprovers(t *testing.T) {
	out := RenderApply(Meta{Directory: "infra", Environment: "production", Approvals: []Approval{
		{Login: "alice", Comment: "LGTM @oncall <img src=x> **now**"},
		{Login: "bob"},
	}}, ApplyResult{Applied: []ApplyResource{{Address: "terraform_data.ok", Action: "create"}}}, "")
	assert.Contains(t, out, "**Approved by**\n\n- alice: “LGTM @\u200doncall &lt;img src=x&gt; \\*\\*now\\*\\*”\n- bob\n")
	requireBefore(t, out, "Apply complete:** 1 added, 0 changed, 0 destroyed", "Approved by")
}

func TestRenderApplyNamesTheModeAndLinksTheReviews(t *testing.T) {
	out := RenderApply(Meta{Directory: "infra", Environment: "production", ApprovalMode: "pull-request", Approvals: []Approval{
		{Login: "bob", URL: "https://github.com/acme/infra/pull/7#pullrequestreview-81"},
		{Login: "carol", URL: "javascript:alert(1)"},
	}}, ApplyResult{Applied: []ApplyResource{{Address: "terraform_data.ok", Action: "create"}}}, "")
	assert.Contains(t, out, "**Approved by** (pull-request mode: approving reviews of the merged pull request)\n\n"+
		"- [bob](https://github.com/acme/infra/pull/7#pullrequestreview-81)\n- carol\n")
}

// requireBefore fails unless s holds first and then, later, second: an
// absent part fails too, instead of comparing -1.
func requireBefore(t *testing.T, s, first, second string) {
	t.Helper()
	i, j := strings.Index(s, first), strings.Index(s, second)
	require.GreaterOrEqual(t, i, 0, "%q is missing from:\n%s", first, s)
	require.GreaterOrEqual(t, j, 0, "%q is missing from:\n%s", second, s)
	require.Less(t, i, j, "%q must come before %q", first, second)
}

// The counts are Terraform's "Apply complete! Resources:" line: a replace
// is one added and one destroyed; a read or a move is not counted.
func TestRenderApplyCountsAsTerraformDoes(t *testing.T) {
	out := RenderApply(Meta{Directory: "infra"}, ApplyResult{Applied: []ApplyResource{
		{Address: "a.new", Action: "create"}, {Address: "a.changed", Action: "update"}, {Address: "a.gone", Action: "delete"},
		{Address: "a.swapped", Action: "replace"}, {Address: "data.a.read", Action: "read"}, {Address: "a.moved", Action: "move"},
	}}, "")
	assert.Contains(t, out, "✅ **Apply complete:** 2 added, 1 changed, 2 destroyed, from the reviewed plan.")
	requireBefore(t, out, "| `a.new` | ➕ create |", "| `a.changed` | ")
	requireBefore(t, out, "| `a.changed` | ", "| `a.gone` | ")
}

// The terminal prompt shows the plan's table, not only its counts.
func TestPlainSummary(t *testing.T) {
	s := &plan.Summary{Add: 2, Change: 1, Destroy: 1, Replace: 1, Changes: []plan.Change{
		{Address: "aws_db_instance.main", Action: plan.ActionReplace, ReplacePaths: []string{"engine_version"}},
		{Address: "aws_instance.web[10]", Action: plan.ActionUpdate, ChangedAttributes: []string{"instance_type", "tags"}},
		{Address: "aws_instance.web[2]\x1b[31m", Action: plan.ActionCreate},
	}}
	assert.Equal(t, "Plan: 2 to add, 1 to change, 1 to destroy. (1 replaced)\n"+
		"  replace  aws_db_instance.main  engine_version forces replacement\n"+
		"  update   aws_instance.web[10]  instance_type, tags\n"+
		"  create   aws_instance.web[2]", PlainSummary(s, 30))
	assert.Equal(t, "Plan: 2 to add, 1 to change, 1 to destroy. (1 replaced)\n"+
		"  replace  aws_db_instance.main  engine_version forces replacement\n"+
		"  … and 2 more (the full plan is above)", PlainSummary(s, 1))
	assert.Equal(t, "No changes.", PlainSummary(&plan.Summary{}, 30))
}
