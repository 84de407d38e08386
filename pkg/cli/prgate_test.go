package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

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
			got, ok := mergedPullRequest(tt.prs, sha)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got.Number)
		})
	}
}
