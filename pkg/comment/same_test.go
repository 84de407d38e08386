package comment

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

func TestSameContentIgnoresOnlyTheFooter(t *testing.T) {
	s := &plan.Summary{Add: 1, Changes: []plan.Change{{Address: "terraform_data.a", Action: plan.Action("create")}}}
	m := Meta{Directory: "infra", PlanSHA256: "aaaa", Now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	first := Render(s, "+ resource", m, Options{Marker: true})
	m.PlanSHA256, m.Now = "bbbb", m.Now.Add(time.Hour)
	rerun := Render(s, "+ resource", m, Options{Marker: true})
	assert.NotEqual(t, first, rerun)
	assert.True(t, SameContent(first, rerun))
	assert.True(t, SameContent(first, first+"\r\n"))

	s.Add = 2
	changed := Render(s, "+ resource", m, Options{Marker: true})
	assert.False(t, SameContent(first, changed))
	assert.False(t, SameContent("a\n<sub>x</sub>", "b\n<sub>x</sub>"))
}
