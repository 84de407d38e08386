package github_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestPullRequestsWithCommitAndReviews(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	squash := fakegithub.FakeSHA("squash")
	head := fakegithub.FakeSHA("head")
	merged := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	e.srv.PutPullRequest(owner, repo, fakegithub.PullRequest{Number: 7, HeadSHA: head, Author: "alice", MergedAt: merged, MergeCommitSHA: squash})
	e.srv.AddCommitPulls(owner, repo, squash, 7)
	for i := range 120 {
		e.srv.AddReview(owner, repo, 7, fakegithub.Review{User: "bob", State: "COMMENTED", SubmittedAt: merged.Add(-time.Duration(200-i) * time.Minute)})
	}
	last := e.srv.AddReview(owner, repo, 7, fakegithub.Review{User: "bob", State: "APPROVED", SubmittedAt: merged.Add(-time.Minute)})
	e.srv.SetPermission(owner, repo, "bob", "maintain")
	e.srv.SetPermission(owner, repo, "carol", "triage")
	e.srv.AddTeamMember(owner, "infra", "bob")

	prs, err := e.client.PullRequestsWithCommit(ctx, squash)
	if err != nil {
		t.Fatal(err)
	}
	want := github.PullRequest{Number: 7, URL: "https://github.com/acme/infra/pull/7", State: "closed", Author: "alice", HeadSHA: head, MergedAt: merged, MergeCommitSHA: squash}
	if len(prs) != 1 || prs[0] != want {
		t.Fatalf("got %+v, want [%+v]", prs, want)
	}
	got, err := e.client.GetPullRequest(ctx, 7)
	if err != nil || got != want {
		t.Errorf("GetPullRequest: %+v %v", got, err)
	}

	reviews, err := e.client.PullRequestReviews(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(reviews) != 121 {
		t.Fatalf("%d reviews, want 121 (every page)", len(reviews))
	}
	wantLast := github.Review{ID: last.ID, Login: "bob", State: "APPROVED", CommitID: head, SubmittedAt: merged.Add(-time.Minute),
		URL: "https://github.com/acme/infra/pull/7#pullrequestreview-" + itoa(last.ID)}
	if reviews[120] != wantLast {
		t.Errorf("last review %+v, want %+v", reviews[120], wantLast)
	}

	for login, want := range map[string]string{"bob": "maintain", "carol": "read", "eve": "none"} {
		if p, err := e.client.Permission(ctx, login); err != nil || p != want {
			t.Errorf("Permission(%s) = %q, %v; want %q", login, p, err, want)
		}
	}
	for login, want := range map[string]bool{"bob": true, "eve": false} {
		if ok, err := e.client.TeamMember(ctx, owner, "infra", login); err != nil || ok != want {
			t.Errorf("TeamMember(%s) = %v, %v; want %v", login, ok, err, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPermissionOfNoCollaboratorIsNone(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetPermission(owner, repo, "stranger", "write") // the fault's 404 must win
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/{o}/{r}/collaborators/{u}/permission", Kind: fakegithub.FaultStatus, Status: 404})
	if p, err := e.client.Permission(context.Background(), "stranger"); err != nil || p != "none" {
		t.Errorf("got %q, %v; want none", p, err)
	}
}
