package comment

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// update rewrites the golden files: go test ./pkg/comment -update
var update = flag.Bool("update", false, "rewrite golden files")

// realPlan summarises one of pkg/plan's real Terraform plans and returns it
// with Terraform's human output and the fingerprint.
func realPlan(t testing.TB, name string) (*plan.Summary, string, string) {
	t.Helper()
	dir := filepath.Join("..", "plan", "testdata")
	b, err := os.ReadFile(filepath.Join(dir, name+".plan.json"))
	require.NoError(t, err)
	var p tfjson.Plan
	require.NoError(t, json.Unmarshal(b, &p))
	s, err := plan.Summarize(&p)
	require.NoError(t, err)
	text, err := os.ReadFile(filepath.Join(dir, name+".plan.txt"))
	require.NoError(t, err)
	return s, string(text), plan.Fingerprint(&p)
}

func testMeta(fingerprint string) Meta {
	return Meta{
		Directory:       "infra",
		Environment:     "production",
		Commit:          "3f9a2c1d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
		RunURL:          "https://github.com/octo-org/shop/actions/runs/4211",
		LockstepVersion: "0.1.0",
		PlanSHA256:      "9c1e5b0a7d3f4e2b1a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a",
		Fingerprint:     fingerprint,
		EngineVersion:   "",
		Next: "merging this pull request plans again on `main`; that plan is applied to **production** only after " +
			"one of the environment's required reviewers approves it on the run page, and only if it is the same change " +
			"as this one (fingerprint `" + prefix(fingerprint, 16) + "`).",
		Now: time.Date(2026, 11, 25, 18, 40, 0, 0, time.UTC),
	}
}

// checkGolden compares got with testdata/name; -update rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./pkg/comment -update")
	if string(want) != got {
		t.Errorf("%s differs; run go test ./pkg/comment -update and review the diff\n%s", name, lineDiff(string(want), got))
	}
}

// lineDiff shows the first differing line of want and got with some context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var b strings.Builder
	for j := max(0, i-2); j < i+3; j++ {
		if j < len(w) {
			fmt.Fprintf(&b, "-%4d %s\n", j+1, prefix(w[j], 200))
		}
		if j < len(g) {
			fmt.Fprintf(&b, "+%4d %s\n", j+1, prefix(g[j], 200))
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name    string
		summary func(t *testing.T) (*plan.Summary, string, Meta)
		budget  int  // comment budget; 0 is the default
		noSum   bool // no job summary golden (too big to review; invariants still checked)
		check   func(t *testing.T, comment, summary string)
	}{
		{name: "small", summary: fromReal("create")},
		{name: "medium", summary: fromReal("medium")},
		{name: "no-change", summary: fromReal("no-op"), check: func(t *testing.T, c, _ string) {
			assert.Contains(t, c, "**No changes.** Your infrastructure matches the configuration")
			assert.NotContains(t, c, "[!WARNING]")
			assert.NotContains(t, c, "[!CAUTION]")
			assert.NotContains(t, c, "| action |")
		}},
		{name: "delete-heavy", summary: fromReal("delete-heavy"), check: func(t *testing.T, c, _ string) {
			assert.Contains(t, c, "> [!CAUTION]")
			assert.Contains(t, c, "> - 🔁 `terraform_data.db` — requested with `-replace`\n", "the replace is listed even though deletes fill the list")
			assert.Contains(t, c, "> - … and 1 more delete\n", "12 dangerous changes, 10 listed")
		}},
		{name: "replace", summary: fromReal("replace-cbd"), check: func(t *testing.T, c, _ string) {
			assert.Contains(t, c, "> [!WARNING]")
			assert.Contains(t, c, "the new one is created first")
		}},
		{name: "destroy-refused", summary: withDestroys(fromReal("medium"), &DestroyVerdict{
			Refused: []string{"terraform_data.legacy_queue", "terraform_data.cache", "terraform_data.db"},
			Label:   "lockstep:allow-destroy", PolicyFile: ".lockstep.yml",
		}), check: func(t *testing.T, c, s string) {
			for _, body := range []string{c, s} {
				assert.Contains(t, body, "> ⛔ **Apply to production will refuse this plan** (`destroy-not-allowed`): the policy does not allow them. To allow it:\n")
				assert.Contains(t, body, "> - someone with write permission adds the label `lockstep:allow-destroy` to the pull request after lockstep's plan comment on it last changed")
				assert.Contains(t, body, "> - list the addresses under `allow-destroy` for the environment in `.lockstep.yml`, e.g. `allow-destroy: [aws_db_instance.main, module.db.*]`.\n")
			}
		}},
		{name: "destroy-partly-allowed", summary: withDestroys(fromReal("medium"), &DestroyVerdict{
			Refused: []string{"terraform_data.db"},
			Label:   "lockstep:allow-destroy", PolicyFile: ".lockstep.yml",
		}), check: func(t *testing.T, c, _ string) {
			assert.Contains(t, c, "the policy does not allow 1 of them (`terraform_data.db`). To allow it:")
		}},
		{name: "destroy-allowed", summary: withDestroys(fromReal("replace-cbd"), &DestroyVerdict{AllowedBy: "allow-destroy in .lockstep.yml"}), check: func(t *testing.T, c, s string) {
			assert.Contains(t, c, "> ✅ **Apply to production allows these deletes and replaces:** allow-destroy in .lockstep.yml allows them.\n")
			assert.NotContains(t, c, "will refuse")
			assert.NotContains(t, s, "will refuse")
		}},
		{name: "drift", summary: fromReal("drift"), check: func(t *testing.T, c, _ string) {
			assert.Contains(t, c, "<details><summary>Drift: 2 resources changed outside Terraform since the last apply</summary>")
		}},
		{name: "outputs", summary: fromReal("outputs")},
		{name: "sensitive", summary: fromReal("sensitive"), check: func(t *testing.T, c, s string) {
			// Terraform's own text shows the old values of terraform_data's
			// output in clear; the redaction must catch them.
			for _, secret := range []string{"old-password-123", "tok-old-abc", "in-a-list-old", "correct-horse-battery"} {
				assert.NotContains(t, c, secret)
				assert.NotContains(t, s, secret)
			}
			assert.Contains(t, c, "(sensitive value)")
		}},
		{name: "import-move-forget", summary: func(t *testing.T) (*plan.Summary, string, Meta) {
			var all plan.Summary
			var text strings.Builder
			for _, n := range []string{"import", "move", "forget", "read"} {
				s, txt, _ := realPlan(t, n)
				all.Changes = append(all.Changes, s.Changes...)
				all.Add, all.Change, all.Destroy = all.Add+s.Add, all.Change+s.Change, all.Destroy+s.Destroy
				all.Import, all.Move, all.Forget, all.Read = all.Import+s.Import, all.Move+s.Move, all.Forget+s.Forget, all.Read+s.Read
				text.WriteString(txt)
			}
			m := testMeta("")
			m.Environment = ""
			m.Next = ""
			return &all, text.String(), m
		}},
		{name: "keys", summary: fromReal("keys")},
		{name: "hostile", summary: func(t *testing.T) (*plan.Summary, string, Meta) {
			s, text, m := hostile()
			return s, text, m
		}},
		{name: "tight", budget: 3000, summary: fromReal("medium"), check: func(t *testing.T, c, _ string) {
			assert.Contains(t, c, "lines cut here", "a tight budget trims the plan text first")
			assert.Contains(t, c, "`terraform_data.legacy_queue`", "and keeps delete rows")
		}},
		{name: "huge-5000", noSum: true, summary: func(t *testing.T) (*plan.Summary, string, Meta) {
			s, text := huge(5000, 1<<20)
			return s, text, testMeta("4be1c0d7a1b2c3d4e5f60718293a4b5c")
		}, check: func(t *testing.T, c, s string) {
			assert.Contains(t, c, "lines cut here")
			assert.Contains(t, s, "lines cut here")
		}},
		{name: "huge-50000", noSum: true, summary: func(t *testing.T) (*plan.Summary, string, Meta) {
			s, text := huge(50000, 1<<20)
			return s, text, testMeta("4be1c0d7a1b2c3d4e5f60718293a4b5c")
		}, check: func(t *testing.T, c, _ string) {
			assert.Contains(t, c, " × `aws_s3_object`", "non-dangerous rows are grouped")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, text, m := tt.summary(t)
			budget := tt.budget
			if budget == 0 {
				budget = commentBudget
			}
			c := Render(s, text, m, Options{Marker: true, MaxRunes: tt.budget})
			checkBody(t, c, budget, utf8.RuneCountInString, Marker(m.Directory, m.Environment))
			checkGolden(t, tt.name+".golden.md", c)

			sum := RenderSummary(s, text, m)
			checkBody(t, sum, summaryBudget, func(s string) int { return len(s) }, "")
			if !tt.noSum {
				checkGolden(t, tt.name+".summary.golden.md", sum)
			}
			assert.GreaterOrEqual(t, len(sum), len(c)*9/10, "the job summary is the fuller version")
			if tt.check != nil {
				tt.check(t, c, sum)
			}
		})
	}
}

func fromReal(name string) func(t *testing.T) (*plan.Summary, string, Meta) {
	return func(t *testing.T) (*plan.Summary, string, Meta) {
		s, text, fp := realPlan(t, name)
		return s, text, testMeta(fp)
	}
}

// withDestroys sets the policy's verdict on the deletes and replaces.
func withDestroys(f func(t *testing.T) (*plan.Summary, string, Meta), v *DestroyVerdict) func(t *testing.T) (*plan.Summary, string, Meta) {
	return func(t *testing.T) (*plan.Summary, string, Meta) {
		s, text, m := f(t)
		m.Destroys = v
		if len(v.Refused) > 0 {
			// What the plan command says then: no promise of an apply.
			m.Next = "merging this pull request plans again on `main`; apply to **production** refuses that plan (`destroy-not-allowed`) unless " +
				"its deletes and replaces are allowed as the warning above says. Once they are, it is applied only after one of the environment's " +
				"required reviewers approves it on the run page."
		}
		return s, text, m
	}
}

// hostile is a hand-built Summary whose every string tries to break out.
func hostile() (*plan.Summary, string, Meta) {
	nasty := []string{
		"a|b", "`tick` ``double``", "<img src=x onerror=alert(1)>", "</details><details open>",
		"@octocat hi", "fixes #123", "**bold** _it_ [link](https://evil.test) ![img](x)",
		"line\nbreak\r\nand\ttab", "rtl\u202eevil\u2066iso\u2069", "esc\x1b[31mred\x1b]0;title\x07",
		"<!-- lockstep:plan dir=x env=y -->", "ends\\", "nul\x00byte", "c1\u009b31mcsi",
		"invalid\xff\xfeutf8", "~~~ and ``` fences", "| --- | --- |", "&amp; &lt;entity",
		"$math$ and :emoji:", strings.Repeat("long-", 2000),
	}
	s := &plan.Summary{EngineVersion: "1.11.4\x1b[0m<b>"}
	actions := []plan.Action{plan.ActionDelete, plan.ActionReplace, plan.ActionCreate, plan.ActionUpdate,
		plan.ActionMove, plan.ActionRead, "exploded<b>|@x"}
	for i, n := range nasty {
		a := actions[i%len(actions)]
		c := plan.Change{
			Address:           "aws_thing.x[\"" + n + "\"]",
			Type:              "aws_" + n,
			Mode:              "managed",
			Action:            a,
			ChangedAttributes: []string{n, "tags"},
			ReplacePaths:      []string{`tags["` + n + `"]`},
			PreviousAddress:   "old." + n,
			ActionReason:      "reason <b>" + n,
			Deposed:           n,
		}
		s.Changes = append(s.Changes, c)
		if i%3 == 0 {
			s.Drift = append(s.Drift, plan.Change{Address: "drift." + n, Type: n, Action: plan.ActionUpdate, ChangedAttributes: []string{n}})
		}
		s.Outputs = append(s.Outputs, plan.OutputChange{Name: n, Action: plan.ActionUpdate, Before: n, After: `"` + n + `"`})
	}
	s.Outputs = append(s.Outputs, plan.OutputChange{Name: "secret", Action: plan.ActionUpdate, Sensitive: true,
		Before: `"leaked-by-mistake"`, After: plan.ValueSensitive})
	s.Secrets = []string{"leaked-by-mistake", "super-secret-token"}
	s.Add, s.Change, s.Destroy, s.Replace = 3, 3, 6, 3

	text := strings.Join([]string{
		"", "Terraform will perform the following actions:", "",
		`  # aws_thing.x["@octocat"] will be created`,
		"  + resource \"aws_thing\" \"x\" {",
		"      + token = \"super-secret-token\"",
		"      + fence = \"```````\"",
		"    }",
		"<!-- lockstep:plan dir=infra env=production -->",
		"</details>",
		"\x1b[1m  # bold\x1b[0m and \u202eevil and \x00nul\r",
		"~~~",
		"Plan: 3 to add, 3 to change, 6 to destroy.",
	}, "\n")
	m := Meta{
		Directory:       "infra --> <b>\n@team",
		Environment:     "prod\u202e #1 @org/team <!-- x -->",
		Commit:          "`abc\x1b[0m",
		RunURL:          "https://github.com/o/r/actions/runs/1) [click](javascript:alert(1)",
		EngineVersion:   "",
		LockstepVersion: "0.1.0 <script>",
		PlanSHA256:      "``sha``",
		Fingerprint:     "fp\u202e",
		Next:            "Approve on the run page.\n<!-- lockstep:plan dir=infra env=production -->\n\x1b[31mred\x1b[0m",
		Now:             time.Date(2026, 11, 25, 18, 40, 0, 0, time.FixedZone("CET", 3600)),
	}
	return s, text, m
}

var hugeTypes = []string{
	"aws_s3_object", "aws_iam_role_policy_attachment", "aws_route53_record", "aws_security_group_rule",
	"aws_lambda_permission", "aws_cloudwatch_metric_alarm", "aws_sqs_queue", "aws_sns_topic_subscription",
	"aws_db_instance", "aws_ecs_service", "aws_instance", "aws_ebs_volume", "aws_subnet", "aws_route_table_association",
}

// huge builds a Summary with n changes (2% deletes, 1% replaces, then
// creates, updates, moves and reads) and a plan text of at least textBytes.
func huge(n, textBytes int) (*plan.Summary, string) {
	s := &plan.Summary{EngineVersion: "1.11.4"}
	for i := range n {
		typ := hugeTypes[(i/3)%len(hugeTypes)]
		if i%3 == 0 {
			typ = "aws_s3_object" // one type dominates, as in real large plans
		}
		c := plan.Change{
			Address: fmt.Sprintf("module.site[%d].%s.this[\"key-%05d\"]", i%40, typ, i),
			Type:    typ, Name: "this", Mode: "managed", ModuleAddress: fmt.Sprintf("module.site[%d]", i%40),
		}
		switch {
		case i%50 == 0:
			c.Action = plan.ActionDelete
			c.ActionReason = "delete_because_each_key"
			s.Destroy++
		case i%100 == 1:
			c.Action = plan.ActionReplace
			c.ReplacePaths = []string{"engine_version"}
			c.ChangedAttributes = []string{"engine_version", "id"}
			s.Replace++
			s.Add++
			s.Destroy++
		case i%10 < 6:
			c.Action = plan.ActionCreate
			s.Add++
		case i%10 < 9:
			c.Action = plan.ActionUpdate
			c.ChangedAttributes = []string{"tags", "tags_all"}
			c.Attributes = []plan.AttributeChange{
				{Name: "tags", Kind: plan.KindMap, Changed: []string{"env"}},
				{Name: "tags_all", Kind: plan.KindValue, Before: `"a"`, After: `"b"`},
			}
			s.Change++
		case i%20 == 9:
			c.Action = plan.ActionMove
			c.PreviousAddress = strings.Replace(c.Address, "this", "old", 1)
			s.Move++
		default:
			c.Action = plan.ActionRead
			c.Mode = "data"
			s.Read++
		}
		s.Changes = append(s.Changes, c)
	}
	// Summarize's order.
	sortLikeSummarize(s.Changes)

	var b strings.Builder
	b.WriteString("\nTerraform will perform the following actions:\n\n")
	for i := 0; b.Len() < textBytes; i++ {
		c := s.Changes[i%len(s.Changes)]
		fmt.Fprintf(&b, "  # %s will be created\n  + resource %q %q {\n      + id    = (known after apply)\n      + key   = \"key-%05d\"\n      + tags  = {\n          + \"team\" = \"web\"\n        }\n    }\n\n", c.Address, c.Type, c.Name, i)
	}
	fmt.Fprintf(&b, "Plan: %d to add, %d to change, %d to destroy.\n", s.Add, s.Change, s.Destroy)
	return s, b.String()
}

// sortLikeSummarize orders changes as plan.Summarize does, by action in the
// order written out here (not plan.ActionOrder, so that a change to that
// order shows up in the golden files and the order tests).
func sortLikeSummarize(cs []plan.Change) {
	order := []plan.Action{plan.ActionDelete, plan.ActionReplace, plan.ActionCreate, plan.ActionUpdate,
		plan.ActionImport, plan.ActionMove, plan.ActionForget, plan.ActionRead}
	byAction := map[plan.Action][]plan.Change{}
	for _, c := range cs {
		byAction[c.Action] = append(byAction[c.Action], c)
	}
	cs = cs[:0]
	for _, a := range order {
		cs = append(cs, byAction[a]...)
	}
}

// checkBody asserts what must hold for any rendered body: the budget, the
// marker exactly once on line 1 (or never), balanced <details> outside code
// fences, no raw control, ANSI or bidi characters, and no @mention or #ref
// outside code that GitHub would link.
func checkBody(t testing.TB, body string, budget int, measure func(string) int, marker string) {
	t.Helper()
	if n := measure(body); n > budget {
		t.Errorf("body is %d over a budget of %d", n, budget)
	}
	// The renderer's own hidden fingerprint line is the one other place
	// the marker prefix may appear, at most once.
	fpLines := strings.Count(body, fingerprintPrefix)
	if fpLines > 1 {
		t.Errorf("%d fingerprint lines, want at most 1", fpLines)
	}
	if marker != "" {
		if !HasMarker(body, marker) {
			t.Errorf("first line is not the marker: %q", prefix(body, 120))
		}
		if c := strings.Count(body, markerPrefix) - fpLines; c != 1 {
			t.Errorf("marker prefix appears %d times", c)
		}
	} else if strings.Count(body, markerPrefix) != fpLines {
		t.Errorf("marker prefix appears in a body without a marker")
	}
	if !utf8.ValidString(body) {
		t.Errorf("body is not valid UTF-8")
	}
	for _, r := range body {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || isBidi(r) || r == 0x2028 || r == 0x2029 {
			t.Errorf("raw control or bidi character %U in body", r)
			break
		}
	}
	open, closed := 0, 0
	fence := ""
	for i, line := range strings.Split(body, "\n") {
		if fence != "" {
			if strings.HasPrefix(line, fence) && strings.Trim(line, "`") == "" {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			fence = line[:longestRun(line, '`')]
			if !strings.HasPrefix(line, fence) {
				fence = "```"
			}
			continue
		}
		if i > 0 && strings.HasPrefix(line, markerPrefix) && !(strings.HasPrefix(line, fingerprintPrefix) && line == fingerprintLine(line[len(fingerprintPrefix):len(line)-len(fingerprintSuffix)])) {
			t.Errorf("line %d starts with the marker prefix", i+1)
		}
		if strings.HasPrefix(line, "<details>") {
			open++
		}
		if strings.HasPrefix(line, "</details>") {
			closed++
		}
		if msg := linkable(stripLinkTargets(stripCodeSpans(line))); msg != "" {
			t.Errorf("line %d: %s: %q", i+1, msg, prefix(line, 200))
		}
	}
	if fence != "" {
		t.Errorf("unclosed code fence %q", fence)
	}
	if open != closed {
		t.Errorf("<details> opened %d times, closed %d times", open, closed)
	}
}

// stripCodeSpans removes inline code spans, following CommonMark: a backtick
// run is closed by the next run of the same length, and a backslash-escaped
// backtick opens nothing.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", line[i+1]) >= 0 {
			// A backslash escape: the next character is literal text.
			b.WriteString(line[i : i+2])
			i += 2
			continue
		}
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		closeAt := -1
		for j := i + n; j < len(line); {
			if line[j] != '`' {
				j++
				continue
			}
			m := 0
			for j+m < len(line) && line[j+m] == '`' {
				m++
			}
			if m == n {
				closeAt = j + m
				break
			}
			j += m
		}
		if closeAt < 0 {
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		i = closeAt
	}
	return b.String()
}

// stripLinkTargets removes Markdown link destinations, "](...)": GitHub
// links references and mentions only in text. The renderer percent-encodes
// ")" in URLs, so the first ")" ends the destination.
func stripLinkTargets(line string) string {
	var b strings.Builder
	for {
		i := strings.Index(line, "](")
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line[:i+1])
		j := strings.IndexByte(line[i:], ')')
		if j < 0 {
			return b.String()
		}
		line = line[i+j+1:]
	}
}

// linkable reports an @mention or #ref that GitHub would link.
func linkable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '@' && s[i] != '#' {
			continue
		}
		next := s[i+1:]
		if s[i] == '#' && strings.HasPrefix(next, "#") {
			continue
		}
		if next == "" {
			continue
		}
		c := next[0]
		if s[i] == '@' && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "unescaped @mention"
		}
		if s[i] == '#' && c >= '0' && c <= '9' {
			return "unescaped #reference"
		}
	}
	return ""
}

// The budgets the tests hold the renderer to, written out rather than taken
// from the package's constants, so that raising a default over GitHub's
// limits fails the tests instead of moving them along: 60,000 runes of the
// 65,536 a comment may have, and 1 MiB less 8 KiB of the job summary.
const (
	commentBudget = 60000
	summaryBudget = 1<<20 - 8<<10
)
