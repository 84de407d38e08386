package github_test

import (
	"context"
	"fmt"
	"testing"
)

func TestRunArtifactsPaginatesAndDeleteIsIdempotent(t *testing.T) {
	e := newEnv(t, nil, nil)
	var want []string
	for i := range 150 {
		name := fmt.Sprintf("lockstep-prod-abc-plan-%03d", i)
		e.srv.AddArtifact(owner, repo, 99, name, 10)
	}
	e.srv.AddArtifact(owner, repo, 100, "another-run", 10)
	for i := 149; i >= 0; i-- {
		want = append(want, fmt.Sprintf("lockstep-prod-abc-plan-%03d", i))
	}
	ctx := context.Background()
	got, err := e.client.RunArtifacts(ctx, 99)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("names = %v\nwant %v", names, want)
	}
	if n := e.srv.Count("GET", "/repos/{o}/{r}/actions/runs/99/artifacts"); n != 2 {
		t.Errorf("list requests = %d, want 2 pages", n)
	}

	if err := e.client.DeleteArtifact(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.client.DeleteArtifact(ctx, got[0].ID); err != nil {
		t.Errorf("deleting a deleted artifact: %v, want nil", err)
	}
	if n := len(e.srv.Artifacts(owner, repo)); n != 150 {
		t.Errorf("artifacts left = %d, want 150", n)
	}
}
