package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// promote-from: a commit reaches preprod only after its app deployment to
// staging succeeded, read from GitHub Deployments; apply refuses before
// Terraform runs and deploy before anything is recorded, and deploy ships
// the app version staging verified.
func TestPromoteFromStaging(t *testing.T) {
	w, gh := pushWorkspace(t)
	w.fixture("changes/v1", "infra")
	app := newFakeApp(w)
	pre := map[string]string{"working-directory": "infra", "environment": "preprod", "promote-from": "staging"}
	staging := map[string]string{"command": "deploy", "working-directory": "infra", "environment": "staging", "app-version": "v2.0.0",
		"deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0"}
	deployPre := merge(pre, map[string]string{"command": "deploy", "deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0"})

	// Never deployed to staging: the approver is told, apply refuses.
	r := w.action(with(pre, "command", "plan"))
	requireCode(t, 0, r)
	assert.Contains(t, r.summary, "Not promoted yet")
	r = w.action(with(pre, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "not-promoted", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "commit "+w.env["GITHUB_SHA"][:7]+" was never deployed to staging")
	assert.Empty(t, w.stateAddresses("infra"), "nothing was applied")
	r = w.action(deployPre)
	requireCode(t, 1, r)
	assert.Equal(t, "not-promoted", r.outputs["failure-reason"])
	assert.Empty(t, app.deploys(), "nothing was deployed")

	// Staging deployed it, but its smoke check failed: still refused.
	app.setHealthy(func(string, int) bool { return false })
	requireCode(t, 1, w.action(staging))
	r = w.action(with(pre, "command", "apply"))
	requireCode(t, 1, r)
	assert.Equal(t, "not-promoted", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "(app v2.0.0, deployment ")
	assert.Contains(t, r.stdout, "did not succeed (failure")
	assert.Empty(t, w.stateAddresses("infra"))

	// Staging succeeded: the plan says so, apply applies, deploy ships v2.0.0.
	app.setHealthy(func(string, int) bool { return true })
	requireCode(t, 0, w.action(staging))
	r = w.action(with(pre, "command", "plan"))
	requireCode(t, 0, r)
	assert.Contains(t, r.summary, "Promoted from staging:** this commit's app `v2.0.0` succeeded there")
	r = w.action(with(pre, "command", "apply"))
	requireCode(t, 0, r)
	assert.NotEmpty(t, w.stateAddresses("infra"))

	// Another app version is not what staging verified.
	r = w.action(with(deployPre, "app-version", "v2.0.1"))
	requireCode(t, 1, r)
	assert.Equal(t, "not-promoted", r.outputs["failure-reason"])
	assert.Contains(t, r.stdout, "app-version is v2.0.1, but staging verified app v2.0.0")

	before := len(app.deploys())
	r = w.action(deployPre)
	requireCode(t, 0, r)
	assert.Equal(t, "v2.0.0", r.outputs["app-version"], "the app version staging verified")
	deploys := app.deploys()
	require.Len(t, deploys, before+1)
	assert.Equal(t, "v2.0.0 100", deploys[len(deploys)-1])

	var preprod int
	for _, d := range gh.Deployments(owner, repo) {
		if d.Environment == "preprod" {
			preprod++
			assert.Equal(t, "v2.0.0", payloadOf(t, d)["app_version"])
		}
	}
	assert.Equal(t, 1, preprod, "the refused deploys recorded nothing")
}

// promote-from naming the environment itself is bad input.
func TestPromoteFromItselfIsBadInput(t *testing.T) {
	w, _ := pushWorkspace(t)
	w.fixture("changes/v1", "infra")
	r := w.action(map[string]string{"command": "apply", "working-directory": "infra", "environment": "staging", "promote-from": "staging"})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, `input "promote-from": "staging" is the environment itself`)
}
