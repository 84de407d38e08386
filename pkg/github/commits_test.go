package github_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// A chain of 150 commits is read over two pages; a limit below it refuses.
func TestCommitsBetween(t *testing.T) {
	e := newEnv(t, nil, nil)
	base := fakegithub.FakeSHA("base")
	commits := []fakegithub.Commit{{SHA: base}}
	var want []string
	parent := base
	for i := range 150 {
		sha := fakegithub.FakeSHA(fmt.Sprint("c", i))
		commits = append(commits, fakegithub.Commit{SHA: sha, Parents: []string{parent}})
		want = append(want, sha)
		parent = sha
	}
	e.srv.AddCommits(owner, repo, commits...)

	got, err := e.client.CommitsBetween(context.Background(), base, parent, 300)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %d commits, want %d in order", len(got), len(want))
	}
	if n := e.srv.Count("GET", "/repos/{o}/{r}/compare/{basehead}"); n != 2 {
		t.Errorf("%d pages, want 2", n)
	}
	if _, err := e.client.CommitsBetween(context.Background(), base, parent, 149); !errors.Is(err, github.ErrTooManyCommits) {
		t.Errorf("limit 149: err = %v, want ErrTooManyCommits", err)
	}
}

func TestPullRequestCommits(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddPullRequest(owner, repo, 3, fakegithub.FakeSHA("h"))
	e.srv.SetPullCommits(owner, repo, 3, "a", "b")
	got, err := e.client.PullRequestCommits(context.Background(), 3)
	if err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("got %v, %v", got, err)
	}
}

// A head that is not a descendant of base (a force push) is refused.
func TestCommitsBetweenNotAhead(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddCommits(owner, repo,
		fakegithub.Commit{SHA: "root"},
		fakegithub.Commit{SHA: "old", Parents: []string{"root"}},
		fakegithub.Commit{SHA: "new", Parents: []string{"old"}},
		fakegithub.Commit{SHA: "other", Parents: []string{"root"}})
	for _, head := range []string{"old", "other"} { // behind, diverged
		if _, err := e.client.CommitsBetween(context.Background(), "new", head, 10); !errors.Is(err, github.ErrNotAhead) {
			t.Errorf("new...%s: err = %v, want ErrNotAhead", head, err)
		}
	}
	if got, err := e.client.CommitsBetween(context.Background(), "old", "new", 10); err != nil || !slices.Equal(got, []string{"new"}) {
		t.Errorf("old...new = %v, %v", got, err)
	}
}
