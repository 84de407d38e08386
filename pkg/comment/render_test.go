package comment

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// TestDegradeOrder sweeps budgets and checks the order of degradation: the
// plan text is trimmed before the table is compressed, and the delete and
// replace rows are capped only once the plan text is down to its stub. At
// every budget it checks what the level must still show: the headline, the
// warning and its list of deletes and replaces (ten of them down to the
// counts level, five at it), and, in the last-resort render of the smallest
// budgets, the headline before anything else.
func TestDegradeOrder(t *testing.T) {
	s, text := huge(400, 300<<10)
	m := testMeta("4be1c0d7a1b2c3d4")
	const marker = "<!-- lockstep:plan dir=infra env=production -->"
	// huge(400, ...) plans 8 deletes and 4 replaces; these are its first.
	const (
		headline     = "**232 to add, 120 to change, 12 to destroy** (4 replacements counted in both)"
		caution      = "> [!CAUTION]\n> **This plan destroys 8 resources and replaces 4 (destroyed and created again).**"
		firstDelete  = "> - 🗑️ `module.site[0].aws_s3_object.this[\"key-00000\"]` — key no longer in for_each\n"
		firstReplace = "> - 🔁 `module.site[1].aws_s3_object.this[\"key-00001\"]` — `engine_version` forces replacement\n"
		// The list of ten (six deletes, four replaces) and of five (three
		// deletes, two replaces) end with what they leave out.
		restOfTen  = "> - … and 2 more deletes\n"
		restOfFive = "> - … and 5 more deletes and 2 more replaces\n"
	)
	seen := map[string]bool{}
	for budget := 60000; budget >= 250; budget -= 250 {
		body := Render(s, text, m, Options{MaxRunes: budget, Marker: true})
		checkBody(t, body, budget, utf8.RuneCountInString, marker)

		fullPlan := strings.Contains(body, "Full plan · ") && !strings.Contains(body, " shown</summary>")
		trimmed := strings.Contains(body, "lines cut here")
		planStub := strings.Contains(body, "📄 The full plan")
		grouped := strings.Contains(body, " × `")
		capped := strings.Contains(body, "more deletes and replaces")
		counted := strings.Contains(body, "| ➕ create | ") && strings.Contains(body, " resources | |\n") && !grouped
		table := strings.Contains(body, "| action | resource | what changes |")
		// huge's 300 KiB of plan text never fits whole, so its values (the
		// first thing to fold; see TestValuesFoldFirst) never show.
		assert.NotContains(t, body, "`tags_all`: `\"a\"` → `\"b\"`", "budget %d", budget)
		deletes, replaces := strings.Count(body, "> - 🗑️ "), strings.Count(body, "> - 🔁 ")

		if grouped || capped || counted {
			assert.False(t, fullPlan, "budget %d: table compressed while the plan text is whole", budget)
		}
		if capped || counted {
			assert.False(t, trimmed, "budget %d: delete rows capped while plan lines are shown", budget)
			assert.True(t, planStub || !strings.Contains(body, "```diff"), "budget %d: plan text shown while rows capped", budget)
		}

		// Down to 300 runes the headline is whole, first after the heading;
		// down to 750 the warning's first lines are there too.
		if budget >= 300 {
			require.Contains(t, body, "### Terraform plan · `infra` → production\n\n"+headline, "budget %d", budget)
		}
		if budget >= 750 {
			require.Contains(t, body, caution, "budget %d", budget)
		}

		switch {
		case !table:
			// The last resort: headline, warning without its list, footer.
			seen["last resort"] = true
			assert.Less(t, budget, 1250, "budget %d: the table is gone while a level with it fits", budget)
			assert.Zero(t, deletes+replaces, "budget %d: a list in the last resort", budget)
		case counted:
			if budget >= 2000 {
				// The counts level keeps five deletes and replaces.
				seen["counts"] = true
				assert.Equal(t, []int{3, 2}, []int{deletes, replaces}, "budget %d: the list at the counts level", budget)
				assert.Contains(t, body, restOfFive, "budget %d", budget)
			} else {
				// Below, only the warning's first line is left.
				seen["counts without list"] = true
				assert.Zero(t, deletes+replaces, "budget %d", budget)
			}
			assert.Contains(t, body, "| 🗑️ delete | 8 resources | |\n| 🔁 replace | 4 resources | |\n", "budget %d", budget)
		default:
			// Every level above counts lists ten.
			assert.Equal(t, []int{6, 4}, []int{deletes, replaces}, "budget %d: the list above the counts level", budget)
			assert.Contains(t, body, restOfTen, "budget %d", budget)
			switch {
			case capped:
				seen["capped"] = true
			case grouped:
				seen["grouped"] = true
				assert.Equal(t, 12, strings.Count(body, "| 🗑️ delete | `")+strings.Count(body, "| 🔁 replace | `"),
					"budget %d: every delete and replace row while grouped", budget)
			case trimmed:
				seen["trimmed"] = true
			}
		}
		if deletes+replaces > 0 {
			assert.Contains(t, body, firstDelete, "budget %d", budget)
			assert.Contains(t, body, firstReplace, "budget %d", budget)
		}
	}
	assert.Equal(t, map[string]bool{
		"trimmed": true, "grouped": true, "capped": true, "counts": true,
		"counts without list": true, "last resort": true,
	}, seen, "the sweep should go through every level")
}

func TestRenderEdgeCases(t *testing.T) {
	medium, text, fp := realPlan(t, "medium")
	tests := []struct {
		name   string
		s      *plan.Summary
		text   string
		m      Meta
		o      Options
		budget int
		want   []string
	}{
		{name: "nil summary", s: nil, o: Options{Marker: true}, budget: commentBudget,
			want: []string{"**No changes.**", "### Terraform plan · `.`"}},
		{name: "zero meta", s: medium, text: text, budget: commentBudget,
			want: []string{"**5 to add, 1 to change, 3 to destroy**"}},
		{name: "tiny budget", s: medium, text: text, m: testMeta(fp), o: Options{MaxRunes: 300, Marker: true}, budget: 300,
			want: []string{"### Terraform plan · `infra` → production\n\n**5 to add, 1 to change, 3 to destroy**"}},
		{name: "absurd budget", s: medium, text: text, m: testMeta(fp), o: Options{MaxRunes: 10, Marker: true}, budget: 10},
		{name: "no plan text", s: medium, m: testMeta(fp), budget: commentBudget,
			want: []string{"| 🗑️ delete |"}},
		{name: "whitespace plan text", s: medium, text: "\n \n\t\n", m: testMeta(fp), budget: commentBudget},
		{name: "outputs only", s: &plan.Summary{Outputs: []plan.OutputChange{{Name: "o", Action: plan.ActionCreate, Before: plan.ValueAbsent, After: `"v"`}}},
			budget: commentBudget, want: []string{"**No resource changes.** 1 output changes; applying saves the new value to the state"}},
		{name: "drift only", s: &plan.Summary{Drift: []plan.Change{{Address: "a.b", Action: plan.ActionUpdate}}},
			budget: commentBudget, want: []string{"**No changes.** Your infrastructure matches the configuration · 1 resource changed outside Terraform"}},
		{name: "move only keeps terraform's zero counts", s: &plan.Summary{Move: 1, Changes: []plan.Change{{Address: "a.b", Action: plan.ActionMove, PreviousAddress: "a.c"}}},
			budget: commentBudget, want: []string{"**0 to add, 0 to change, 0 to destroy** · 1 moved", "moved from `a.c`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := Render(tt.s, tt.text, tt.m, tt.o)
			marker := ""
			if tt.o.Marker && tt.budget >= 100 {
				marker = Marker(tt.m.Directory, tt.m.Environment)
			}
			if tt.budget >= 100 {
				checkBody(t, body, tt.budget, utf8.RuneCountInString, marker)
			}
			assert.LessOrEqual(t, utf8.RuneCountInString(body), tt.budget)
			for _, w := range tt.want {
				assert.Contains(t, body, w)
			}
			sum := RenderSummary(tt.s, tt.text, tt.m)
			checkBody(t, sum, summaryBudget, func(s string) int { return len(s) }, "")
		})
	}
}

func TestSensitiveOutputNeverShowsValue(t *testing.T) {
	s := &plan.Summary{
		Outputs: []plan.OutputChange{{Name: "pw", Action: plan.ActionUpdate, Sensitive: true, Before: `"old-pw"`, After: `"new-pw"`}},
	}
	body := Render(s, "", Meta{}, Options{})
	assert.NotContains(t, body, "old-pw")
	assert.NotContains(t, body, "new-pw")
	assert.Contains(t, body, "| ✏️ changed | `pw` | *(sensitive)* | *(sensitive)* |")
}

// TestRedactsValuesNotNames: a secret is replaced in values (a value that
// holds one is hidden whole; the plan text has it replaced), never in an
// address, even when the address holds the secret's text.
func TestRedactsValuesNotNames(t *testing.T) {
	s := &plan.Summary{
		Add:     1,
		Changes: []plan.Change{{Address: `x.y["hunter2-key"]`, Action: plan.ActionCreate, Type: "x", Name: "y"}},
		Outputs: []plan.OutputChange{{Name: "o", Action: plan.ActionCreate, Before: plan.ValueAbsent, After: `"pre hunter2-key post"`}},
		Secrets: []string{"hunter2-key"},
	}
	text := "  # x.y[\"hunter2-key\"] will be created\n  + resource \"x\" \"y\" {\n      + k = \"hunter2-key\"\n    }\n"
	for _, body := range []string{Render(s, text, Meta{}, Options{}), RenderSummary(s, text, Meta{})} {
		assert.Contains(t, body, "| ➕ create | `x.y[\"hunter2-key\"]` |")
		assert.Contains(t, body, "| ➕ new | `o` | — | *(sensitive)* |")
		assert.Contains(t, body, "  # x.y[\"hunter2-key\"] will be created\n+   resource \"x\" \"y\" {\n+       k = \"(sensitive value)\"\n")
		assert.NotContains(t, body, "pre hunter2-key")
		assert.NotContains(t, body, `"hunter2-key"\n`)
	}
}

// TestSensitiveValueEqualToAName is issue 19's case: a sensitive output
// whose value is "bar" beside null_resource.bar. The address, its header in
// the plan text and the attribute names stay; the values go.
func TestSensitiveValueEqualToAName(t *testing.T) {
	s := &plan.Summary{
		Add: 1,
		Changes: []plan.Change{{Address: "null_resource.bar", Type: "null_resource", Name: "bar", Mode: "managed",
			Action: plan.ActionCreate}},
		Outputs: []plan.OutputChange{{Name: "bar", Action: plan.ActionCreate, Sensitive: true, Before: plan.ValueAbsent, After: plan.ValueSensitive}},
		Secrets: []string{"bar"},
	}
	text := "Terraform will perform the following actions:\n\n" +
		"  # null_resource.bar will be created\n" +
		"  + resource \"null_resource\" \"bar\" {\n" +
		"      + id       = (known after apply)\n" +
		"      + triggers = {\n" +
		"          + \"k\" = \"bar\"\n" +
		"        }\n" +
		"    }\n"
	for _, body := range []string{Render(s, text, Meta{}, Options{}), RenderSummary(s, text, Meta{})} {
		assert.Contains(t, body, "| ➕ create | `null_resource.bar` |")
		assert.Contains(t, body, "\n  # null_resource.bar will be created\n")
		assert.Contains(t, body, "+   resource \"null_resource\" \"bar\" {\n")
		assert.Contains(t, body, "+           \"k\" = \"(sensitive value)\"\n")
		assert.Contains(t, body, "| ➕ new | `bar` | — | *(sensitive)* |")
		assert.NotContains(t, body, "null_resource.(sensitive value)")
		assert.NotContains(t, body, "= \"bar\"")
	}
}

func TestFooterAndHeadline(t *testing.T) {
	m := testMeta("4be1c0d7a1b2c3d4e5f6")
	m.Now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", -5*3600))
	body := Render(&plan.Summary{EngineVersion: "1.11.4"}, "", m, Options{})
	assert.Contains(t, body, "<sub>lockstep 0.1.0 · Terraform 1.11.4 · plan `sha256:9c1e5b0a7d3f…` · fingerprint `4be1c0d7a1b2c3d4` · updated 2026-01-02 08:04 UTC</sub>")
	assert.Contains(t, body, "commit `3f9a2c1` · [run 4211](https://github.com/octo-org/shop/actions/runs/4211)")
	m.EngineVersion = "1.12.0"
	assert.Contains(t, Render(&plan.Summary{EngineVersion: "1.11.4"}, "", m, Options{}), "Terraform 1.12.0")
}

// An OpenTofu plan says OpenTofu wherever a Terraform plan says Terraform:
// the headings, the drift text and the footer's version.
func TestEngineIsNamed(t *testing.T) {
	s := &plan.Summary{EngineVersion: "1.12.6", Drift: []plan.Change{
		{Address: "a.b", Action: plan.ActionUpdate, ChangedAttributes: []string{"x"}},
		{Address: "a.c", Action: plan.ActionDelete},
	}}
	m := testMeta("4be1c0d7a1b2c3d4e5f6")
	for _, tc := range []struct{ engine, want string }{{"", "Terraform"}, {"terraform", "Terraform"}, {"opentofu", "OpenTofu"}} {
		m.Engine = tc.engine
		other := map[string]string{"Terraform": "OpenTofu", "OpenTofu": "Terraform"}[tc.want]
		body := Render(s, "", m, Options{})
		assert.Contains(t, body, "### "+tc.want+" plan · ", tc.engine)
		assert.Contains(t, body, "2 resources changed outside "+tc.want+" (see below)", tc.engine)
		assert.Contains(t, body, "Drift: 2 resources changed outside "+tc.want+" since the last apply", tc.engine)
		assert.Contains(t, body, "deleted outside "+tc.want, tc.engine)
		assert.Contains(t, body, " · "+tc.want+" 1.12.6 · ", tc.engine)
		assert.NotContains(t, body, other, tc.engine)

		m.EngineVersion = "1.12.6"
		report := RenderApply(m, ApplyResult{}, "")
		assert.Contains(t, report, "### "+tc.want+" apply · ", tc.engine)
		assert.Contains(t, report, " · "+tc.want+" 1.12.6", tc.engine)
		assert.NotContains(t, report, other, tc.engine)
		m.EngineVersion = ""
	}
	// The engine name is text from the caller: it cannot break out of the
	// heading or the footer.
	m.Engine = "Open<b>Tofu</b>\n### x"
	body := Render(s, "", m, Options{})
	assert.NotContains(t, body, "<b>")
	assert.NotContains(t, body, "\n### x")
}

// A Pulumi plan is a preview, as Pulumi calls it.
func TestPulumiPlanIsAPreview(t *testing.T) {
	m := testMeta("4be1c0d7a1b2c3d4e5f6")
	m.Engine, m.EngineVersion = "pulumi", "3.274.1"
	body := Render(&plan.Summary{Add: 1, Changes: []plan.Change{{Address: "urn:pulumi:dev::shop::lockstep:index:Thing::a", Action: plan.ActionCreate}}}, "", m, Options{})
	assert.Contains(t, body, "### Pulumi preview · ")
	assert.Contains(t, body, " · Pulumi 3.274.1 · ")
	assert.NotContains(t, body, "Terraform")
}

// Behind the renderer, the masker's last pass (actions.Masker, which
// replaces every secret it knows with ***) keeps what Names lists: the
// address, the resource header, and an output and attribute named like the
// secret, while the value is gone.
func TestNamesSurviveTheMasker(t *testing.T) {
	s := &plan.Summary{
		Add: 1, Change: 1,
		Changes: []plan.Change{
			{Address: "null_resource.bar", Type: "null_resource", Name: "bar", Mode: "managed", Action: plan.ActionCreate},
			{Address: "x.y", Type: "x", Name: "y", Mode: "managed", Action: plan.ActionUpdate, ChangedAttributes: []string{"bar"},
				Attributes: []plan.AttributeChange{{Name: "bar", Kind: plan.KindValue, Before: `"a"`, After: `"bar"`}}},
		},
		Outputs: []plan.OutputChange{{Name: "bar", Action: plan.ActionCreate, Sensitive: true, Before: plan.ValueAbsent, After: plan.ValueSensitive}},
		Secrets: []string{"bar"},
	}
	text := "  # null_resource.bar will be created\n  + resource \"null_resource\" \"bar\" {\n      + triggers = { k = \"bar\" }\n    }\n"
	m := actions.NewMasker()
	m.Add(s.Secrets...)
	m.Keep(s.Secrets, Names(s))
	for _, body := range []string{Render(s, text, Meta{}, Options{}), RenderSummary(s, text, Meta{})} {
		got := m.RedactRendered(body)
		assert.Contains(t, got, "| ➕ create | `null_resource.bar` |")
		assert.Contains(t, got, "  # null_resource.bar will be created\n")
		assert.Contains(t, got, "+   resource \"null_resource\" \"bar\" {\n")
		assert.Contains(t, got, "| ✏️ update | `x.y` | `bar`: `\"a\"` → *(sensitive value)* |")
		assert.Contains(t, got, "| ➕ new | `bar` | — | *(sensitive)* |")
		assert.NotContains(t, got, "***")
		assert.NotContains(t, got, `= { k = "bar" }`)
	}
}

// A replace the engine says only may happen (CloudFormation's Conditional)
// says so, and is still listed and warned about as a replace.
func TestMayReplaceSaysSo(t *testing.T) {
	s := &plan.Summary{Add: 1, Destroy: 1, Replace: 1, Changes: []plan.Change{{
		Address: "Instance", Type: "AWS::EC2::Instance", Name: "Instance", Mode: "managed", Action: plan.ActionReplace,
		ActionReason: plan.ReasonMayReplace, ChangedAttributes: []string{"InstanceType"}, ReplacePaths: []string{"InstanceType"},
	}}}
	body := Render(s, "", Meta{Engine: "cloudformation"}, Options{})
	assert.Contains(t, body, "`InstanceType` may force replacement (decided while applying; counted as a replace)")
	assert.Contains(t, body, "This plan replaces 1 resource")
	assert.Contains(t, PlainSummary(s, 10), "InstanceType may force replacement")
}
