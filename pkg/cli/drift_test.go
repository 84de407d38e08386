package cli

import (
	"strings"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

func commentMeta(r driftReport) comment.Meta {
	return comment.Meta{Directory: r.Directory, Environment: r.Environment, Commit: r.Commit}
}

func TestCleanMarker(t *testing.T) {
	tests := []struct{ commit, want string }{
		{"3F9A2C1d0e", "<!-- lockstep:drift-clean commit=3f9a2c1d0e -->"},
		{"", "<!-- lockstep:drift-clean commit= -->"},
		{"abc -->\n<script>", "<!-- lockstep:drift-clean commit=abcc -->"},
	}
	for _, tt := range tests {
		if got := cleanMarker(tt.commit); got != tt.want {
			t.Errorf("cleanMarker(%q) = %q, want %q", tt.commit, got, tt.want)
		}
	}
}

func TestDriftSummaryVerdict(t *testing.T) {
	tests := []struct {
		name string
		rep  driftReport
		s    *plan.Summary
		want []string
	}{
		{"clean", driftReport{Directory: "infra", Environment: "prod", Commit: "0123456789"}, &plan.Summary{},
			[]string{"✅ **No drift** in `infra` · prod", "`0123456`"}},
		{"drifted with an issue", driftReport{Directory: "infra", Drifted: true, Drift: 2, Issue: "https://github.com/o/r/issues/3", IssueResult: "updated"},
			&plan.Summary{Changes: []plan.Change{{Address: "a.b", Action: plan.ActionUpdate}}},
			[]string{"⚠️ **Drift** in `infra`: 2 resources changed outside Terraform; 1 planned change not applied.", "Issue: https://github.com/o/r/issues/3 (updated)."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := driftSummary(tt.s, "", commentMeta(tt.rep), tt.rep)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
