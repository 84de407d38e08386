package fakegithub_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// TestUsage is the usage shown in doc.go: seed the fake, point a client at
// APIURL (GITHUB_API_URL in an end-to-end test), inject a fault, read state
// and requests back.
func TestUsage(t *testing.T) {
	s := fakegithub.New(t, fakegithub.WithToken("t0ken"))
	s.AddPullRequest("acme", "infra", 12, fakegithub.FakeSHA("head"))
	s.Fail(fakegithub.Fault{Method: "POST", Path: "/repos/acme/infra/issues/12/comments", Kind: fakegithub.FaultApplyThenFail})

	c := gogithub.NewClient(s.Client()).WithAuthToken("t0ken")
	c.BaseURL, _ = url.Parse(s.APIURL())
	_, _, err := c.Issues.CreateComment(context.Background(), "acme", "infra", 12, &gogithub.IssueComment{Body: gogithub.String("plan")})

	got := fmt.Sprint(err != nil, len(s.Comments("acme", "infra", 12)), s.Count("POST", "/repos/{owner}/{repo}/issues/{n}/comments"))
	if got != "true 1 1" {
		t.Errorf("error, comments, POSTs = %s; want true 1 1", got)
	}
}
