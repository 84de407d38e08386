package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// A plan that deletes and replaces is flagged on the pull request with the
// way to allow it; after merge, apply refuses it until someone with write
// permission adds the lockstep:allow-destroy label after the plan comment,
// and a triage user's label does not count.
func TestDestroyLabelAllowsTheReviewedPlan(t *testing.T) {
	w, gh := prWorkspace(t)
	changesStack(w) // v2 deletes one resource and replaces two
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	comments := lockstepComments(gh)
	require.Len(t, comments, 1)
	body := comments[0].Body
	assert.Contains(t, body, "> ⛔ **Apply to staging will refuse this plan** (`destroy-not-allowed`): the policy does not allow them. To allow it:\n")
	assert.Contains(t, body, "> - someone with write permission adds the label `lockstep:allow-destroy` to the pull request after lockstep's plan comment on it last changed")
	assert.Contains(t, body, "> - list the addresses under `allow-destroy` for the environment in `.lockstep.yml`")
	assert.Contains(t, body, "**What happens next:** Merging this pull request plans again on the target branch; apply to **staging** refuses that plan (`destroy-not-allowed`) unless")
	assert.NotContains(t, body, "that plan is applied to staging without approval")
	commentAt := comments[0].UpdatedAt

	mergeSHA := "2222222222222222222222222222222222222222"
	gh.AddCommitPulls("octo-org", "shop", mergeSHA, 7)
	w.mergedPush(mergeSHA)
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)
	before := w.stateAddresses("infra")

	// No label: refused, nothing changed.
	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "destroy-not-allowed", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "the label lockstep:allow-destroy does not allow it: no pull request of commit 2222222 (PR #7) carries it")
	assert.Equal(t, before, w.stateAddresses("infra"))

	// A triage user can add labels but is no writer: still refused.
	gh.SetPermission("octo-org", "shop", "trish", "triage")
	gh.SetPermission("octo-org", "shop", "wendy", "write")
	gh.AddLabelEvent("octo-org", "shop", 7, fakegithub.LabelEvent{Label: "lockstep:allow-destroy", Actor: "trish", At: commentAt.Add(time.Minute)})
	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "destroy-not-allowed", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "on PR #7 it was added by trish")
	assert.Contains(t, r.stdout, "whose permission is triage")
	assert.Contains(t, r.summary, "whose permission is triage")
	assert.Equal(t, before, w.stateAddresses("infra"))

	// A writer removes it and adds it again: the reviewed plan applies.
	gh.AddLabelEvent("octo-org", "shop", 7, fakegithub.LabelEvent{Label: "lockstep:allow-destroy", Actor: "wendy", Removed: true, At: commentAt.Add(2 * time.Minute)})
	gh.AddLabelEvent("octo-org", "shop", 7, fakegithub.LabelEvent{Label: "lockstep:allow-destroy", Actor: "wendy", At: commentAt.Add(3 * time.Minute)})
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.stdout, "allowed by the label lockstep:allow-destroy on PR #7, added by wendy (write)")
	after := w.stateAddresses("infra")
	assert.NotContains(t, after, "terraform_data.delete")
	assert.NotEqual(t, before, after)
}

// A policy list that covers every delete and replace: the comment says the
// apply allows them, and apply does so without any label.
func TestDestroyAllowedByPolicyList(t *testing.T) {
	w, gh := prWorkspace(t)
	changesStack(w)
	require.NoError(t, os.WriteFile(filepath.Join(w.root, ".lockstep.yml"),
		[]byte("environments:\n  staging:\n    allow-destroy: [terraform_data.delete, \"terraform_data.replace_*\"]\n"), 0o644))
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	comments := lockstepComments(gh)
	require.Len(t, comments, 1)
	assert.Contains(t, comments[0].Body, "> ✅ **Apply to staging allows these deletes and replaces:** allow-destroy in .lockstep.yml allows them.\n")
	assert.NotContains(t, comments[0].Body, "will refuse")
	assert.NotContains(t, comments[0].Body, "refuses that plan")

	w.mergedPush("3333333333333333333333333333333333333333")
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)
	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.NotContains(t, w.stateAddresses("infra"), "terraform_data.delete")
	assert.Zero(t, gh.Count("GET", "/repos/octo-org/shop/issues/{number}/timeline"), "the policy allowed it: no label look-up")
}
