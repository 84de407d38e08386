package gate

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/github"
)

func TestMergedPullRequest(t *testing.T) {
	const sha = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
	merged := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	open := github.PullRequest{Number: 1, State: "open", HeadSHA: sha}
	closed := github.PullRequest{Number: 2, State: "closed", HeadSHA: sha}
	other := github.PullRequest{Number: 3, State: "closed", MergedAt: merged, MergeCommitSHA: "other", HeadSHA: "h3"}
	fastForward := github.PullRequest{Number: 4, State: "closed", MergedAt: merged, MergeCommitSHA: "ff", HeadSHA: sha}
	squash := github.PullRequest{Number: 5, State: "closed", MergedAt: merged, MergeCommitSHA: sha, HeadSHA: "h5"}
	tests := []struct {
		name   string
		prs    []github.PullRequest
		want   int
		wantOK bool
	}{
		{"none", nil, 0, false},
		{"open and closed unmerged never count", []github.PullRequest{open, closed}, 0, false},
		{"the squash, rebase or merge commit wins", []github.PullRequest{open, other, fastForward, squash}, 5, true},
		{"else the merged head (a fast-forward)", []github.PullRequest{other, fastForward}, 4, true},
		{"else the first merged one GitHub associates", []github.PullRequest{open, other}, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MergedPullRequest(tt.prs, sha)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got.Number)
		})
	}
}

func TestPushBatch(t *testing.T) {
	merged := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	pr := func(n int, mergeSHA, head string) github.PullRequest {
		return github.PullRequest{Number: n, State: "closed", MergedAt: merged, MergeCommitSHA: mergeSHA, HeadSHA: head}
	}
	// A batch of #1, #2, #3 through the queue; the push names #3's commit.
	squash := map[string][]github.PullRequest{"s1": {pr(1, "s1", "h1")}, "s2": {pr(2, "s2", "h2")}, "s3": {pr(3, "s3", "h3")}}
	// Merge method: merge commits, and #2's own commits a and b.
	merge := map[string][]github.PullRequest{"m1": {pr(1, "m1", "h1")}, "m2": {pr(2, "m2", "b")}, "a": {pr(2, "m2", "b")}, "b": {pr(2, "m2", "b")}, "h1": {pr(1, "m1", "h1")}}
	// Rebase: #1's copies r1a, r1b (its merge commit is the last copy).
	rebase := map[string][]github.PullRequest{"r1a": {pr(1, "r1b", "h1")}, "r1b": {pr(1, "r1b", "h1")}, "r2": {pr(2, "r2", "h2")}}
	tests := []struct {
		name    string
		head    github.PullRequest
		commits []string
		pulls   map[string][]github.PullRequest
		own     map[int][]string
		want    []int
		wantErr string
	}{
		{"one pull request", pr(3, "s3", "h3"), []string{"s3"}, squash, nil, []int{3}, ""},
		{"a squash batch", pr(3, "s3", "h3"), []string{"s1", "s2", "s3"}, squash, nil, []int{3, 2, 1}, ""},
		{"a merge batch: own commits need no lookup", pr(2, "m2", "b"), []string{"h1", "m1", "a", "b", "m2"}, merge, map[int][]string{2: {"a", "b"}, 1: {"h1"}}, []int{2, 1}, ""},
		{"a rebase batch: each copy maps to its pull request", pr(2, "r2", "h2"), []string{"r1a", "r1b", "r2"}, rebase, nil, []int{2, 1}, ""},
		{"a commit no pull request brought in", pr(3, "s3", "h3"), []string{"s1", "direct", "s3"}, squash, nil, nil,
			"commit direct of this push came in without a merged pull request, beside PR #3"},
		{"a commit of an open pull request only", pr(3, "s3", "h3"), []string{"open", "s3"},
			map[string][]github.PullRequest{"open": {{Number: 9, State: "open", HeadSHA: "open"}}}, nil, nil,
			"(GitHub associates it only with #9, none of them merged)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookups := 0
			src := batchSource{
				pullsOf: func(_ context.Context, sha string) ([]github.PullRequest, error) {
					lookups++
					return tt.pulls[sha], nil
				},
				commitsOf: func(_ context.Context, n int) ([]string, error) { return tt.own[n], nil },
			}
			got, err := pushBatch(context.Background(), tt.head, tt.commits, src)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			var nums []int
			for _, p := range got {
				nums = append(nums, p.Number)
			}
			assert.Equal(t, tt.want, nums)
			if tt.name == "a merge batch: own commits need no lookup" {
				assert.Equal(t, 1, lookups, "only m1 is looked up: the rest are #1's or #2's own")
			}
		})
	}
}

func TestTerraformFile(t *testing.T) {
	for name, want := range map[string]bool{"infra/main.tf": true, "modules/x/vars.tf.json": true, "prod.tfvars": true, ".terraform.lock.hcl": true, "app/main.go": false, "README.md": false} {
		assert.Equal(t, want, terraformFile(name), name)
	}
}
