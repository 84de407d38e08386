package comment

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// A plan that only invokes actions, or only defers changes, or only
// refreshes, never says "No changes": each says what it does, in the
// headline and a section, as Terraform does.
func TestPlansThatAreNotNoChanges(t *testing.T) {
	actions := &plan.Summary{Actions: []plan.ActionInvocation{
		{Address: "action.bufo_print.success"},
		{Address: "action.notify.done", Trigger: "aws_instance.web", Event: "after_create"},
	}}
	deferred := &plan.Summary{Deferred: []plan.Change{
		{Address: `aws_instance.later["a"]`, Action: plan.ActionCreate, DeferredReason: "instance_count_unknown"},
	}}
	refresh := &plan.Summary{RefreshOnly: true, Drift: []plan.Change{
		{Address: "aws_s3_bucket.logs", Action: plan.ActionUpdate, ChangedAttributes: []string{"tags"}},
	}}
	tests := []struct {
		name string
		s    *plan.Summary
		want []string
	}{
		{"actions", actions, []string{
			"**0 to add, 0 to change, 0 to destroy** · 2 actions to invoke",
			"**Actions:** 2 actions to invoke on apply\n\n| | action | when |\n| --- | --- | --- |\n" +
				"| ⚡ | `action.bufo_print.success` | invoked by this apply |\n" +
				"| ⚡ | `action.notify.done` | after create of `aws_instance.web` |\n",
		}},
		{"deferred", deferred, []string{
			"**No current changes.** This plan requires another plan to be applied first; 1 change is deferred (see below)",
			"<details><summary>Deferred: 1 change deferred: this is a partial plan, they can only be planned in the next plan and apply</summary>",
			"| ➕ create | `aws_instance.later[\"a\"]` | its count or for_each is not known yet |",
		}},
		{"refresh-only", refresh, []string{
			"**Refresh-only plan:** 1 resource changed outside Terraform; applying records the new values in the state without changing any real resource",
			"| ✏️ changed | `aws_s3_bucket.logs` | `tags` |",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, body := range []string{Render(tt.s, "", Meta{}, Options{}), RenderSummary(tt.s, "", Meta{})} {
				assert.NotContains(t, body, "No changes")
				for _, w := range tt.want {
					assert.Contains(t, body, w)
				}
			}
		})
	}
	// At a tiny budget the sections fold to a line each.
	body := Render(actions, "", Meta{}, Options{MaxRunes: 200})
	assert.Contains(t, body, "**Actions:** 2 actions to invoke.")
}
