package github_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const (
	driftLabel  = "lockstep:drift"
	driftMarker = "<!-- lockstep:drift dir=infra env=prod -->"
)

func driftSpec(body string) github.IssueSpec {
	return github.IssueSpec{Marker: driftMarker, Label: driftLabel, Title: "Drift: infra (prod)", Body: body}
}

// markerIssues are the plain issues whose body starts with the drift marker.
func (e *env) markerIssues() []fakegithub.Issue {
	var out []fakegithub.Issue
	for _, is := range e.srv.Issues(owner, repo) {
		if strings.HasPrefix(is.Body, driftMarker+"\n") {
			out = append(out, is)
		}
	}
	return out
}

func (e *env) openMarkerIssues() int {
	n := 0
	for _, is := range e.markerIssues() {
		if is.State == "open" && is.User == fakegithub.DefaultUser {
			n++
		}
	}
	return n
}

func TestUpsertIssueLifecycle(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	ctx := context.Background()

	is, res, err := e.client.UpsertIssue(ctx, driftSpec("drifted: a"))
	if err != nil || res != github.IssueCreated {
		t.Fatalf("first upsert: %v, %v", res, err)
	}
	if got := e.srv.Labels(owner, repo, is.Number); len(got) != 1 || got[0] != driftLabel {
		t.Errorf("issue labels %v, want [%s]", got, driftLabel)
	}
	if got := e.srv.RepoLabels(owner, repo); len(got) != 1 || got[0] != driftLabel {
		t.Errorf("repository labels %v: the label was not created", got)
	}

	e.srv.ResetRequests()
	if _, res, err := e.client.UpsertIssue(ctx, driftSpec("drifted: a")); err != nil || res != github.IssueUnchanged {
		t.Fatalf("same body: %v, %v", res, err)
	}
	if w := e.srv.Writes(); w != 0 {
		t.Errorf("%d writes for an unchanged body, want 0", w)
	}

	if _, res, err := e.client.UpsertIssue(ctx, driftSpec("drifted: a, b")); err != nil || res != github.IssueUpdated {
		t.Fatalf("new body: %v, %v", res, err)
	}
	const commentMarker = "<!-- lockstep:drift-clean commit=abc -->"
	closed, res, err := e.client.CloseIssue(ctx, driftLabel, driftMarker, commentMarker, "No drift at abc")
	if err != nil || res != github.IssueClosed || closed.State != "closed" {
		t.Fatalf("close: %+v, %v, %v", closed, res, err)
	}
	cs := e.srv.Comments(owner, repo, is.Number)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "No drift at abc") {
		t.Fatalf("comments after close: %+v, want one saying there is no drift", cs)
	}
	// Clean again: nothing to close, nothing written.
	e.srv.ResetRequests()
	if _, res, err := e.client.CloseIssue(ctx, driftLabel, driftMarker, commentMarker, "No drift at abc"); err != nil || res != github.IssueNone {
		t.Fatalf("second close: %v, %v", res, err)
	}
	if w := e.srv.Writes(); w != 0 {
		t.Errorf("%d writes closing a closed issue, want 0", w)
	}

	// Drifted again: the same issue is reopened, never a second one.
	again, res, err := e.client.UpsertIssue(ctx, driftSpec("drifted: c"))
	if err != nil || res != github.IssueReopened || again.Number != is.Number || again.State != "open" {
		t.Fatalf("reopen: %+v, %v, %v", again, res, err)
	}
	if got := e.markerIssues(); len(got) != 1 || got[0].Body != driftMarker+"\ndrifted: c" {
		t.Errorf("issues %+v, want the one issue with the new body", got)
	}
}

func TestUpsertIssueReopensAClosedIssueWithTheSameBody(t *testing.T) {
	e := newEnv(t, nil, nil)
	n := e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "Drift: infra (prod)", Body: driftMarker + "\nsame", State: "closed"}, driftLabel)
	is, res, err := e.client.UpsertIssue(context.Background(), driftSpec("same"))
	if err != nil || res != github.IssueReopened || is.Number != n {
		t.Fatalf("%+v, %v, %v; want issue %d reopened", is, res, err, n)
	}
}

func TestUpsertIssueAfterAmbiguousCreateListsBeforeRetrying(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	// The create is stored, then answered 502: a blind retry would
	// duplicate it.
	e.srv.Fail(fakegithub.Fault{Method: "POST", Path: "/repos/acme/infra/issues", Kind: fakegithub.FaultApplyThenFail})
	_, res, err := e.client.UpsertIssue(context.Background(), driftSpec("drifted"))
	if err != nil || res != github.IssueCreated {
		t.Fatalf("%v, %v", res, err)
	}
	if n := len(e.markerIssues()); n != 1 {
		t.Fatalf("%d issues with the marker, want 1", n)
	}
	if n := e.srv.Count("POST", "/repos/{o}/{r}/issues"); n != 1 {
		t.Errorf("%d creates, want 1 (the search after the failure found it)", n)
	}
}

func TestUpsertIssueRetriesACreateThatSurelyFailed(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	// 500 without storing: after searching again, the create is retried.
	e.srv.Fail(fakegithub.Fault{Method: "POST", Path: "/repos/acme/infra/issues", Kind: fakegithub.FaultInternalError})
	_, res, err := e.client.UpsertIssue(context.Background(), driftSpec("drifted"))
	if err != nil || res != github.IssueCreated {
		t.Fatalf("%v, %v", res, err)
	}
	if n := len(e.markerIssues()); n != 1 {
		t.Fatalf("%d issues with the marker, want 1", n)
	}
	if n := e.srv.Count("GET", "/repos/{o}/{r}/issues"); n < 2 {
		t.Errorf("%d searches, want one before each create", n)
	}
}

func TestUpsertIssueNeverCreatesWhenTheSearchFailed(t *testing.T) {
	e := newEnv(t, nil, nil)
	// lockstep's issue is on the second page; that page keeps failing.
	for i := range 150 {
		e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "other", Body: "issue " + string(rune('a'+i%26)), User: "someone"}, driftLabel)
	}
	e.srv.Fail(fakegithub.Fault{Method: "GET", Path: "/repos/acme/infra/issues", Nth: 2, Times: -1, Kind: fakegithub.FaultInternalError})
	_, _, err := e.client.UpsertIssue(context.Background(), driftSpec("drifted"))
	if err == nil || !strings.Contains(err.Error(), "listing issues labelled lockstep:drift (page 2)") {
		t.Fatalf("err = %v, want the failed listing", err)
	}
	if n := e.srv.Count("POST", "/repos/{o}/{r}/issues"); n != 0 {
		t.Errorf("%d creates after a failed search, want 0", n)
	}
}

func TestFindIssueReadsEveryPageAndPicksTheNewest(t *testing.T) {
	e := newEnv(t, nil, nil)
	old := e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "t", Body: driftMarker + "\nold", State: "closed"}, driftLabel)
	e.clk.advance(time.Minute)
	for range 250 {
		e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "noise", Body: "not ours", User: "someone"}, driftLabel)
	}
	// Sorted newest first, lockstep's newest issue is on page 1 and its
	// older one on page 3; without the label an issue does not count.
	e.clk.advance(time.Minute)
	newest := e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "t", Body: driftMarker + "\nnew"}, driftLabel)
	e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "t", Body: driftMarker + "\nunlabelled"})
	e.srv.ResetRequests()
	got, err := e.client.FindIssue(context.Background(), driftLabel, driftMarker)
	if err != nil || got == nil || got.Number != newest {
		t.Fatalf("found %+v, %v; want issue %d (not %d)", got, err, newest, old)
	}
	if n := e.srv.Count("GET", "/repos/{o}/{r}/issues"); n != 3 {
		t.Errorf("%d list requests for 252 issues, want 3 pages of 100", n)
	}
	for _, r := range e.srv.Requests() {
		if r.Query.Get("state") != "all" || r.Query.Get("labels") != driftLabel || r.Query.Get("per_page") != "100" {
			t.Errorf("request %s?%s: want state=all, the label and 100 per page", r.Path, r.Query.Encode())
		}
	}
}

func TestUpsertIssueIgnoresAForgedIssue(t *testing.T) {
	e := newEnv(t, nil, nil)
	forged := e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "Drift: infra (prod)", Body: driftMarker + "\nforged", User: "mallory"}, driftLabel)
	is, res, err := e.client.UpsertIssue(context.Background(), driftSpec("drifted"))
	if err != nil || res != github.IssueCreated || is.Number == forged {
		t.Fatalf("%+v, %v, %v; want a new issue of lockstep's", is, res, err)
	}
	for _, got := range e.srv.Issues(owner, repo) {
		if got.Number == forged && (got.Body != driftMarker+"\nforged" || got.State != "open") {
			t.Errorf("the forged issue was changed: %+v", got)
		}
	}
	// Closing leaves the forged issue alone too.
	if _, res, err := e.client.CloseIssue(context.Background(), driftLabel, driftMarker, "<!-- c -->", "clean"); err != nil || res != github.IssueClosed {
		t.Fatalf("close: %v, %v", res, err)
	}
	if cs := e.srv.Comments(owner, repo, forged); len(cs) != 0 {
		t.Errorf("comments on the forged issue: %+v", cs)
	}
	if n := e.openMarkerIssues(); n != 0 {
		t.Errorf("%d open issues of lockstep's after close, want 0", n)
	}
}

func TestEnsureLabelKeepsAnExistingLabel(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SeedIssue(owner, repo, fakegithub.Issue{Title: "x"}, driftLabel)
	if err := e.client.EnsureLabel(context.Background(), driftLabel, "", ""); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Count("POST", "/repos/{o}/{r}/labels"); n != 0 {
		t.Errorf("%d label creates for an existing label, want 0", n)
	}
}
