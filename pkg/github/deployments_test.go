package github_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/lockstep-ci/lockstep/pkg/trace/tracetest"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

const (
	deploymentsPath = "/repos/" + owner + "/" + repo + "/deployments"
	statusesPath    = deploymentsPath + "/{id}/statuses"
	ledgerRunURL    = "https://github.com/acme/infra/actions/runs/77"
)

var ledgerSHA = fakegithub.FakeSHA("release")

func ledgerOptions() github.LedgerOptions {
	return github.LedgerOptions{Ref: ledgerSHA, LogURL: ledgerRunURL, EnvironmentURL: "https://app.example.com"}
}

func appEntry(env, app string) trace.Entry {
	return trace.Entry{
		Environment: env, AppVersion: app, InfraVersion: "abc1234",
		DeploymentVersion: trace.DeploymentVersion(app, "abc1234"),
		PlanSHA256:        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Task:              trace.TaskDeploy, Actor: "octocat", RunURL: ledgerRunURL,
		Description: "deploying " + app + " (direct)",
	}
}

// The GitHub ledger keeps the same contract as the file ledger.
func TestDeploymentLedgerContract(t *testing.T) {
	tracetest.LedgerContract(t, func(t *testing.T) trace.Ledger {
		e := newEnv(t, nil, nil)
		e.srv.AddRepo(owner, repo)
		return e.client.Ledger(ledgerOptions())
	})
}

// body decodes a request's JSON body.
func body(t *testing.T, r fakegithub.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

// writes are the requests that could change state, in order.
func writes(e *env) []fakegithub.Request {
	var out []fakegithub.Request
	for _, r := range e.srv.Requests() {
		if r.IsWrite() {
			out = append(out, r)
		}
	}
	return out
}

func TestLedgerRecordAndSetStatusRequests(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	o := ledgerOptions()
	o.ProductionEnvironment = true
	o.ApprovedBy = []string{"alice", "bob"}
	l := e.client.Ledger(o)
	ctx := context.Background()

	in := appEntry("production", "v2.0.0")
	in.Task, in.RolledBackFrom = trace.TaskRollback, "v2.1.0"
	got, err := l.Record(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != trace.StatusInProgress || got.Description != in.Description || got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Errorf("recorded %+v", got)
	}
	long := strings.Repeat("canary step failed: 5xx rate over 2% ", 10)
	if err := l.SetStatus(ctx, got.ID, trace.StatusFailure, long); err != nil {
		t.Fatal(err)
	}
	if err := l.SetStatus(ctx, got.ID, trace.StatusSuccess, "healthy"); err != nil {
		t.Fatal(err)
	}

	w := writes(e)
	if len(w) != 4 {
		t.Fatalf("%d writes, want create + 3 statuses: %+v", len(w), w)
	}
	if w[0].Method != "POST" || w[0].Path != deploymentsPath {
		t.Fatalf("first write %s %s", w[0].Method, w[0].Path)
	}
	create := body(t, w[0])
	wantCreate := map[string]any{
		"ref": ledgerSHA, "task": "rollback:app", "environment": "production",
		"auto_merge": false, "required_contexts": []any{},
		"transient_environment": false, "production_environment": true,
		"description": "app:v2.0.0-infra:abc1234",
	}
	for k, want := range wantCreate {
		if fmt.Sprint(create[k]) != fmt.Sprint(want) || create[k] == nil {
			t.Errorf("create %s = %#v, want %#v", k, create[k], want)
		}
	}
	payload, _ := create["payload"].(map[string]any)
	wantPayload := map[string]any{
		"lockstep": float64(1), "app_version": "v2.0.0", "infra_version": "abc1234",
		"deployment_version": "app:v2.0.0-infra:abc1234", "plan_sha256": in.PlanSHA256,
		"run_url": ledgerRunURL, "actor": "octocat", "rolled_back_from": "v2.1.0",
	}
	for k, want := range wantPayload {
		if payload[k] != want {
			t.Errorf("payload %s = %#v, want %#v", k, payload[k], want)
		}
	}
	if got := fmt.Sprint(payload["approved_by"]); got != "[alice bob]" {
		t.Errorf("payload approved_by = %s, want [alice bob]", got)
	}
	if id, _ := payload["lockstep_id"].(string); len(id) < 16 {
		t.Errorf("payload lockstep_id = %q, want a random marker", payload["lockstep_id"])
	}

	statusPath := fmt.Sprintf("%s/%s/statuses", deploymentsPath, got.ID)
	for i, want := range []map[string]any{
		{"state": "in_progress", "description": in.Description, "auto_inactive": false},
		{"state": "failure", "auto_inactive": false},
		{"state": "success", "description": "healthy", "auto_inactive": true},
	} {
		r := w[i+1]
		if r.Method != "POST" || r.Path != statusPath {
			t.Errorf("status %d: %s %s, want POST %s", i, r.Method, r.Path, statusPath)
			continue
		}
		b := body(t, r)
		want["log_url"], want["environment_url"] = ledgerRunURL, "https://app.example.com"
		for k, v := range want {
			if b[k] != v {
				t.Errorf("status %d: %s = %#v, want %#v", i, k, b[k], v)
			}
		}
	}
	desc, _ := body(t, w[2])["description"].(string)
	if n := utf8.RuneCountInString(desc); n != 140 || !strings.HasSuffix(desc, "…") || !strings.HasPrefix(long, strings.TrimSuffix(desc, "…")) {
		t.Errorf("long description sent as %q (%d characters), want it cut to %d", desc, n, 140)
	}
}

func TestLedgerRecordValidatesWithoutRequests(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ref  string
		mod  func(*trace.Entry)
		want string
	}{
		{"no ref", "", func(*trace.Entry) {}, "no commit SHA"},
		{"no environment", ledgerSHA, func(e *trace.Entry) { e.Environment = "" }, "no environment"},
		{"github's task", ledgerSHA, func(e *trace.Entry) { e.Task = "deploy" }, `task "deploy"`},
		{"no task", ledgerSHA, func(e *trace.Entry) { e.Task = "" }, `task ""`},
		{"bad status", ledgerSHA, func(e *trace.Entry) { e.Status = "done" }, `"done" is not a deployment status`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := appEntry("staging", "v1")
			tc.mod(&in)
			_, err := e.client.Ledger(github.LedgerOptions{Ref: tc.ref}).Record(ctx, in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := e.client.Ledger(ledgerOptions()).SetStatus(ctx, "abc", trace.StatusSuccess, ""); err == nil {
		t.Error("a non-numeric ID was accepted")
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests for invalid input, want 0", n)
	}
}

// gh is a plain go-github client on the fake, to seed what others create.
func (e *env) gh(t *testing.T) *gogithub.Client {
	t.Helper()
	g := gogithub.NewClient(e.srv.Client())
	u, err := url.Parse(e.srv.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	g.BaseURL = u
	return g
}

func (e *env) seedDeployment(t *testing.T, env, task string, payload any, states ...string) int64 {
	t.Helper()
	e.srv.AddRepo(owner, repo)
	ctx := context.Background()
	g := e.gh(t)
	d, _, err := g.Repositories.CreateDeployment(ctx, owner, repo, &gogithub.DeploymentRequest{
		Ref: gogithub.String(ledgerSHA), Task: gogithub.String(task), Environment: gogithub.String(env),
		AutoMerge: gogithub.Bool(false), RequiredContexts: &[]string{}, Payload: payload,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if _, _, err := g.Repositories.CreateDeploymentStatus(ctx, owner, repo, d.GetID(), &gogithub.DeploymentStatusRequest{State: gogithub.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	return d.GetID()
}

func TestLedgerListFiltersAndOrders(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	l := e.client.Ledger(ledgerOptions())
	ctx := context.Background()
	record := func(env, app, status string) trace.Entry {
		t.Helper()
		got, err := l.Record(ctx, appEntry(env, app))
		if err != nil {
			t.Fatal(err)
		}
		if status != "" {
			if err := l.SetStatus(ctx, got.ID, status, status+" "+app); err != nil {
				t.Fatal(err)
			}
		}
		return got
	}

	v1 := record("production", "v1", trace.StatusSuccess)
	// GitHub's own deployment for a job with "environment: production".
	e.seedDeployment(t, "production", "deploy", nil, "success")
	// Another tool's deployment with lockstep's task but not its payload.
	e.seedDeployment(t, "production", trace.TaskDeploy, map[string]string{"app_version": "x"}, "success")
	// A string payload.
	e.seedDeployment(t, "production", trace.TaskDeploy, "v9", "success")
	stag := record("staging", "v2", trace.StatusSuccess)
	v2 := record("production", "v2", trace.StatusSuccess) // makes v1 inactive
	// A Record that failed after creating the deployment, and one queued by hand.
	orphan := e.seedDeployment(t, "production", trace.TaskDeploy, map[string]any{"lockstep": 1, "app_version": "v3"})
	queued := e.seedDeployment(t, "production", trace.TaskRollback, map[string]any{"lockstep": 1, "app_version": "v0"}, "queued")

	got, err := l.List(ctx, "production")
	if err != nil {
		t.Fatal(err)
	}
	summary := func(es []trace.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, fmt.Sprintf("%s %s %s %s", e.ID, e.AppVersion, e.Task, e.Status))
		}
		return out
	}
	want := []string{
		fmt.Sprintf("%d v0 rollback:app in_progress", queued),
		fmt.Sprintf("%d v3 deploy:app error", orphan),
		v2.ID + " v2 deploy:app success",
		v1.ID + " v1 deploy:app inactive",
	}
	if fmt.Sprint(summary(got)) != fmt.Sprint(want) {
		t.Fatalf("listed\n%s\nwant, newest first, only lockstep's\n%s", strings.Join(summary(got), "\n"), strings.Join(want, "\n"))
	}
	v1got := got[3]
	if v1got.Description != "" || !v1got.Succeeded() || v1got.RunURL != ledgerRunURL || v1got.Actor != "octocat" ||
		v1got.InfraVersion != "abc1234" || v1got.DeploymentVersion != "app:v1-infra:abc1234" || v1got.UpdatedAt.Before(v1got.CreatedAt) {
		t.Errorf("v1 listed as %+v", v1got)
	}
	if got[2].Description != "success v2" {
		t.Errorf("v2 description %q, want the latest status's", got[2].Description)
	}
	if good, ok := trace.LastGood(got, "production", "abc1234", "v2"); !ok || good.ID != v1.ID {
		t.Errorf("LastGood = %+v %v, want v1 (inactive counts as good)", good, ok)
	}

	all, err := l.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 || all[2].ID != v2.ID || all[3].ID != stag.ID {
		t.Errorf("every environment: %v", summary(all))
	}

	// The listing asks GitHub for lockstep's tasks only, 100 at a time, and
	// reads one status per deployment.
	e.srv.ResetRequests()
	if _, err := l.List(ctx, "production"); err != nil {
		t.Fatal(err)
	}
	tasks := map[string]bool{}
	statuses := 0
	for _, r := range e.srv.Requests() {
		switch {
		case r.Path == deploymentsPath:
			tasks[r.Query.Get("task")] = true
			if r.Query.Get("environment") != "production" || r.Query.Get("per_page") != "100" {
				t.Errorf("list query %s", r.Query.Encode())
			}
		case strings.HasSuffix(r.Path, "/statuses"):
			statuses++
			if r.Query.Get("per_page") != "1" {
				t.Errorf("status query %s", r.Query.Encode())
			}
		}
	}
	if len(tasks) != 2 || !tasks[trace.TaskDeploy] || !tasks[trace.TaskRollback] || statuses != 4 {
		t.Errorf("tasks listed %v, statuses read %d; want deploy:app and rollback:app, 4", tasks, statuses)
	}
}

func TestLedgerListIsCapped(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	e := newEnv(t, nil, func(o *github.Options) {
		o.Logf = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			logs = append(logs, fmt.Sprintf(format, args...))
		}
	})
	e.srv.AddRepo(owner, repo)
	o := ledgerOptions()
	o.MaxEntries = 3
	l := e.client.Ledger(o)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		in := appEntry("production", fmt.Sprintf("v%d", i))
		if i%2 == 1 {
			in.Task = trace.TaskRollback
		}
		got, err := l.Record(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.ID)
	}
	got, err := l.List(ctx, "production")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != ids[4] || got[1].ID != ids[3] || got[2].ID != ids[2] {
		t.Fatalf("listed %+v, want the 3 newest", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 1 || !strings.Contains(logs[0], "only the newest 3") {
		t.Errorf("logs %q, want one note about the cap", logs)
	}
}

// A failure after which the deployment may exist never makes a second one:
// the ledger looks for its lockstep_id first.
func TestLedgerRecordSurvivesFaults(t *testing.T) {
	const backoff0 = 750 * time.Millisecond
	for _, tc := range []struct {
		fault     fakegithub.Fault
		wantPosts int
	}{
		{fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail}, 1},
		{fakegithub.Fault{Kind: fakegithub.FaultApplyThenFail, Times: 3}, 1},
		{fakegithub.Fault{Kind: fakegithub.FaultApplyThenDisconnect}, 1},
		{fakegithub.Fault{Kind: fakegithub.FaultInternalError}, 2},
		{fakegithub.Fault{Kind: fakegithub.FaultBadGateway}, 2},
		{fakegithub.Fault{Kind: fakegithub.FaultDisconnect}, 2},
		{fakegithub.Fault{Kind: fakegithub.FaultSecondaryRateLimit, RetryAfter: 5 * time.Second}, 2},
	} {
		name := tc.fault.Kind.String()
		if tc.fault.Times > 1 {
			name += fmt.Sprintf("-x%d", tc.fault.Times)
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			// An earlier deployment of the same sha, environment and task.
			e.seedDeployment(t, "production", trace.TaskDeploy, map[string]any{"lockstep": 1, "lockstep_id": "earlier", "app_version": "v0"}, "success")
			f := tc.fault
			f.Method, f.Path = "POST", deploymentsPath
			e.srv.Fail(f)

			got, err := e.client.Ledger(ledgerOptions()).Record(context.Background(), appEntry("production", "v1"))
			if err != nil {
				t.Fatalf("record: %v", err)
			}
			var ours []fakegithub.Deployment
			for _, d := range e.srv.Deployments(owner, repo) {
				if strings.Contains(string(d.Payload), `"app_version":"v1"`) {
					ours = append(ours, d)
				}
			}
			if len(ours) != 1 || fmt.Sprint(ours[0].ID) != got.ID {
				t.Fatalf("%d deployments of v1 (%+v), want exactly the one returned (%s)", len(ours), ours, got.ID)
			}
			if sts := e.srv.Statuses(owner, repo, ours[0].ID); len(sts) != 1 || sts[0].State != "in_progress" {
				t.Errorf("statuses %+v, want one in_progress", sts)
			}
			if n := e.srv.Count("POST", deploymentsPath) - 1; n != tc.wantPosts {
				t.Errorf("%d create requests, want %d", n, tc.wantPosts)
			}
			if tc.fault.Kind != fakegithub.FaultSecondaryRateLimit {
				if s := e.clk.Sleeps(); len(s) == 0 || s[0] != backoff0 {
					t.Errorf("sleeps %v, want a backoff of %s first", s, backoff0)
				}
			}
			for _, r := range e.srv.Requests() {
				if r.Method == "GET" && r.Path == deploymentsPath {
					if q := r.Query; q.Get("sha") != ledgerSHA || q.Get("environment") != "production" || q.Get("task") != trace.TaskDeploy {
						t.Errorf("looked with %s, want sha, environment and task", q.Encode())
					}
				}
			}
		})
	}
}

func TestLedgerSetStatusSurvivesFaults(t *testing.T) {
	for _, kind := range []fakegithub.FaultKind{
		fakegithub.FaultApplyThenFail, fakegithub.FaultApplyThenDisconnect,
		fakegithub.FaultInternalError, fakegithub.FaultDisconnect,
	} {
		t.Run(kind.String(), func(t *testing.T) {
			e := newEnv(t, nil, nil)
			e.srv.AddRepo(owner, repo)
			l := e.client.Ledger(ledgerOptions())
			ctx := context.Background()
			got, err := l.Record(ctx, appEntry("production", "v1"))
			if err != nil {
				t.Fatal(err)
			}
			e.srv.Fail(fakegithub.Fault{Method: "POST", Path: statusesPath, Kind: kind})
			if err := l.SetStatus(ctx, got.ID, trace.StatusSuccess, "healthy"); err != nil {
				t.Fatal(err)
			}
			var id int64
			fmt.Sscan(got.ID, &id)
			sts := e.srv.Statuses(owner, repo, id)
			if len(sts) != 2 || sts[1].State != "success" || sts[1].Description != "healthy" {
				t.Errorf("statuses %+v, want in_progress then one success", sts)
			}
		})
	}
}

func TestLedgerMergedInsteadOfDeployedIsAnError(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	e.srv.Fail(fakegithub.Fault{Method: "POST", Path: deploymentsPath, Kind: fakegithub.FaultStatus,
		Status: http.StatusAccepted, Message: "Auto-merged main into topic branch."})
	_, err := e.client.Ledger(ledgerOptions()).Record(context.Background(), appEntry("production", "v1"))
	if err == nil || !strings.Contains(err.Error(), "202 Accepted") || !strings.Contains(err.Error(), "Auto-merged main") {
		t.Fatalf("got %v, want an error naming the 202 and GitHub's message", err)
	}
	if n := e.srv.Count("POST", deploymentsPath); n != 1 {
		t.Errorf("%d create requests, want 1 (a 202 is not retried)", n)
	}
}

func TestLedgerErrorsAreClear(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.AddRepo(owner, repo)
	e.srv.Fail(fakegithub.Fault{Method: "POST", Path: deploymentsPath, Kind: fakegithub.FaultStatus, Status: http.StatusForbidden})
	_, err := e.client.Ledger(ledgerOptions()).Record(context.Background(), appEntry("production", "v1"))
	if !github.IsPermission(err) || !strings.Contains(err.Error(), "creating a deploy:app deployment of "+ledgerSHA+" to production") {
		t.Errorf("got %v, want a permission error saying what was happening", err)
	}
	if err := e.client.Ledger(ledgerOptions()).SetStatus(context.Background(), "424242", trace.StatusSuccess, ""); !github.IsNotFound(err) {
		t.Errorf("unknown deployment: %v, want a 404", err)
	}
}
