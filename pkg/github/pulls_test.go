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

func TestPullRequestsForCommitOpenFirst(t *testing.T) {
	e := newEnv(t, nil, nil)
	sha := fakegithub.FakeSHA("c1")
	e.srv.PutPullRequest(owner, repo, fakegithub.PullRequest{Number: 4, State: "closed", Merged: true})
	e.srv.PutPullRequest(owner, repo, fakegithub.PullRequest{Number: 2, State: "closed"})
	e.srv.AddCommitPulls(owner, repo, sha, 4, 8, 2)
	e.srv.AddPullRequest(owner, repo, 11, sha)

	got, err := e.client.PullRequestsForCommit(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{8, 11, 4, 2}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	none, err := e.client.PullRequestsForCommit(context.Background(), fakegithub.FakeSHA("nothing"))
	if err != nil || len(none) != 0 {
		t.Errorf("unknown commit: %v %v", none, err)
	}
}

func TestPullRequestFiles(t *testing.T) {
	e := newEnv(t, nil, nil)
	var files []fakegithub.PullFile
	for i := range 248 {
		files = append(files, fakegithub.PullFile{Filename: fmt.Sprintf("app/f%03d.go", i)})
	}
	files = append(files,
		fakegithub.PullFile{Filename: "infra/new.tf", PreviousFilename: "infra/old.tf"},
		fakegithub.PullFile{Filename: "infra/old.tf", Status: "added"}) // a new file at the old path
	e.srv.AddPullFiles(owner, repo, 6, files...)

	got, err := e.client.PullRequestFiles(context.Background(), 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 || got[0] != "app/f000.go" || got[248] != "infra/new.tf" || got[249] != "infra/old.tf" {
		t.Errorf("got %d paths, tail %v", len(got), got[245:])
	}
	if n := e.srv.Count("GET", "/repos/{o}/{r}/pulls/6/files"); n != 3 {
		t.Errorf("%d pages, want 3", n)
	}
}

func TestPullRequestFilesTruncated(t *testing.T) {
	e := newEnv(t, nil, nil)
	var files []fakegithub.PullFile
	for i := range 3002 {
		files = append(files, fakegithub.PullFile{Filename: fmt.Sprintf("f%04d.tf", i)})
	}
	e.srv.AddPullFiles(owner, repo, 6, files...)
	got, err := e.client.PullRequestFiles(context.Background(), 6)
	if !errors.Is(err, github.ErrFilesTruncated) || len(got) != 3000 {
		t.Fatalf("got %d paths, %v; want 3000 and ErrFilesTruncated", len(got), err)
	}
}
