package fakegithub_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestPullRequests(t *testing.T) {
	s := fakegithub.New(t)
	sha := fakegithub.FakeSHA("head")
	s.AddPullRequest("o", "r", 3, sha)
	s.PutPullRequest("o", "r", fakegithub.PullRequest{Number: 2, State: "closed", HeadSHA: sha})
	s.AddCommitPulls("o", "r", sha, 9)
	s.AddPullFiles("o", "r", 3,
		fakegithub.PullFile{Filename: "infra/main.tf", Additions: 3},
		fakegithub.PullFile{Filename: "infra/new.tf", PreviousFilename: "infra/old.tf"})
	c := newClient(t, s, "")
	ctx := context.Background()

	pr, _, err := c.PullRequests.Get(ctx, "o", "r", 3)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetHead().GetSHA() != sha || pr.GetState() != "open" || pr.GetHTMLURL() != "https://github.com/o/r/pull/3" || pr.GetChangedFiles() != 2 {
		t.Errorf("pull: %+v", pr)
	}
	if _, _, err := c.PullRequests.Get(ctx, "o", "r", 4); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown pull: %v", err)
	}

	prs, _, err := c.PullRequests.ListPullRequestsWithCommit(ctx, "o", "r", sha, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range prs {
		got = append(got, fmt.Sprintf("#%d %s", p.GetNumber(), p.GetState()))
	}
	if fmt.Sprint(got) != "[#9 open #2 closed #3 open]" {
		t.Errorf("commit pulls: %v", got)
	}

	files, _, err := c.PullRequests.ListFiles(ctx, "o", "r", 3, nil)
	if err != nil || len(files) != 2 {
		t.Fatalf("files: %v %v", files, err)
	}
	if files[1].GetStatus() != "renamed" || files[1].GetPreviousFilename() != "infra/old.tf" || files[0].GetPreviousFilename() != "" {
		t.Errorf("files: %+v", files)
	}
}

func TestPullFilesCappedAt3000(t *testing.T) {
	s := fakegithub.New(t)
	var files []fakegithub.PullFile
	for i := range 3005 {
		files = append(files, fakegithub.PullFile{Filename: fmt.Sprintf("f%04d.tf", i)})
	}
	s.AddPullFiles("o", "r", 1, files...)
	c := newClient(t, s, "")
	ctx := context.Background()
	n := 0
	opts := &gogithub.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.PullRequests.ListFiles(ctx, "o", "r", 1, opts)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	pr, _, _ := c.PullRequests.Get(ctx, "o", "r", 1)
	if n != 3000 || pr.GetChangedFiles() != 3005 {
		t.Errorf("listed %d files, changed_files %d; want 3000 and 3005", n, pr.GetChangedFiles())
	}
}
