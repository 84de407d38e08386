package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const approverToken = "ghp_approverTokenValue0123456789"

// approver-teams needs team membership, which a workflow's GITHUB_TOKEN can
// never read (GitHub answers 403). Without LOCKSTEP_APPROVER_TOKEN the
// apply is refused naming the input and the secret that fixes it, instead
// of reading "not a member"; with a token that can read teams it applies,
// and the token is masked and never printed.
func TestPullRequestModeApproverTeamsNeedATeamReader(t *testing.T) {
	setup := func(t *testing.T) (*workspace, *fakegithub.Server, map[string]string) {
		// No token check on the rest of the API: the run's token and the
		// approver token both reach it, and only the approver token may
		// read teams.
		w, gh, in := mergedForPullRequestMode(t, fakegithub.WithToken(""))
		gh.RestrictTeamReads(approverToken)
		writeFile(t, w, ".lockstep.yml", "environments:\n  production:\n    approver-teams: [octo-org/sre]\n")
		gh.AddTeamMember("octo-org", "sre", "bob")
		approve(gh, "bob")
		return w, gh, in
	}

	t.Run("GITHUB_TOKEN alone: refused", func(t *testing.T) {
		w, _, in := setup(t)
		r := w.action(with(in, "command", "apply"))
		w.assertRefusedUntouched(t, r, "infra", "approval-unverifiable",
			`approver-teams for "production": lockstep reads team membership with the github-token input, which cannot see team octo-org/sre (GitHub answers 403 or 404)`,
			"in LOCKSTEP_APPROVER_TOKEN: the reusable workflow's secret LOCKSTEP_APPROVER_TOKEN")
	})
	t.Run("an approver token that cannot see the team: refused", func(t *testing.T) {
		w, _, in := setup(t)
		w.env["LOCKSTEP_APPROVER_TOKEN"] = "ghp_someOtherToken0123456789"
		r := w.action(with(in, "command", "apply"))
		w.assertRefusedUntouched(t, r, "infra", "approval-unverifiable", "LOCKSTEP_APPROVER_TOKEN cannot see team octo-org/sre")
		assert.NotContains(t, strings.ReplaceAll(r.stdout, "::add-mask::ghp_someOtherToken0123456789", ""), "ghp_someOtherToken0123456789")
	})
	t.Run("with the approver token: applies", func(t *testing.T) {
		w, gh, in := setup(t)
		w.env["LOCKSTEP_APPROVER_TOKEN"] = approverToken
		r := w.action(with(in, "command", "apply"))
		require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
		assert.Equal(t, "bob", r.outputs["approved-by"])
		assert.Equal(t, []string{"terraform_data.steady"}, w.stateAddresses("infra"))
		assert.Contains(t, r.stdout, "::add-mask::"+approverToken, "masked from the first moment")
		assert.NotContains(t, strings.ReplaceAll(r.stdout, "::add-mask::"+approverToken, ""), approverToken)
		assert.NotContains(t, r.summary, approverToken)
		assert.Equal(t, 1, gh.Count("GET", "/orgs/{org}/teams/{team}"), "the team's visibility is read once")
	})
}
