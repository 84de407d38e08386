package fakegithub_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestReviewsPermissionsTeams(t *testing.T) {
	s := fakegithub.New(t)
	head := fakegithub.FakeSHA("head")
	merged := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	s.PutPullRequest("o", "r", fakegithub.PullRequest{Number: 5, HeadSHA: head, Author: "alice", MergedAt: merged, MergeCommitSHA: fakegithub.FakeSHA("squash")})
	at := time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC)
	rv := s.AddReview("o", "r", 5, fakegithub.Review{User: "bob", State: "APPROVED", SubmittedAt: at})
	s.AddReview("o", "r", 5, fakegithub.Review{User: "carol", State: "COMMENTED", CommitID: fakegithub.FakeSHA("old"), SubmittedAt: at})
	s.DismissReview("o", "r", 5, rv.ID)
	s.SetPermission("o", "r", "bob", "maintain")
	s.AddTeamMember("o", "infra", "bob")
	c := newClient(t, s, "")
	ctx := context.Background()

	pr, _, err := c.PullRequests.Get(ctx, "o", "r", 5)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetUser().GetLogin() != "alice" || !pr.GetMergedAt().Time.Equal(merged) || pr.GetMergeCommitSHA() != fakegithub.FakeSHA("squash") || pr.GetState() != "closed" {
		t.Errorf("pull: %+v", pr)
	}
	reviews, _, err := c.PullRequests.ListReviews(ctx, "o", "r", 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(reviews) != 2 || reviews[0].GetState() != "DISMISSED" || reviews[0].GetCommitID() != head || !reviews[0].GetSubmittedAt().Time.Equal(at) ||
		reviews[0].GetHTMLURL() == "" || reviews[1].GetUser().GetLogin() != "carol" || reviews[1].GetCommitID() != fakegithub.FakeSHA("old") {
		t.Errorf("reviews: %+v", reviews)
	}
	perm, _, err := c.Repositories.GetPermissionLevel(ctx, "o", "r", "bob")
	if err != nil || perm.GetPermission() != "write" {
		t.Errorf("bob: %+v %v", perm, err)
	}
	// A login never given a permission is no collaborator: 404 (collaborators.go).
	if _, _, err := c.Repositories.GetPermissionLevel(ctx, "o", "r", "eve"); statusOf(err) != http.StatusNotFound {
		t.Errorf("eve: %v", err)
	}
	m, _, err := c.Teams.GetTeamMembershipBySlug(ctx, "o", "infra", "bob")
	if err != nil || m.GetState() != "active" {
		t.Errorf("bob's membership: %+v %v", m, err)
	}
	if _, _, err := c.Teams.GetTeamMembershipBySlug(ctx, "o", "infra", "eve"); statusOf(err) != http.StatusNotFound {
		t.Errorf("eve's membership: %v", err)
	}
}
