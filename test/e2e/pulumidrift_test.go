package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
	"github.com/lockstep-ci/lockstep/test/pulumitest"
)

// A Pulumi stack whose things the test provider keeps as files
// (LOCKSTEP_THING_DIR): one is edited and one deleted outside Pulumi. The
// drift run, lockstep's binary against the fake GitHub, opens one issue
// naming both, says drifted, and leaves the state as it was; once the
// stack is put right, it says clean and closes the issue.
func TestPulumiDriftIssueLifecycle(t *testing.T) {
	gh := fakegithub.New(t, fakegithub.WithToken("ghs_e2eTokenValue0123456789"))
	gh.AddRepo("octo-org", "shop")
	w := newWorkspace(t)
	w.env["GITHUB_API_URL"] = gh.APIURL()
	w.env["GITHUB_EVENT_NAME"] = "schedule"
	pulumiStack(t, w)
	things := t.TempDir()
	w.env["LOCKSTEP_THING_DIR"] = things
	// pulumi as the stack's owner runs it, outside lockstep, with the
	// things kept in files.
	bin := pulumitest.Path(t)
	var env []string
	for k, v := range w.env {
		if strings.HasPrefix(k, "PULUMI_") || k == "PATH" || k == "LOCKSTEP_THING_DIR" {
			env = append(env, k+"="+v)
		}
	}
	infra := filepath.Join(w.root, "infra")
	pulumi := func(args ...string) string {
		return pulumitest.Run(t, bin, infra, env, append(args, "--stack", "dev", "--non-interactive")...)
	}
	pulumi("up", "--yes", "--skip-preview")
	issues := func() []fakegithub.Issue {
		var out []fakegithub.Issue
		for _, is := range gh.Issues("octo-org", "shop") {
			if is.User == fakegithub.DefaultUser && strings.HasPrefix(is.Body, "<!-- lockstep:drift dir=infra env=production -->\n") {
				out = append(out, is)
			}
		}
		return out
	}
	in := map[string]string{"command": "drift", "working-directory": "infra", "environment": "production", "engine": "pulumi", "stack": "dev"}

	// Just applied: clean, no issue.
	r := w.action(in)
	requireCode(t, 0, r)
	assert.Equal(t, "false", r.outputs["drifted"])
	assert.Empty(t, issues())
	assertNoPulumiSecret(t, r)

	// Outside Pulumi: second's value edited, third deleted.
	require.NoError(t, os.WriteFile(filepath.Join(things, "thing-second"), []byte(`{"fail":false,"value":"edited-outside"}`), 0o644))
	require.NoError(t, os.Remove(filepath.Join(things, "thing-third")))
	before := pulumi("stack", "export")

	r = w.action(in)
	requireCode(t, 0, r)
	assertNoPulumiSecret(t, r)
	assert.Equal(t, "true", r.outputs["drifted"])
	entry := driftJSON(t, r)["infra"]
	assert.Equal(t, driftEntry{Drifted: true, Drift: 2, Add: 1, Change: 1, Issue: entry.Issue, IssueResult: "created"}, entry)
	got := issues()
	require.Len(t, got, 1, "one issue opened")
	is := got[0]
	assert.Equal(t, "open", is.State)
	assert.Equal(t, "Drift: infra (production)", is.Title)
	assert.Equal(t, []string{"lockstep:drift"}, gh.Labels("octo-org", "shop", is.Number))
	assert.Contains(t, is.Body, "2 resources changed outside Pulumi since the last apply; 2 planned changes are not applied.")
	assert.Contains(t, is.Body, "| `lockstep:index:Thing::second` | `value` |")
	assert.Contains(t, is.Body, "| `lockstep:index:Thing::third` | deleted outside Pulumi |")
	assert.NotContains(t, is.Body, "Thing::first")
	assert.Contains(t, r.summary, "2 resources changed outside Pulumi")
	for _, req := range gh.Requests() {
		assert.NotContains(t, string(req.Body), pulumiSecret, "%s %s", req.Method, req.Path)
	}

	// A drift check is a preview: the state and the things are untouched.
	assert.Equal(t, before, pulumi("stack", "export"), "drift never writes the state")
	thing, err := os.ReadFile(filepath.Join(things, "thing-second"))
	require.NoError(t, err)
	assert.Equal(t, `{"fail":false,"value":"edited-outside"}`, string(thing))
	assert.NoFileExists(t, filepath.Join(things, "thing-third"))

	// Put right (an update after a refresh brings the things back to the
	// program): clean, and the issue is closed with one comment.
	pulumi("up", "--yes", "--skip-preview", "--refresh")
	w.env["GITHUB_RUN_ID"] = "4212"
	r = w.action(in)
	requireCode(t, 0, r)
	assert.Equal(t, "false", r.outputs["drifted"])
	assert.Equal(t, "closed", driftJSON(t, r)["infra"].IssueResult)
	got = issues()
	require.Len(t, got, 1)
	assert.Equal(t, "closed", got[0].State)
	cs := gh.Comments("octo-org", "shop", is.Number)
	require.Len(t, cs, 1)
	assert.Contains(t, cs[0].Body, "No drift at `3f9a2c1`")
	assert.Contains(t, cs[0].Body, "https://github.com/octo-org/shop/actions/runs/4212")
}
