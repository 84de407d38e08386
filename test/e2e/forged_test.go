package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const planMarker = "<!-- lockstep:plan dir=infra env=production -->"

// commentsBy are the comments on pull request pr written by user.
func commentsBy(gh *fakegithub.Server, pr int, user string) []fakegithub.Comment {
	var out []fakegithub.Comment
	for _, c := range gh.Comments("octo-org", "shop", pr) {
		if c.User == user {
			out = append(out, c)
		}
	}
	return out
}

// recordFingerprint is the full fingerprint of the plan the last run wrote.
func recordFingerprint(t *testing.T, w *workspace) string {
	t.Helper()
	var rec struct {
		Fingerprint string `json:"fingerprint"`
	}
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(w.root, "infra", "tfplan.lockstep.json"))), &rec))
	require.Len(t, rec.Fingerprint, 64)
	return rec.Fingerprint
}

// A comment by someone else that starts with lockstep's marker is not
// lockstep's: it is left byte for byte as it was, and lockstep posts its own.
func TestPlanLeavesAForgedMarkerCommentAlone(t *testing.T) {
	w, gh := prWorkspace(t)
	changesStack(w)
	forged := planMarker + "\n### ✅ No changes\n\n<sub>fingerprint `0`</sub>\n<!-- lockstep:fingerprint " + strings.Repeat("0", 64) + " -->\n"
	forgedID := gh.AddComment("octo-org", "shop", 7, "mallory", forged)
	in := map[string]string{"command": "plan", "working-directory": "infra", "environment": "production"}

	for run := 1; run <= 2; run++ {
		r := w.action(in)
		require.Equal(t, 0, r.code, "run %d stdout:\n%s", run, r.stdout)

		theirs := commentsBy(gh, 7, "mallory")
		require.Len(t, theirs, 1)
		assert.Equal(t, forgedID, theirs[0].ID)
		assert.Equal(t, forged, theirs[0].Body, "run %d: the forged comment must stay byte for byte", run)
		assert.Equal(t, theirs[0].CreatedAt, theirs[0].UpdatedAt, "run %d: the forged comment was edited", run)

		ours := commentsBy(gh, 7, fakegithub.DefaultUser)
		require.Len(t, ours, 1, "run %d: lockstep posts exactly one comment of its own", run)
		assert.True(t, strings.HasPrefix(ours[0].Body, planMarker+"\n"))
		assert.Contains(t, ours[0].Body, "terraform_data.replace_cbd")
		assert.Equal(t, ours[0].HTMLURL, r.outputs["comment-url"])
		// The workflow token cannot call GET /user: the log says whose
		// comments lockstep trusts and how to name another app's bot.
		assert.Contains(t, r.stdout, "lockstep trusts only comments by github-actions[bot]")
		assert.Contains(t, r.stdout, "comment-author")
	}
	// The fake lets anyone edit (GitHub would answer 403): prove lockstep
	// never tries. Its own comment was unchanged on the second run.
	assert.Zero(t, gh.Count("PATCH", "/repos/{o}/{r}/issues/comments/{id}"), "lockstep tried to edit a comment")
}

// On the push, only lockstep's own comment on the pull request says what
// reviewers saw: a forged comment, whatever fingerprint it carries, never
// produces "Same change as reviewed", and cannot mask a real difference.
func TestPushPlanTrustsOnlyItsOwnFingerprint(t *testing.T) {
	w, gh := prWorkspace(t)
	changesStack(w)
	in := map[string]string{"command": "plan", "working-directory": "infra", "environment": "production"}
	r := w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	ours := commentsBy(gh, 7, fakegithub.DefaultUser)
	require.Len(t, ours, 1)
	fp := recordFingerprint(t, w)
	shown, ok := comment.ParseFingerprint(ours[0].Body)
	require.True(t, ok, "lockstep's comment carries the full fingerprint")
	require.Equal(t, fp, shown)

	// PR #8 has only forged comments: one with fingerprint 0 (and the
	// visible prefix a HasPrefix comparison would have accepted), one a
	// verbatim copy of lockstep's real comment.
	gh.AddPullRequest("octo-org", "shop", 8, fakegithub.FakeSHA("pr8"))
	zero := planMarker + "\n<sub>fingerprint `" + fp[:1] + "`</sub>\n<!-- lockstep:fingerprint 0 -->\n"
	gh.AddComment("octo-org", "shop", 8, "mallory", zero)
	gh.AddComment("octo-org", "shop", 8, "mallory", ours[0].Body)
	forgedMerge := "2222222222222222222222222222222222222222"
	gh.AddCommitPulls("octo-org", "shop", forgedMerge, 8)

	w.mergedPush(forgedMerge)
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.NotContains(t, r.summary, "Same change as reviewed", "forged comments must not vouch for the plan")
	assert.Equal(t, []string{zero, ours[0].Body}, bodies(commentsBy(gh, 8, "mallory")), "forged comments untouched")

	// PR #7 has lockstep's own comment with the real fingerprint and a
	// newer forged one with fingerprint 0: lockstep's own decides.
	gh.AddComment("octo-org", "shop", 7, "mallory", zero)
	ownMerge := "1111111111111111111111111111111111111111"
	gh.AddCommitPulls("octo-org", "shop", ownMerge, 7)
	w.env["GITHUB_SHA"] = ownMerge
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.summary, "✅ **Same change as reviewed:** this plan's fingerprint `"+fp[:16]+"` matches the plan reviewers saw on PR #7.")

	// The target branch moves: a forged comment carrying the new plan's
	// real fingerprint cannot make it look reviewed.
	w.moveTargetBranch("infra")
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	moved := recordFingerprint(t, w)
	require.NotEqual(t, fp, moved)
	gh.AddComment("octo-org", "shop", 7, "mallory", strings.Replace(ours[0].Body, fp, moved, -1))
	r = w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.summary, "⚠️ **Not the change reviewers saw:** this plan's fingerprint `"+moved[:16]+"` differs from `"+fp[:16]+"` on PR #7")
	assert.NotContains(t, r.summary, "Same change as reviewed")
}

func bodies(cs []fakegithub.Comment) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Body)
	}
	return out
}

// Stacks planned in parallel share one answer to "who am I": GET /user is
// asked once per run, and each stack still skips the forged comment.
func TestParallelStacksResolveTheCommentAuthorOnce(t *testing.T) {
	w, gh := prWorkspace(t)
	w.monorepo("")
	forged := "<!-- lockstep:plan dir=infra/db env=staging -->\nforged\n"
	gh.AddComment("octo-org", "shop", 7, "mallory", forged)
	in := map[string]string{"command": "plan", "working-directory": monorepoStacks, "environment": "staging", "parallelism": "3"}

	r := w.action(in)
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, 1, gh.Count("GET", "/user"), "one GET /user for three stacks")
	assert.Len(t, commentsBy(gh, 7, fakegithub.DefaultUser), 3, "one comment of lockstep's own per stack")
	assert.Equal(t, []string{forged}, bodies(commentsBy(gh, 7, "mallory")))
	assert.Zero(t, gh.Count("PATCH", "/repos/{o}/{r}/issues/comments/{id}"))
}

// The apply report beside the plan comment follows the same rule: a forged
// apply comment is left alone and lockstep posts its own report.
func TestApplyReportLeavesAForgedApplyCommentAlone(t *testing.T) {
	w, gh := pushWorkspace(t)
	gh.AddPullRequest("octo-org", "shop", 7, w.env["GITHUB_SHA"])
	gh.AddCommitPulls("octo-org", "shop", w.env["GITHUB_SHA"], 7)
	forged := "<!-- lockstep:apply dir=infra env=staging -->\n✅ Applied, all good\n"
	gh.AddComment("octo-org", "shop", 7, "mallory", forged)
	w.fixture("partial", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	require.Equal(t, 0, w.action(with(in, "command", "plan")).code)

	r := w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, []string{forged}, bodies(commentsBy(gh, 7, "mallory")), "the forged report stays byte for byte")
	ours := commentsBy(gh, 7, fakegithub.DefaultUser)
	require.Len(t, ours, 1)
	assert.True(t, strings.HasPrefix(ours[0].Body, "<!-- lockstep:apply dir=infra env=staging -->\n"))
	assert.Contains(t, ours[0].Body, "database migration failed")
	assert.Zero(t, gh.Count("PATCH", "/repos/{o}/{r}/issues/comments/{id}"))
}
