package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const prComments = "/repos/octo-org/shop/issues/7/comments"

// apiCalls is what one run asked of the fake GitHub.
type apiCalls struct {
	// whoami counts GET /user: whose comments are lockstep's own.
	whoami, lists, creates, edits, total int
}

func countCalls(t *testing.T, gh *fakegithub.Server) apiCalls {
	t.Helper()
	var c apiCalls
	for _, r := range gh.Requests() {
		c.total++
		switch {
		case r.Method == "GET" && r.Path == "/user":
			c.whoami++
		case r.Method == "GET" && r.Path == prComments:
			c.lists++
			assert.Equal(t, "100", r.Query.Get("per_page"), "comments are listed 100 a page, the most GitHub serves")
		case r.Method == "POST" && r.Path == prComments:
			c.creates++
		case r.Method == "PATCH" && strings.HasPrefix(r.Path, "/repos/octo-org/shop/issues/comments/"):
			c.edits++
		default:
			t.Errorf("unexpected call %s %s", r.Method, r.Path)
		}
	}
	gh.ResetRequests()
	return c
}

// pages is how many list calls n comments take.
func pages(n int) int { return max(1, (n+99)/100) }

// A plan run costs at most three GitHub API calls plus pagination: GET /user
// (whose comments are lockstep's; the workflow token gets 403 and means
// github-actions[bot]), the list of the pull request's comments (one call
// per 100), then one write: a create the first time, an edit when the plan
// changed, nothing when it did not.
// With 500 comments on the pull request the list takes 5 pages, 6 once
// lockstep's own comment is there.
func TestPlanAPICalls(t *testing.T) {
	for _, existing := range []int{0, 500} {
		t.Run(fmt.Sprintf("%d comments", existing), func(t *testing.T) {
			w, gh := prWorkspace(t)
			gh.SeedComments("octo-org", "shop", 7, existing)
			changesStack(w)
			plan := func() apiCalls {
				t.Helper()
				r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "production"})
				require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
				c := countCalls(t, gh)
				assert.LessOrEqual(t, c.total, 3+c.lists-1, "at most 3 calls plus pagination")
				assert.Equal(t, 1, c.whoami, "GET /user once per run")
				return c
			}

			assert.Equal(t, apiCalls{whoami: 1, lists: pages(existing), creates: 1, total: pages(existing) + 2}, plan(), "first plan: list, create")
			assert.Equal(t, apiCalls{whoami: 1, lists: pages(existing + 1), total: pages(existing+1) + 1}, plan(), "same plan again: list only")

			w.fixture("changes/v1", "infra") // the configuration now matches the state: a different plan
			assert.Equal(t, apiCalls{whoami: 1, lists: pages(existing + 1), edits: 1, total: pages(existing+1) + 2}, plan(), "changed plan: list, edit")
			assert.Len(t, lockstepComments(gh), 1)
		})
	}
}

// Two stacks in one run: each has its own comment and its own budget.
func TestPlanAPICallsPerStack(t *testing.T) {
	w, gh := prWorkspace(t)
	gh.SeedComments("octo-org", "shop", 7, 500)
	changesStack(w)
	w.fixture("nochange", "other")

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra\nother", "environment": "production"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	c := countCalls(t, gh)
	assert.Equal(t, 2, c.creates, "one comment per stack")
	assert.Zero(t, c.edits)
	assert.Equal(t, 1, c.whoami, "the stacks share one GET /user")
	assert.LessOrEqual(t, c.lists, 2*pages(501), "each stack lists the comments at most once")
	assert.LessOrEqual(t, c.total, 2*(3+pages(501)-1), "at most 3 calls plus pagination per stack")
	assert.Len(t, lockstepComments(gh), 2)
}
