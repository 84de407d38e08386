package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A sensitive output's value "bar" is hidden, and the address
// terraform_data.bar is shown whole in the posted comment and the job
// summary (issue 19): redaction replaces values, never names. The log is
// masked as before.
func TestPlanCommentKeepsAddressEqualToASecret(t *testing.T) {
	w, gh := prWorkspace(t)
	w.fixture("sensitivename", "infra")

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.stdout, "::add-mask::bar", "the value is masked in the log")
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	for name, body := range map[string]string{"comment": mine[0].Body, "summary": r.summary} {
		assert.Contains(t, body, "| ➕ create | `terraform_data.bar` |", name)
		assert.Contains(t, body, "  # terraform_data.bar will be created\n", name)
		assert.Contains(t, body, `resource "terraform_data" "bar" {`, name)
		assert.Contains(t, body, "| ➕ new | `token` | — | *(sensitive)* |", name)
		assert.NotContains(t, body, "terraform_data.***", name)
		assert.NotContains(t, body, "terraform_data.(sensitive value)", name)
		assert.NotContains(t, body, `"bar"`+"\n", name)
	}
}

// An update shows its changed values in the comment: before → after.
func TestPlanCommentShowsChangedValues(t *testing.T) {
	w, gh := prWorkspace(t)
	w.fixture("sensitivename", "infra")
	// Apply the first version locally, then change replicas and plan on the
	// pull request.
	r := w.cli("run", "--working-directory", "infra", "--auto-approve")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	// The local summaries (plan and apply report) keep the address whole
	// too, beside the sensitive output "bar".
	assert.Contains(t, r.stdout, "`terraform_data.bar`")
	assert.NotContains(t, r.stdout, "terraform_data.***")
	writeFile(t, w, "infra/main.tf", strings.Replace(readFile(t, w.root+"/infra/main.tf"), "replicas = 4", "replicas = 5", 1))
	r = w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	assert.Contains(t, mine[0].Body, "| ✏️ update | `terraform_data.bar` | `input`: `replicas`: `4` → `5`<br>`output` → *(known after apply)* |")
}
