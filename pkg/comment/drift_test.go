package comment

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

func TestDriftMarkerRoundTrip(t *testing.T) {
	tests := []struct {
		name, dir, env   string
		wantDir, wantEnv string
		wantMarker       string
	}{
		{"plain", "infra", "production", "infra", "production", "<!-- lockstep:drift dir=infra env=production -->"},
		{"no environment", "stacks/net", "", "stacks/net", "", "<!-- lockstep:drift dir=stacks/net env= -->"},
		{"spaces and arrows encoded", "a b", "x-->y", "a%20b", "x%2D%2D%3Ey", ""},
		{"newline cannot end the line", "infra\n<!-- lockstep:drift dir=x env=y -->", "p", "infra%0A%3C%21%2D%2D%20lockstep%3Adrift%20dir%3Dx%20env%3Dy%20%2D%2D%3E", "p", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DriftMarker(tt.dir, tt.env)
			if tt.wantMarker != "" && m != tt.wantMarker {
				t.Errorf("DriftMarker = %q, want %q", m, tt.wantMarker)
			}
			if strings.ContainsAny(m, "\r\n") || strings.Count(m, "-->") != 1 {
				t.Errorf("marker %q is not one comment line", m)
			}
			dir, env, ok := ParseDriftMarker(m + "\nbody")
			if !ok || dir != tt.wantDir || env != tt.wantEnv {
				t.Errorf("ParseDriftMarker = %q, %q, %v; want %q, %q", dir, env, ok, tt.wantDir, tt.wantEnv)
			}
		})
	}
}

func TestParseDriftMarkerRejects(t *testing.T) {
	for _, body := range []string{
		"",
		"no marker\n<!-- lockstep:drift dir=infra env=p -->",
		"<!-- lockstep:plan dir=infra env=p -->",
		"<!-- lockstep:drift dir=infra -->",
		"<!-- lockstep:drift dir= env=p -->",
		"<!-- lockstep:drift dir=infra env=p",
		" <!-- lockstep:drift dir=infra env=p -->",
		"<!-- lockstep:drift dir=in fra env=p -->",
	} {
		if dir, env, ok := ParseDriftMarker(body); ok {
			t.Errorf("ParseDriftMarker(%q) = %q, %q, true; want not a marker", body, dir, env)
		}
	}
	if _, _, ok := ParseDriftMarker("<!-- lockstep:drift dir=infra env=p -->\r\nbody"); !ok {
		t.Error("a CRLF after the marker must still parse")
	}
}

func driftSummary() *plan.Summary {
	return &plan.Summary{
		Add: 1, Change: 1, Destroy: 1, Replace: 1,
		Drift: []plan.Change{
			{Address: "aws_s3_bucket.logs", Type: "aws_s3_bucket", Action: plan.ActionUpdate, ChangedAttributes: []string{"tags", "versioning"}},
			{Address: `aws_iam_user.u["hunter2-secret"]`, Type: "aws_iam_user", Action: plan.ActionDelete},
		},
		Changes: []plan.Change{
			{Address: "aws_db_instance.main", Type: "aws_db_instance", Action: plan.ActionReplace, ReplacePaths: []string{"engine_version"}},
			{Address: "aws_s3_bucket.logs", Type: "aws_s3_bucket", Action: plan.ActionUpdate, ChangedAttributes: []string{"tags"}},
		},
		Outputs: []plan.OutputChange{{Name: "endpoint", Action: plan.ActionUpdate, Before: `"a"`, After: `"b"`}},
		Secrets: []string{"hunter2-secret"},
	}
}

func TestRenderDrift(t *testing.T) {
	m := Meta{Directory: "infra", Environment: "production", Commit: "0123456789abcdef", RunURL: "https://github.com/o/r/actions/runs/9",
		LockstepVersion: "1.2.3", EngineVersion: "1.11.4", Now: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)}
	body := RenderDrift(driftSummary(), m)
	for _, want := range []string{
		"<!-- lockstep:drift dir=infra env=production -->\n",
		"2 resources changed outside Terraform since the last apply",
		"2 planned changes are not applied",
		"| ✏️ changed | `aws_s3_bucket.logs` | `tags`, `versioning` |",
		// An address is a name, never redacted, even when a sensitive
		// value equals its key.
		"| 🗑️ deleted | `aws_iam_user.u[\"hunter2-secret\"]` | deleted outside Terraform |",
		"**Plan:** 1 to add, 1 to change, 1 to destroy.",
		"`aws_db_instance.main`",
		"`engine_version` forces replacement",
		"**Outputs that would change:** `endpoint`",
		"commit `0123456`",
		"[run](https://github.com/o/r/actions/runs/9)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "(sensitive value)") {
		t.Errorf("an address was redacted:\n%s", body)
	}
	if lines := strings.Split(strings.TrimRight(body, "\n"), "\n"); !strings.HasPrefix(lines[len(lines)-1], "<sub>") {
		t.Errorf("the last line %q is not the footer", lines[len(lines)-1])
	}

	// Another run at another commit that finds the same drift says the same
	// thing: the issue is left alone.
	m2 := m
	m2.Commit, m2.RunURL, m2.Now = "fedcba9876543210", "https://github.com/o/r/actions/runs/10", m.Now.Add(24*time.Hour)
	if again := RenderDrift(driftSummary(), m2); !SameContent(body, again) {
		t.Errorf("same drift at another commit is new content:\n%s\n---\n%s", body, again)
	}
	// New drift is new content.
	s := driftSummary()
	s.Drift[0].ChangedAttributes = []string{"tags"}
	if SameContent(body, RenderDrift(s, m)) {
		t.Error("different drift compares as the same content")
	}
}

func TestRenderDriftCleanCodeOnly(t *testing.T) {
	s := &plan.Summary{Add: 1, Changes: []plan.Change{{Address: "null_resource.new", Type: "null_resource", Action: plan.ActionCreate}}}
	body := RenderDrift(s, Meta{Directory: "infra"})
	for _, want := range []string{"no resource changed outside Terraform that a refresh can see", "Nothing: the real resources match the state.", "1 planned change is not applied", "`null_resource.new`"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestRenderDriftFitsTheBudget(t *testing.T) {
	s := &plan.Summary{}
	for i := range 5000 {
		addr := "module.m.aws_instance.x[" + strings.Repeat("k", 200) + string(rune('a'+i%26)) + "]"
		s.Drift = append(s.Drift, plan.Change{Address: addr, Type: "aws_instance", Action: plan.ActionUpdate, ChangedAttributes: []string{"tags"}})
		s.Changes = append(s.Changes, plan.Change{Address: addr, Type: "aws_instance", Action: plan.ActionUpdate, ChangedAttributes: []string{"tags"}})
	}
	s.Change = len(s.Changes)
	body := RenderDrift(s, Meta{Directory: "infra", Environment: "p", Commit: "abc1234"})
	if n := utf8.RuneCountInString(body); n > DriftIssueBudget {
		t.Fatalf("body is %d runes, over %d", n, DriftIssueBudget)
	}
	for _, want := range []string{"<!-- lockstep:drift dir=infra env=p -->\n", "more resources in the run's job summary", "5,000 resources changed outside", "<sub>commit `abc1234`"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q", want)
		}
	}
}

func TestDriftTitleAndClean(t *testing.T) {
	if got := DriftTitle("infra", "production"); got != "Drift: infra (production)" {
		t.Errorf("DriftTitle = %q", got)
	}
	if got := DriftTitle("", ""); got != "Drift: ." {
		t.Errorf("DriftTitle = %q", got)
	}
	got := RenderDriftClean("0123456789", "https://github.com/o/r/actions/runs/1")
	if !strings.Contains(got, "No drift at `0123456` ([run](https://github.com/o/r/actions/runs/1))") {
		t.Errorf("RenderDriftClean = %q", got)
	}
	if got := RenderDriftClean("abc", "javascript:alert(1)"); strings.Contains(got, "javascript") {
		t.Errorf("unsafe run link kept: %q", got)
	}
}

// Drift issue bodies of pkg/plan's real plans: drift (resource_drift
// injected, see its README), a stack with sensitive values, and one with
// nothing to change; go test ./pkg/comment -update rewrites them.
func TestRenderDriftGolden(t *testing.T) {
	for _, name := range []string{"drift", "sensitive", "no-op"} {
		t.Run(name, func(t *testing.T) {
			s, _, _ := realPlan(t, name)
			m := testMeta("")
			m.Next = ""
			body := RenderDrift(s, m)
			checkGolden(t, name+".drift.golden.md", body)
			for _, secret := range s.Secrets {
				if strings.Contains(body, secret) {
					t.Errorf("sensitive value %q in the body", secret)
				}
			}
		})
	}
}
