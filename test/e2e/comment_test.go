package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const headSHA = "feedfacecafebeefdeadbeef0123456789abcdef"

// prWorkspace is a pull_request run against the fake GitHub.
func prWorkspace(t *testing.T, opts ...fakegithub.Option) (*workspace, *fakegithub.Server) {
	gh := fakegithub.New(t, append([]fakegithub.Option{fakegithub.WithToken("ghs_e2eTokenValue0123456789")}, opts...)...)
	gh.AddPullRequest("octo-org", "shop", 7, headSHA)
	w := newWorkspace(t)
	w.env["GITHUB_API_URL"] = gh.APIURL()
	w.pullRequestEvent(7, headSHA)
	return w, gh
}

func TestPlanCommentUpdatedInPlace(t *testing.T) {
	w, gh := prWorkspace(t)
	gh.SeedComments("octo-org", "shop", 7, 150) // the marker must be found past page one
	changesStack(w)

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "production"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	first := mine[0]
	assert.Equal(t, first.HTMLURL, r.outputs["comment-url"])
	assert.True(t, strings.HasPrefix(first.Body, "<!-- lockstep:plan dir=infra env=production -->\n"))
	assert.Contains(t, first.Body, "terraform_data.replace_cbd")
	assert.Contains(t, first.Body, "required reviewers", "what happens next names the approval")

	// A second run of the same plan differs only in the footer (time, plan
	// checksum): the comment is left alone, and nothing is added.
	r = w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "production"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	mine = lockstepComments(gh)
	require.Len(t, mine, 1)
	assert.Equal(t, first.ID, mine[0].ID)
	assert.Zero(t, gh.Count("PATCH", "/repos/octo-org/shop/issues/comments/{id}"), "an unchanged plan writes nothing")
	assert.Contains(t, r.stdout, "comment unchanged")

	// A changed plan edits the same comment in place.
	w.fixture("changes/v1", "infra")
	r = w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "production"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	mine = lockstepComments(gh)
	require.Len(t, mine, 1)
	assert.Equal(t, first.ID, mine[0].ID)
	assert.Equal(t, 1, gh.Count("PATCH", "/repos/octo-org/shop/issues/comments/{id}"))
	assert.NotContains(t, mine[0].Body, "terraform_data.replace_cbd", "the comment shows the new plan")

	// Another environment is another comment.
	r = w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging", "plan-file": "staging.tfplan"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Len(t, lockstepComments(gh), 2)
}

func TestPlanCommentSurvivesGitHubFaults(t *testing.T) {
	w, gh := prWorkspace(t)
	w.fixture("nochange", "stack")
	path := "/repos/octo-org/shop/issues/7/comments"
	// The create lands but answers 502; the list after it answers 500 once
	// and then hits a secondary rate limit with a short Retry-After.
	gh.Fail(fakegithub.Fault{Method: "POST", Path: path, Kind: fakegithub.FaultApplyThenFail})
	gh.Fail(fakegithub.Fault{Method: "GET", Path: path, Nth: 2, Kind: fakegithub.FaultInternalError})
	gh.Fail(fakegithub.Fault{Method: "GET", Path: path, Nth: 3, Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: time.Second})

	r := w.action(map[string]string{"command": "plan", "working-directory": "stack"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Len(t, lockstepComments(gh), 1, "exactly one comment despite the faults")
	assert.Equal(t, 1, gh.Count("POST", path), "the create that landed is never repeated")
}

func TestPlanWithoutCommentPermissionStillSucceeds(t *testing.T) {
	w, gh := prWorkspace(t)
	w.fixture("nochange", "stack")
	// A fork's read-only token: every write is 403.
	gh.Fail(fakegithub.Fault{Method: "POST", Path: "/repos/octo-org/shop/issues/7/comments", Times: -1,
		Kind: fakegithub.FaultStatus, Status: 403, Message: "Resource not accessible by integration"})

	r := w.action(map[string]string{"command": "plan", "working-directory": "stack"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Regexp(t, `(?m)^::warning::No comment on PR #7: the token may not write pull request comments`, r.stdout)
	assert.Empty(t, lockstepComments(gh))
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.summary, engineName(t)+" plan")
}

// A 5,000-resource plan still makes one comment within GitHub's limit, and
// the job summary within its 1 MiB.
func TestHugePlanCommentFits(t *testing.T) {
	if testing.Short() {
		t.Skip("plans 5,000 resources")
	}
	w, gh := prWorkspace(t)
	dir := filepath.Join(w.root, "big")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	// count, not for_each over a generated set: Terraform evaluates such a
	// for_each expression once per instance, which is quadratic.
	config := `resource "terraform_data" "item" {
  count = 5000
  input = {
    name  = "item-${count.index}-with-a-fairly-long-name"
    tags  = { team = "platform", cost_center = "cc-1234", purpose = "load test of lockstep comments" }
    sizes = [1, 2, 3]
  }
}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644))

	r := w.action(map[string]string{"command": "plan", "working-directory": "big"})
	require.Equal(t, 0, r.code, "stdout:\n%s", tail(r.stdout, 40))
	assert.Equal(t, "5000", r.outputs["add"])
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	n := utf8.RuneCountInString(mine[0].Body)
	assert.LessOrEqual(t, n, 65536)
	assert.Greater(t, n, 10000, "the budget is used, not thrown away")
	assert.Equal(t, strings.Count(mine[0].Body, "<details>"), strings.Count(mine[0].Body, "</details>"))
	assert.Contains(t, mine[0].Body, "5,000 to add")
	assert.LessOrEqual(t, len(r.summary), 1<<20)
}

// lockstepComments are the fake PR's comments that carry a lockstep marker.
func lockstepComments(gh *fakegithub.Server) []fakegithub.Comment {
	var out []fakegithub.Comment
	for _, c := range gh.Comments("octo-org", "shop", 7) {
		if strings.HasPrefix(c.Body, "<!-- lockstep:") {
			out = append(out, c)
		}
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprint(strings.Join(lines, "\n"))
}
