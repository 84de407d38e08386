package fakegithub_test

import (
	"context"
	"net/http"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestRunArtifactsListAndDelete(t *testing.T) {
	s := fakegithub.New(t)
	plan := s.AddArtifact("o", "r", 7, "lockstep-prod-abc-plan-1", 120)
	s.AddArtifact("o", "r", 7, "lockstep-prod-abc-apply", 300)
	s.AddArtifact("o", "r", 8, "lockstep-prod-abc-apply", 300) // another run
	c := newClient(t, s, "")
	ctx := context.Background()

	list, _, err := c.Actions.ListWorkflowRunArtifacts(ctx, "o", "r", 7, &gogithub.ListOptions{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if list.GetTotalCount() != 2 || len(list.Artifacts) != 1 {
		t.Fatalf("first page: total %d, %d artifacts; want 2 and 1", list.GetTotalCount(), len(list.Artifacts))
	}
	a := list.Artifacts[0]
	if a.GetName() != "lockstep-prod-abc-apply" || a.GetSizeInBytes() != 300 || a.GetExpired() || a.GetWorkflowRun().GetID() != 7 {
		t.Errorf("newest artifact: %+v", a)
	}
	page2, resp, err := c.Actions.ListWorkflowRunArtifacts(ctx, "o", "r", 7, &gogithub.ListOptions{PerPage: 1, Page: 2})
	if err != nil {
		t.Fatal(err)
	}
	if resp.NextPage != 0 || len(page2.Artifacts) != 1 || page2.Artifacts[0].GetID() != plan.ID {
		t.Errorf("second page: next %d, %+v", resp.NextPage, page2.Artifacts)
	}

	resp, err = c.Actions.DeleteArtifact(ctx, "o", "r", plan.ID)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	resp, err = c.Actions.DeleteArtifact(ctx, "o", "r", plan.ID)
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleting again: %v, want 404", err)
	}
	var names []string
	for _, a := range s.Artifacts("o", "r") {
		names = append(names, a.Name)
	}
	if len(names) != 2 || names[0] != "lockstep-prod-abc-apply" || names[1] != "lockstep-prod-abc-apply" {
		t.Errorf("left: %v", names)
	}
	if n := s.Count("DELETE", "/repos/{o}/{r}/actions/artifacts/{id}"); n != 2 {
		t.Errorf("DELETE count = %d, want 2", n)
	}
}
