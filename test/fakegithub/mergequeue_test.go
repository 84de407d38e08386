package fakegithub_test

import (
	"context"
	"net/url"
	"testing"

	gogithub "github.com/google/go-github/v60/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func queueClient(t *testing.T, s *fakegithub.Server) *gogithub.Client {
	c := gogithub.NewClient(s.Client())
	c.BaseURL, _ = url.Parse(s.APIURL())
	return c
}

// compareSHAs lists the commits of before...after, reading every page.
func compareSHAs(t *testing.T, c *gogithub.Client, before, after string) []string {
	t.Helper()
	var out []string
	opts := &gogithub.ListOptions{PerPage: 2}
	for {
		cmp, resp, err := c.Repositories.CompareCommits(context.Background(), "acme", "infra", before, after, opts)
		require.NoError(t, err)
		for _, cm := range cmp.Commits {
			out = append(out, cm.GetSHA())
		}
		if resp.NextPage == 0 {
			return out
		}
		opts.Page = resp.NextPage
	}
}

// Each merge method makes its own commits, chains the entries, marks every
// pull request merged with its own commit, and associates the new commits
// with their pull request; compare lists exactly the batch's commits.
func TestMergeQueue(t *testing.T) {
	ctx := context.Background()
	before := fakegithub.FakeSHA("main-before")
	for _, method := range []string{fakegithub.MergeMethodMerge, fakegithub.MergeMethodSquash, fakegithub.MergeMethodRebase} {
		t.Run(method, func(t *testing.T) {
			s := fakegithub.New(t)
			s.AddPullRequest("acme", "infra", 1, fakegithub.FakeSHA("h1"))
			s.AddPullRequest("acme", "infra", 2, fakegithub.FakeSHA("h2b"))
			s.SetPullCommits("acme", "infra", 2, fakegithub.FakeSHA("h2a"), fakegithub.FakeSHA("h2b"))
			groups := s.MergeQueue("acme", "infra", fakegithub.QueueMerge{BaseSHA: before, Method: method, PullRequests: []int{1, 2}})
			require.Len(t, groups, 2)
			assert.Equal(t, before, groups[0].BaseSHA)
			assert.Equal(t, groups[0].HeadSHA, groups[1].BaseSHA, "the second entry is built on the first")
			assert.Equal(t, "refs/heads/gh-readonly-queue/main/pr-2-"+groups[0].HeadSHA, groups[1].HeadRef)
			c := queueClient(t, s)

			want := map[string]int{fakegithub.MergeMethodMerge: 5, fakegithub.MergeMethodSquash: 2, fakegithub.MergeMethodRebase: 3}[method]
			shas := compareSHAs(t, c, before, groups[1].HeadSHA)
			assert.Len(t, shas, want)
			assert.Equal(t, groups[1].HeadSHA, shas[len(shas)-1], "the head comes last")
			for i, g := range groups {
				pr, _, err := c.PullRequests.Get(ctx, "acme", "infra", g.PullRequest)
				require.NoError(t, err)
				assert.True(t, pr.GetMerged())
				assert.Equal(t, g.HeadSHA, pr.GetMergeCommitSHA(), "entry %d", i)
			}
			for _, sha := range shas {
				prs, _, err := c.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "infra", sha, nil)
				require.NoError(t, err)
				assert.NotEmpty(t, prs, "commit %s maps to a pull request", sha)
			}
			commits, _, err := c.PullRequests.ListCommits(ctx, "acme", "infra", 2, nil)
			require.NoError(t, err)
			require.Len(t, commits, 2)
			assert.Equal(t, fakegithub.FakeSHA("h2b"), commits[1].GetSHA())
		})
	}
}

func TestCompareUnknownCommit(t *testing.T) {
	s := fakegithub.New(t)
	s.AddCommits("acme", "infra", fakegithub.Commit{SHA: "a"})
	_, _, err := queueClient(t, s).Repositories.CompareCommits(context.Background(), "acme", "infra", "a", "b", nil)
	var e *gogithub.ErrorResponse
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 404, e.Response.StatusCode)
}
