package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const monorepoStacks = "infra/app\ninfra/db\ninfra/network"

// stackGroup returns the log group a multi-stack run printed for dir: from
// its ::group:: line to the next ::endgroup::.
func stackGroup(t *testing.T, stdout, dir string) string {
	t.Helper()
	start := strings.Index(stdout, "::group::"+dir+" · ")
	require.GreaterOrEqual(t, start, 0, "no log group for %s in:\n%s", dir, stdout)
	end := strings.Index(stdout[start:], "::endgroup::")
	require.Positive(t, end, "the group of %s never ends", dir)
	return stdout[start : start+end]
}

// Several stacks plan side by side in one process: each gets exactly one
// comment (updated in place on the next run), its own log group and its own
// summary under a roll-up, while their inits share one provider cache.
func TestParallelPlansCommentOncePerStack(t *testing.T) {
	w, gh := prWorkspace(t)
	w.monorepo("")
	cache := t.TempDir()
	w.env["TF_PLUGIN_CACHE_DIR"] = cache
	in := map[string]string{"command": "plan", "working-directory": monorepoStacks, "environment": "staging", "parallelism": "3"}

	r := w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)

	// One comment per stack, marked with its directory, with its own plan.
	comments := lockstepComments(gh)
	require.Len(t, comments, 3, "exactly one comment per stack")
	byDir := map[string]fakegithub.Comment{}
	for _, c := range comments {
		m := regexp.MustCompile(`^<!-- lockstep:plan dir=(\S+) env=staging -->\n`).FindStringSubmatch(c.Body)
		require.NotNil(t, m, "marker first:\n%s", c.Body)
		byDir[m[1]] = c
	}
	require.Len(t, byDir, 3, "one comment for each of the three stacks")
	assert.Contains(t, byDir["infra/app"].Body, "module.queue.terraform_data.queue")
	assert.Contains(t, byDir["infra/db"].Body, "terraform_data.db")
	assert.NotContains(t, byDir["infra/db"].Body, "terraform_data.app")
	assert.Contains(t, byDir["infra/network"].Body, "terraform_data.network")

	// Outputs sum the stacks; a single plan's checksum and file mean nothing here.
	assert.Equal(t, "true", r.outputs["has-changes"])
	assert.Equal(t, "4", r.outputs["add"], "app 2, db 1, network 1")
	assert.Equal(t, "0", r.outputs["destroy"])
	assert.Equal(t, "success", r.outputs["result"])
	assert.NotContains(t, r.outputs, "plan-sha256")
	assert.NotContains(t, r.outputs, "plan-file")
	for _, dir := range []string{"infra/app", "infra/db", "infra/network"} {
		assert.FileExists(t, filepath.Join(w.root, dir, "tfplan.lockstep.json"))
	}

	// The roll-up comes first, then each stack's summary.
	rollup := strings.Index(r.summary, "### "+engineName(t)+" plan · 3 stacks · staging")
	require.GreaterOrEqual(t, rollup, 0, "summary:\n%s", r.summary)
	assert.Contains(t, r.summary, "| `infra/app` | 📝 changes | 2 | 0 | 0 | 0 |")
	assert.Contains(t, r.summary, "| **Total** |  | **4** | **0** | **0** | **0** |")
	for _, dir := range []string{"infra/app", "infra/db", "infra/network"} {
		requireBefore(t, r.summary, "### "+engineName(t)+" plan · 3 stacks · staging", "### "+engineName(t)+" plan · `"+dir+"`", "%s's summary follows the roll-up", dir)
	}

	// The three started before any finished, and each stack's log is one
	// uninterrupted group.
	for _, dir := range []string{"infra/app", "infra/db", "infra/network"} {
		requireBefore(t, r.stdout, "→ "+dir+": started", "::group::infra/", "%s started while the others ran", dir)
		g := stackGroup(t, r.stdout, dir)
		assert.Contains(t, g, engineCommand(t)+" plan in "+dir)
		for _, other := range []string{"infra/app", "infra/db", "infra/network"} {
			if other != dir {
				assert.NotContains(t, g, "in "+other, "the log of %s holds lines of %s", dir, other)
			}
		}
	}
	assert.FileExists(t, filepath.Join(cache, ".lockstep-init.lock"), "the inits took the shared plugin cache's lock")

	// The next run edits the three comments and adds none.
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	again := lockstepComments(gh)
	require.Len(t, again, 3)
	for _, c := range again {
		assert.Contains(t, []int64{comments[0].ID, comments[1].ID, comments[2].ID}, c.ID)
	}
}

// failingDB makes infra/db fail at apply: its postcondition can only be
// checked once the resource exists, so the plan succeeds.
const failingDB = `terraform {
  required_version = ">= 1.4"
}

resource "terraform_data" "db" {
  input = "db"

  lifecycle {
    postcondition {
      condition     = self.id == "never"
      error_message = "infra/db fails at apply on purpose."
    }
  }
}
`

// Applies go layer by layer (infra/app depends on infra/db and
// infra/network); when a stack of a layer fails, later layers do not start.
func TestLayeredApplyStopsAfterAFailingLayer(t *testing.T) {
	w, _ := pushWorkspace(t)
	w.monorepo("")
	w.write(map[string]string{"infra/db/main.tf": failingDB})
	in := map[string]string{"working-directory": monorepoStacks, "environment": "staging"}

	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "apply-failed", r.outputs["failure-reason"])

	// Layer 1 ran both stacks; layer 2 never started.
	assert.Equal(t, []string{"terraform_data.network"}, w.stateAddresses("infra/network"))
	assert.Contains(t, stackGroup(t, r.stdout, "infra/db"), "infra/db fails at apply on purpose")
	assert.Empty(t, w.stateAddresses("infra/app"), "the layer after a failed one is not applied")
	assert.NotContains(t, r.stdout, "→ infra/app: started")
	assert.Contains(t, r.stdout, "not started because an earlier layer failed: infra/app")
	assert.Contains(t, r.summary, "| 1 | `infra/db` | ❌ failed")
	assert.Contains(t, r.summary, "| 1 | `infra/network` | ✅ applied |")
	assert.Contains(t, r.summary, "| 2 | `infra/app` | ⏸️ not started")
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.outputs["outputs-json"]), &outputs))
	assert.Equal(t, []string{"infra/network"}, keys(outputs), "outputs-json holds the stacks that applied")
}

// Without failures every layer applies, in order.
func TestLayeredApplyInOrder(t *testing.T) {
	w, _ := pushWorkspace(t)
	w.monorepo("")
	in := map[string]string{"working-directory": monorepoStacks, "environment": "staging"}
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "success", r.outputs["result"])

	for _, dir := range []string{"infra/db", "infra/network"} {
		requireBefore(t, r.stdout, "::group::"+dir+" · layer 1 · applied", "→ infra/app: started", "%s applied before infra/app started", dir)
	}
	assert.Equal(t, []string{"module.queue.terraform_data.queue", "terraform_data.app"}, w.stateAddresses("infra/app"))
	var outputs map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.outputs["outputs-json"]), &outputs))
	assert.Len(t, outputs, 3)
	assert.NotEmpty(t, outputs["infra/app"]["id"])
}

// Secrets a stack's plan reveals never reach the log, the summary or the
// outputs of a multi-stack run; each is masked before its plan text.
func TestMultiStackPlanNeverLeaksSecrets(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("sensitive", "secure")
	w.fixture("nochange", "plain")
	data, err := os.ReadFile(filepath.Join(w.root, "secure", "secrets.tfvars"))
	require.NoError(t, err)
	w.write(map[string]string{"plain/secrets.tfvars": string(data), "plain/vars.tf": "variable \"api_key\" {\n  type    = string\n  default = \"\"\n}\n"})
	secrets := []string{"pw-Sup3rS3cret-e2e", "tok-N3st3dS3cret-e2e", "key-V4rF1l3S3cret-e2e", w.env["INPUT_GITHUB-TOKEN"]}

	r := w.action(map[string]string{"command": "plan", "working-directory": "secure\nplain", "var-files": "secrets.tfvars"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	for _, s := range secrets {
		for i, line := range strings.Split(r.stdout, "\n") {
			if line == "::add-mask::"+s {
				continue
			}
			assert.NotContains(t, line, s, "stdout line %d leaks a secret", i+1)
		}
		assert.NotContains(t, r.stderr, s)
		assert.NotContains(t, r.summary, s)
		for k, v := range r.outputs {
			assert.NotContains(t, v, s, "output %s leaks a secret", k)
		}
	}
	g := stackGroup(t, r.stdout, "secure")
	lastMask, plan := strings.LastIndex(g, "::add-mask::"), strings.Index(g, "terraform_data.db")
	require.GreaterOrEqual(t, lastMask, 0, "no ::add-mask:: in the group")
	require.GreaterOrEqual(t, plan, 0, "no plan text in the group")
	assert.Less(t, lastMask, plan, "masks come before the plan text")
}

// Locally, plan --changed plans what detect finds: one stack through the
// single-stack path, several side by side.
func TestPlanChangedLocally(t *testing.T) {
	w := newWorkspace(t)
	w.monorepo("")
	w.commitAll("initial")
	w.commitAll("nothing") // HEAD~1..HEAD is empty

	w.write(map[string]string{"modules/queue/extra.tf": "# changed\n"})
	r := w.cli("plan", "--changed", "--environment", "staging")
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	assert.Contains(t, r.stderr, "1 of 3 stacks changed: infra/app")
	assert.FileExists(t, filepath.Join(w.root, "infra/app/tfplan.lockstep.json"))
	assert.NoFileExists(t, filepath.Join(w.root, "infra/db/tfplan.lockstep.json"))

	w.write(map[string]string{"modules/naming/extra.tf": "# changed\n"})
	commentFile := filepath.Join(t.TempDir(), "comments.md")
	r = w.cli("plan", "--changed", "--environment", "staging", "--comment-file", commentFile)
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	assert.Contains(t, r.stdout, "### "+engineName(t)+" plan · 3 stacks · staging")
	bodies := readFile(t, commentFile)
	for _, dir := range []string{"infra/app", "infra/db", "infra/network"} {
		assert.Equal(t, 1, strings.Count(bodies, "<!-- lockstep:plan dir="+dir+" env=staging -->"), "one comment body for %s", dir)
	}

	r = w.cli("plan", "--changed", "--working-directory", "infra/db")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--changed and --working-directory: choose one")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
