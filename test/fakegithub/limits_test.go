package fakegithub_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestStatusDescriptionLimit(t *testing.T) {
	s := fakegithub.New(t)
	s.AddRepo("o", "r")
	c := newClient(t, s, "")
	ctx := context.Background()
	d, _, err := c.Repositories.CreateDeployment(ctx, "o", "r", &gogithub.DeploymentRequest{Ref: gogithub.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	status := func(desc string) error {
		_, _, err := c.Repositories.CreateDeploymentStatus(ctx, "o", "r", d.GetID(),
			&gogithub.DeploymentStatusRequest{State: gogithub.String("success"), Description: gogithub.String(desc)})
		return err
	}
	// 140 characters, counted as characters, not bytes.
	if err := status(strings.Repeat("é", 140)); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	err = status(strings.Repeat("é", 141))
	var er *gogithub.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("over the limit: %v, want 422", err)
	}
	want := gogithub.Error{Resource: "DeploymentStatus", Field: "description", Code: "custom",
		Message: "description is too long (maximum is 140 characters)"}
	if er.Message != "Validation Failed" || len(er.Errors) != 1 || er.Errors[0] != want ||
		er.DocumentationURL != "https://docs.github.com/rest/deployments/statuses#create-a-deployment-status" {
		t.Errorf("error body %+v", er)
	}
	if n := len(s.Statuses("o", "r", d.GetID())); n != 1 {
		t.Errorf("%d statuses, want 1 (the refused one is not stored)", n)
	}
}
