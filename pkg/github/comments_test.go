package github_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

func TestFindCommentReadsEveryPage(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SeedComments(owner, repo, 7, 499)
	id := e.srv.AddComment(owner, repo, 7, "", marker+"\nthe plan")
	e.srv.ResetRequests()

	got, err := e.client.FindComment(context.Background(), 7, marker)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.ID != id || !strings.HasPrefix(got.URL, "https://github.com/acme/infra/pull/7#issuecomment-") {
		t.Fatalf("found %+v, want comment %d", got, id)
	}
	if n := e.lists(7); n != 5 {
		t.Errorf("%d list requests for 500 comments, want 5 pages of 100", n)
	}
	for _, r := range e.srv.Requests() {
		if r.Query.Get("per_page") != "100" {
			t.Errorf("request %s?%s does not ask for 100 per page", r.Path, r.Query.Encode())
		}
	}

	none, err := e.client.FindComment(context.Background(), 7, "<!-- lockstep:plan dir=other env=prod -->")
	if err != nil || none != nil {
		t.Errorf("other marker: %+v, %v", none, err)
	}
}

func TestFindCommentMatchesTheFirstLineExactly(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddComment(owner, repo, 1, "", "quoting: "+marker+"\nnot ours")
	e.srv.AddComment(owner, repo, 1, "", "text\n"+marker)
	e.srv.AddComment(owner, repo, 1, "", strings.TrimSuffix(marker, " -->")+" x -->\nother dir")
	got, err := e.client.FindComment(context.Background(), 1, marker)
	if err != nil || got != nil {
		t.Fatalf("got %+v, %v; want none", got, err)
	}
	id := e.srv.AddComment(owner, repo, 1, "", marker+"\r\nwindows line ending")
	got, err = e.client.FindComment(context.Background(), 1, marker)
	if err != nil || got == nil || got.ID != id {
		t.Fatalf("got %+v, %v; want %d", got, err, id)
	}
}

func TestUpsertCreatesThenUpdatesOneComment(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddPullRequest(owner, repo, 3, fakegithub.FakeSHA("x"))
	ctx := context.Background()

	c1, res, err := e.client.UpsertComment(ctx, 3, marker, "plan: 1 to add")
	if err != nil || res != github.Created {
		t.Fatalf("first upsert: %v %v", res, err)
	}
	if c1.Body != marker+"\nplan: 1 to add" || c1.URL == "" {
		t.Errorf("created %+v", c1)
	}
	c2, res, err := e.client.UpsertComment(ctx, 3, marker, marker+"\nplan: 2 to add")
	if err != nil || res != github.Updated || c2.ID != c1.ID {
		t.Fatalf("second upsert: %+v %v %v", c2, res, err)
	}
	got := e.markerComments(3)
	if len(got) != 1 || got[0].Body != marker+"\nplan: 2 to add" {
		t.Fatalf("comments %+v, want exactly one with the new body", got)
	}
}

func TestUpsertUnchangedWritesNothing(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddComment(owner, repo, 3, "", marker+"\nsame\n")
	e.srv.ResetRequests()
	_, res, err := e.client.UpsertComment(context.Background(), 3, marker, "same")
	if err != nil || res != github.Unchanged {
		t.Fatalf("got %v %v, want unchanged", res, err)
	}
	if w := e.srv.Writes(); w != 0 {
		t.Errorf("%d writes, want 0", w)
	}
}

func TestUpsertEditsTheNewestOfLegacyDuplicates(t *testing.T) {
	e := newEnv(t, nil, nil)
	// Each created a minute after the last, so the creation times (not only
	// the IDs) tell which is newest.
	old := e.srv.AddComment(owner, repo, 3, "", marker+"\nold one")
	e.clk.advance(time.Minute)
	e.srv.SeedComments(owner, repo, 3, 2)
	e.clk.advance(time.Minute)
	newest := e.srv.AddComment(owner, repo, 3, "", marker+"\nnewer one")
	c, res, err := e.client.UpsertComment(context.Background(), 3, marker, "fresh")
	if err != nil || res != github.Updated || c.ID != newest {
		t.Fatalf("got %+v %v %v; want comment %d updated", c, res, err, newest)
	}
	for _, cm := range e.markerComments(3) {
		if cm.ID == old && cm.Body != marker+"\nold one" {
			t.Errorf("older duplicate was changed: %q", cm.Body)
		}
	}
}

// The cost of an upsert on a busy pull request: 500 comments are 5 pages.
func TestUpsertCostOnAPullRequestWith500Comments(t *testing.T) {
	for _, tc := range []struct {
		name       string
		existing   string // body of the marker comment, "" for none
		wantResult github.UpsertResult
		wantWrites int
	}{
		{"create", "", github.Created, 1},
		{"update", marker + "\nold", github.Updated, 1},
		{"unchanged", marker + "\nnew", github.Unchanged, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			if tc.existing == "" {
				e.srv.SeedComments(owner, repo, 9, 500)
			} else {
				e.srv.SeedComments(owner, repo, 9, 250)
				e.srv.AddComment(owner, repo, 9, "", tc.existing)
				e.srv.SeedComments(owner, repo, 9, 249)
			}
			e.srv.ResetRequests()
			_, res, err := e.client.UpsertComment(context.Background(), 9, marker, "new")
			if err != nil || res != tc.wantResult {
				t.Fatalf("got %v %v, want %v", res, err, tc.wantResult)
			}
			if n := e.lists(9); n > 5 {
				t.Errorf("%d list pages, want at most 5", n)
			}
			if w := e.srv.Writes(); w != tc.wantWrites {
				t.Errorf("%d writes, want %d", w, tc.wantWrites)
			}
			if n := len(e.srv.Requests()); n > 5+tc.wantWrites {
				t.Errorf("%d requests in all", n)
			}
		})
	}
}

func TestUpsertRejectsOversizedBodyWithoutARequest(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, _, err := e.client.UpsertComment(context.Background(), 1, marker, strings.Repeat("x", 65536))
	if err == nil || !strings.Contains(err.Error(), "over GitHub's limit of 65536") {
		t.Fatalf("got %v", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests", n)
	}
	if _, _, err := e.client.UpsertComment(context.Background(), 1, "two\nlines", "x"); err == nil {
		t.Error("multi-line marker accepted")
	}
}

// Every fault kind on each of the three requests of an upsert ends with
// exactly one comment with the new body, after the right waits.
func TestUpsertSurvivesFaults(t *testing.T) {
	const (
		backoff0 = 750 * time.Millisecond // first backoff step with Rand 0.5: 1s/2 + 0.5*1s/2
		pr       = 5
	)
	list := "/repos/" + owner + "/" + repo + "/issues/5/comments"
	edit := "/repos/" + owner + "/" + repo + "/issues/comments/{id}"

	type step struct {
		method, path string
		existing     bool // a marker comment with an old body exists
	}
	steps := map[string]step{
		"list":   {"GET", list, false},
		"create": {"POST", list, false},
		"edit":   {"PATCH", edit, true},
	}
	for _, tc := range []struct {
		step      string
		fault     fakegithub.Fault
		wantSleep []time.Duration
		wantPosts int
	}{
		{"list", fakegithub.Fault{Kind: fakegithub.FaultInternalError}, []time.Duration{backoff0}, 1},
		{"list", fakegithub.Fault{Kind: fakegithub.FaultBadGateway, Times: 2}, []time.Duration{backoff0, 2 * backoff0}, 1},
		{"list", fakegithub.Fault{Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: 7 * time.Second}, []time.Duration{7 * time.Second}, 1},
		{"list", fakegithub.Fault{Kind: fakegithub.FaultSecondaryRateLimit}, []time.Duration{time.Minute}, 1},
		{"list", fakegithub.Fault{Kind: fakegithub.FaultPrimaryRateLimit, Reset: newClock().t.Add(20 * time.Second)}, []time.Duration{20 * time.Second}, 1},
		{"list", fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests, RetryAfter: 3 * time.Second}, []time.Duration{3 * time.Second}, 1},
		{"list", fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests}, []time.Duration{time.Minute}, 1},
		{"list", fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail}, []time.Duration{backoff0}, 1},

		{"create", fakegithub.Fault{Kind: fakegithub.FaultInternalError}, []time.Duration{backoff0}, 2},
		{"create", fakegithub.Fault{Kind: fakegithub.FaultBadGateway}, []time.Duration{backoff0}, 2},
		{"create", fakegithub.Fault{Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: 7 * time.Second}, []time.Duration{7 * time.Second}, 2},
		{"create", fakegithub.Fault{Kind: fakegithub.FaultPrimaryRateLimit, Reset: newClock().t.Add(20 * time.Second)}, []time.Duration{20 * time.Second}, 2},
		{"create", fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests, RetryAfter: 3 * time.Second}, []time.Duration{3 * time.Second}, 2},
		// The ambiguous ones: the comment exists after the failure, and is
		// found instead of created again.
		{"create", fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail}, []time.Duration{backoff0}, 1},
		{"create", fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail, Times: 3}, []time.Duration{backoff0}, 1},
		{"create", fakegithub.Fault{Kind: fakegithub.FaultApplyThenDisconnect}, []time.Duration{backoff0}, 1},
		{"create", fakegithub.Fault{Kind: fakegithub.FaultDisconnect}, []time.Duration{backoff0}, 2},

		{"edit", fakegithub.Fault{Kind: fakegithub.FaultInternalError}, []time.Duration{backoff0}, 0},
		{"edit", fakegithub.Fault{Kind: fakegithub.FaultBadGateway}, []time.Duration{backoff0}, 0},
		{"edit", fakegithub.Fault{Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: 7 * time.Second}, []time.Duration{7 * time.Second}, 0},
		{"edit", fakegithub.Fault{Kind: fakegithub.FaultPrimaryRateLimit, Reset: newClock().t.Add(20 * time.Second)}, []time.Duration{20 * time.Second}, 0},
		{"edit", fakegithub.Fault{Kind: fakegithub.FaultTooManyRequests, RetryAfter: 3 * time.Second}, []time.Duration{3 * time.Second}, 0},
		{"edit", fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail}, []time.Duration{backoff0}, 0},
		{"edit", fakegithub.Fault{Kind: fakegithub.FaultApplyThenDisconnect}, []time.Duration{backoff0}, 0},
		{"edit", fakegithub.Fault{Kind: fakegithub.FaultDisconnect}, []time.Duration{backoff0}, 0},
	} {
		name := tc.step + "/" + tc.fault.Kind.String()
		if tc.fault.Times > 1 {
			name += "-x" + string(rune('0'+tc.fault.Times))
		}
		if tc.fault.Kind == fakegithub.FaultSecondaryRateLimit || tc.fault.Kind == fakegithub.FaultTooManyRequests {
			if tc.fault.RetryAfter == 0 {
				name += "-no-retry-after"
			}
		}
		t.Run(name, func(t *testing.T) {
			st := steps[tc.step]
			e := newEnv(t, nil, nil)
			e.srv.SeedComments(owner, repo, pr, 3)
			if st.existing {
				e.srv.AddComment(owner, repo, pr, "", marker+"\nold plan")
			}
			f := tc.fault
			f.Method, f.Path = st.method, st.path
			e.srv.Fail(f)

			_, _, err := e.client.UpsertComment(context.Background(), pr, marker, "new plan")
			if err != nil {
				t.Fatalf("upsert: %v", err)
			}
			got := e.markerComments(pr)
			if len(got) != 1 || got[0].Body != marker+"\nnew plan" {
				t.Fatalf("comments with the marker: %+v; want exactly one with the new body", got)
			}
			if sleeps := e.clk.Sleeps(); !equalDurations(sleeps, tc.wantSleep) {
				t.Errorf("slept %v, want %v", sleeps, tc.wantSleep)
			}
			if n := e.srv.Count("POST", list); n != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", n, tc.wantPosts)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
