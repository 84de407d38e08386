package comment

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

func valuesSummary() *plan.Summary {
	return &plan.Summary{
		Change: 1, Add: 1, Destroy: 1, Replace: 1,
		Changes: []plan.Change{
			{Address: "aws_db_instance.main", Type: "aws_db_instance", Action: plan.ActionReplace, ReplacePaths: []string{"engine_version"},
				ChangedAttributes: []string{"arn", "engine_version"},
				Attributes: []plan.AttributeChange{
					{Name: "arn", Kind: plan.KindValue, Before: `"arn:aws:rds:db"`, After: plan.ValueUnknown},
					{Name: "engine_version", Kind: plan.KindValue, Before: `"15.4"`, After: `"16.2"`},
				}},
			{Address: "kubernetes_deployment.web", Type: "kubernetes_deployment", Action: plan.ActionUpdate,
				ChangedAttributes: []string{"labels", "password", "ports", "replicas", "token", "weird"},
				Attributes: []plan.AttributeChange{
					{Name: "labels", Kind: plan.KindMap, Changed: []string{"env"}, Added: []string{"team|a"}, Removed: []string{"old"}, KeysLeft: 2},
					{Name: "password", Kind: plan.KindSensitive},
					{Name: "ports", Kind: plan.KindList, Elements: 2, Length: 3},
					{Name: "replicas", Kind: plan.KindValue, Before: "3", After: "4"},
					{Name: "token", Kind: plan.KindValue, Before: `"x-tok-hunter2-y"`, After: "null"},
					{Name: "weird", Kind: plan.KindValue, Before: `"a"`,
						After: "\"</details>| @a [x](https://e.example) `c` <!-- lockstep:plan -->\""},
				}},
		},
		Secrets: []string{"tok-hunter2"},
	}
}

// TestValuesInTable: updates and replaces show how each changed attribute
// changes, in code spans that GitHub renders as text; a sensitive value, a
// value holding a secret and an unknown one show placeholders.
func TestValuesInTable(t *testing.T) {
	s := valuesSummary()
	for _, body := range []string{Render(s, "", Meta{}, Options{}), RenderSummary(s, "", Meta{})} {
		assert.Contains(t, body, "| 🔁 replace | `aws_db_instance.main` | `engine_version` forces replacement"+
			"<br>`engine_version`: `\"15.4\"` → `\"16.2\"`"+
			"<br>`arn`: `\"arn:aws:rds:db\"` → *(known after apply)* |\n")
		assert.Contains(t, body, "| ✏️ update | `kubernetes_deployment.web` | "+
			"`labels`: changed `env`; added `team\\|a`; removed `old`; and 2 more keys"+
			"<br>`password`: *(sensitive value)*"+
			"<br>`ports`: 2 elements changed (3 now)"+
			"<br>`replicas`: `3` → `4`"+
			"<br>`token`: *(sensitive value)* → `null`"+
			"<br>`weird`: `\"a\"` → ``\"</details>\\| @a [x](https://e.example) `c` <!-- lockstep\u200d:plan -->\"`` |\n")
		assert.NotContains(t, body, "hunter2")
		checkBody(t, body, 1<<20, utf8.RuneCountInString, "")
	}
	// The warning stays short: no values in it.
	assert.Contains(t, Render(s, "", Meta{}, Options{}), "> - 🔁 `aws_db_instance.main` — `engine_version` forces replacement\n")
}

// TestValuesFoldFirst: when the comment does not fit, the values go before a
// single line of the plan text is cut.
func TestValuesFoldFirst(t *testing.T) {
	s := valuesSummary()
	text := strings.Repeat("  # a line of the plan that takes room\n", 40)
	big := Render(s, text, Meta{}, Options{})
	require.Contains(t, big, "`replicas`: `3` → `4`")
	require.NotContains(t, big, "lines cut here")
	withValues := utf8.RuneCountInString(big)
	sawFolded := false
	for budget := withValues; budget > withValues-1500; budget -= 10 {
		body := Render(s, text, Meta{}, Options{MaxRunes: budget})
		checkBody(t, body, budget, utf8.RuneCountInString, "")
		values := strings.Contains(body, "`replicas`: `3` → `4`")
		cut := strings.Contains(body, "lines cut here")
		if cut {
			assert.False(t, values, "budget %d: plan lines cut while values are shown", budget)
		}
		if !values && !cut {
			sawFolded = true
			assert.Contains(t, body, "| ✏️ update | `kubernetes_deployment.web` | `labels`, `password`, `ports`, `replicas`, `token`, `weird` |")
		}
	}
	assert.True(t, sawFolded, "no budget showed the whole plan without the values")
}
