package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// changesStack applies v1 of the "changes" fixture in infra/ and then puts v2
// in its place, so that planning gives creates, updates, replaces in both
// orders, a delete and a move.
func changesStack(w *workspace) {
	w.fixture("changes/v1", "infra")
	w.tf("infra", "init", "-input=false")
	w.tf("infra", "apply", "-input=false", "-auto-approve")
	w.fixture("changes/v2", "infra")
}

func TestPlanCountsEqualTerraformsOwnLine(t *testing.T) {
	w := newWorkspace(t)
	changesStack(w)

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging"})
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)

	add, change, destroy := w.terraformCounts("infra", "tfplan")
	assert.Equal(t, strconv.Itoa(add), r.outputs["add"])
	assert.Equal(t, strconv.Itoa(change), r.outputs["change"])
	assert.Equal(t, strconv.Itoa(destroy), r.outputs["destroy"])
	assert.Equal(t, "true", r.outputs["has-changes"])
	assert.Equal(t, "infra/tfplan", r.outputs["plan-file"])
	assert.Equal(t, "success", r.outputs["result"])

	// Replacements, counted independently from Terraform's JSON.
	var p tfjson.Plan
	require.NoError(t, json.Unmarshal([]byte(w.tf("infra", "show", "-json", "tfplan")), &p))
	replaces := 0
	for _, rc := range p.ResourceChanges {
		if rc.Change.Actions.Replace() {
			replaces++
		}
	}
	require.Equal(t, 2, replaces, "the fixture replaces in both orders")
	assert.Equal(t, strconv.Itoa(replaces), r.outputs["replace"])

	// The plan SHA-256 and the binding record describe the file on disk.
	data, err := os.ReadFile(filepath.Join(w.root, "infra", "tfplan"))
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:]), r.outputs["plan-sha256"])
	var record map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(w.root, "infra", "tfplan.lockstep.json"))), &record))
	assert.Equal(t, r.outputs["plan-sha256"], record["plan_sha256"])
	assert.Equal(t, w.env["GITHUB_SHA"], record["commit"])
	assert.Equal(t, "infra", record["directory"])
	assert.Equal(t, "staging", record["environment"])
	assert.Equal(t, engineInput(t), record["engine"])
	assert.Regexp(t, `^1\.\d+\.\d+`, record["engine_version"])
	assert.NotEmpty(t, record["created_at"])
	assert.Equal(t, float64(add), record["counts"].(map[string]any)["add"])

	// The job summary names every changed resource and the counts.
	for _, addr := range []string{"terraform_data.update", "terraform_data.replace_default", "terraform_data.replace_cbd", "terraform_data.delete"} {
		assert.Contains(t, r.summary, addr)
	}
	assert.Contains(t, r.summary, r.outputs["plan-sha256"][:12])
	// Terraform's show -json output never reaches the log.
	assert.NotContains(t, r.stdout, `"format_version"`)
	assert.NotContains(t, r.stdout, `"resource_changes"`)
}

func TestPlanNoChanges(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("nochange", "stack")
	w.tf("stack", "init", "-input=false")
	w.tf("stack", "apply", "-input=false", "-auto-approve")

	r := w.action(map[string]string{"command": "plan", "working-directory": "stack"})
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	add, change, destroy := w.terraformCounts("stack", "tfplan")
	require.Equal(t, [3]int{0, 0, 0}, [3]int{add, change, destroy})
	assert.Equal(t, "false", r.outputs["has-changes"])
	assert.Equal(t, "0", r.outputs["add"])
	assert.Equal(t, "0", r.outputs["destroy"])
	assert.Contains(t, strings.ToLower(r.summary), "no changes")
}

// No secret appears in any output, summary, exported variable or log line,
// except the ::add-mask:: lines that register it, which come first.
func TestPlanNeverLeaksSecrets(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("sensitive", "secure")
	secrets := []string{"pw-Sup3rS3cret-e2e", "tok-N3st3dS3cret-e2e", "key-V4rF1l3S3cret-e2e", w.env["INPUT_GITHUB-TOKEN"]}

	r := w.action(map[string]string{"command": "plan", "working-directory": "secure", "var-files": "secrets.tfvars"})
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.summary, "visible-value", "non-sensitive values still show")

	for _, s := range secrets {
		masked := false
		for i, line := range strings.Split(r.stdout, "\n") {
			if line == "::add-mask::"+s {
				masked = true
				continue
			}
			assert.NotContains(t, line, s, "stdout line %d leaks a secret", i+1)
		}
		assert.True(t, masked, "%s was never registered with ::add-mask::", s)
		assert.NotContains(t, r.stderr, s)
		assert.NotContains(t, r.summary, s)
		assert.NotContains(t, r.envFile, s)
		for k, v := range r.outputs {
			assert.NotContains(t, v, s, "output %s leaks a secret", k)
		}
		record := readFile(t, filepath.Join(w.root, "secure", "tfplan.lockstep.json"))
		assert.NotContains(t, record, s)
	}
	// Masks are registered before Terraform's plan text is printed.
	firstPlanLine := strings.Index(r.stdout, "terraform_data.db")
	lastMask := strings.LastIndex(r.stdout, "::add-mask::")
	require.Positive(t, firstPlanLine)
	assert.Less(t, lastMask, firstPlanLine)
}

func TestPlanOnPullRequestUsesHeadCommit(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("nochange", "stack")
	w.pullRequestEvent(12, "feedfacecafebeefdeadbeef0123456789abcdef")

	r := w.action(map[string]string{"command": "plan", "working-directory": "stack", "comment": "never"})
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.summary, "feedfac")
}

func TestPlanBadVarFile(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("nochange", "stack")
	r := w.action(map[string]string{"command": "plan", "working-directory": "stack", "var-files": "missing.tfvars"})
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stdout, `::error title=Invalid input::input "var-files": "missing.tfvars" does not exist in stack`)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "bad-input", r.outputs["failure-reason"])
}

func TestPlanTerraformFailureExits1(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("sensitive", "secure") // api_key has no default and no var file: plan fails
	r := w.action(map[string]string{"command": "plan", "working-directory": "secure"})
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "plan-failed", r.outputs["failure-reason"])
	_, err := os.Stat(filepath.Join(w.root, "secure", "tfplan.lockstep.json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a failed plan leaves no binding record")
}
