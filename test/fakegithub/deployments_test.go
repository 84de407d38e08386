package fakegithub_test

import (
	"context"
	"net/http"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestDeployments(t *testing.T) {
	s := fakegithub.New(t)
	sha := fakegithub.FakeSHA("v1")
	s.SetRef("o", "r", "main", sha)
	c := newClient(t, s, "")
	ctx := context.Background()

	create := func(env, ref string) *gogithub.Deployment {
		t.Helper()
		d, resp, err := c.Repositories.CreateDeployment(ctx, "o", "r", &gogithub.DeploymentRequest{
			Ref: gogithub.String(ref), Environment: gogithub.String(env), AutoMerge: gogithub.Bool(false),
			RequiredContexts: &[]string{}, Payload: map[string]string{"app": "1.2.3"},
		})
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %v", err)
		}
		return d
	}
	d1 := create("staging", "main")
	if d1.GetSHA() != sha || d1.GetTask() != "deploy" || string(d1.Payload) != `{"app":"1.2.3"}` || d1.GetCreator().GetLogin() != fakegithub.DefaultUser {
		t.Errorf("deployment: %+v", d1)
	}
	d2 := create("staging", "main")
	create("production", "main")

	stored := s.Deployments("o", "r")
	if len(stored) != 3 || stored[0].AutoMerge == nil || *stored[0].AutoMerge || stored[0].RequiredContexts == nil || len(*stored[0].RequiredContexts) != 0 {
		t.Errorf("stored: %+v", stored[0])
	}

	list, _, err := c.Repositories.ListDeployments(ctx, "o", "r", &gogithub.DeploymentsListOptions{Environment: "staging"})
	if err != nil || len(list) != 2 || list[0].GetID() != d2.GetID() {
		t.Fatalf("list staging (newest first): %v %v", list, err)
	}
	if got, _, err := c.Repositories.GetDeployment(ctx, "o", "r", d1.GetID()); err != nil || got.GetID() != d1.GetID() {
		t.Errorf("get: %v", err)
	}
	if _, _, err := c.Repositories.GetDeployment(ctx, "o", "r", 424242); statusOf(err) != http.StatusNotFound {
		t.Errorf("get unknown: %v", err)
	}

	status := func(d *gogithub.Deployment, state string) {
		t.Helper()
		st, resp, err := c.Repositories.CreateDeploymentStatus(ctx, "o", "r", d.GetID(), &gogithub.DeploymentStatusRequest{
			State: gogithub.String(state), EnvironmentURL: gogithub.String("https://staging.example.com"),
		})
		if err != nil || resp.StatusCode != http.StatusCreated || st.GetState() != state {
			t.Fatalf("status %s: %v", state, err)
		}
	}
	status(d1, "in_progress")
	status(d1, "success")
	status(d2, "success") // auto_inactive: d1 becomes inactive

	sts, _, err := c.Repositories.ListDeploymentStatuses(ctx, "o", "r", d1.GetID(), nil)
	if err != nil || len(sts) != 3 || sts[0].GetState() != "inactive" || sts[2].GetState() != "in_progress" {
		t.Fatalf("d1 statuses (newest first): %v %v", sts, err)
	}
	if got := s.Statuses("o", "r", d2.GetID()); len(got) != 1 || got[0].EnvironmentURL != "https://staging.example.com" {
		t.Errorf("d2 statuses: %+v", got)
	}
	if _, _, err := c.Repositories.CreateDeploymentStatus(ctx, "o", "r", d1.GetID(), &gogithub.DeploymentStatusRequest{State: gogithub.String("bogus")}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("bad state: %v", err)
	}
}
