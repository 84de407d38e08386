package plan

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadPlan decodes testdata/<name>.plan.json.
func loadPlan(t testing.TB, name string) *tfjson.Plan {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".plan.json"))
	require.NoError(t, err)
	var p tfjson.Plan
	require.NoError(t, json.Unmarshal(b, &p))
	return &p
}

// terraformCounts parses the "Plan: ..." line Terraform printed for the case.
// "No changes." (or no Plan line at all, as for output-only plans) is zero.
func terraformCounts(t *testing.T, name string) (imp, add, change, destroy int) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".plan.txt"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "Plan: ")
		if !ok {
			continue
		}
		for part := range strings.SplitSeq(strings.TrimSuffix(line, "."), ", ") {
			num, what, _ := strings.Cut(part, " ")
			n, err := strconv.Atoi(num)
			require.NoError(t, err, "parsing %q", part)
			switch what {
			case "to import":
				imp = n
			case "to add":
				add = n
			case "to change":
				change = n
			case "to destroy":
				destroy = n
			default:
				t.Fatalf("unknown part %q in Plan line", part)
			}
		}
		return
	}
	require.NoError(t, sc.Err())
	return
}

// brief is "action address" per change, plus markers for flags worth
// checking, such as "replace terraform_data.cert cbd".
func brief(cs []Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		s := string(c.Action) + " " + c.Address
		if c.CreateBeforeDestroy {
			s += " cbd"
		}
		if c.Importing {
			s += " importing"
		}
		if c.Moved() {
			s += " from " + c.PreviousAddress
		}
		out = append(out, s)
	}
	return out
}

func TestSummarizeRealPlans(t *testing.T) {
	tests := []struct {
		name    string
		changes []string
		drift   []string
		outputs []string // "action name before -> after"
		check   func(t *testing.T, s *Summary)
	}{
		{
			name: "create",
			changes: []string{
				"create terraform_data.bucket",
				`create terraform_data.queue["orders"]`,
				`create terraform_data.queue["orders-dlq"]`,
			},
			outputs: []string{"create queue_ids — -> [(known after apply),(known after apply)]"},
		},
		{
			name:    "update",
			changes: []string{"update terraform_data.service"},
			check: func(t *testing.T, s *Summary) {
				assert.Equal(t, []string{"input", "output"}, s.Changes[0].ChangedAttributes)
			},
		},
		{
			name: "delete",
			changes: []string{
				"delete terraform_data.logs",
				"delete terraform_data.shard[1]",
				"delete terraform_data.shard[2]",
			},
			check: func(t *testing.T, s *Summary) {
				assert.Equal(t, "delete_because_no_resource_config", s.Changes[0].ActionReason)
				assert.Equal(t, "delete_because_count_index", s.Changes[1].ActionReason)
				assert.Len(t, s.Dangerous(), 3)
			},
		},
		{
			name:    "replace",
			changes: []string{"replace terraform_data.db"},
			check: func(t *testing.T, s *Summary) {
				c := s.Changes[0]
				assert.Equal(t, []string{`triggers_replace`}, c.ReplacePaths)
				assert.Equal(t, []string{"id", "input", "output", "triggers_replace"}, c.ChangedAttributes)
				assert.Equal(t, "replace_because_cannot_update", c.ActionReason)
				assert.Equal(t, []Change{c}, s.Dangerous())
			},
		},
		{
			name:    "replace-cbd",
			changes: []string{"replace terraform_data.cert cbd"},
		},
		{
			name: "read",
			changes: []string{
				"create terraform_data.producer",
				"read data.terraform_remote_state.upstream",
			},
			check: func(t *testing.T, s *Summary) {
				assert.Equal(t, 1, s.Read)
				assert.Equal(t, "data", s.Changes[1].Mode)
			},
		},
		{
			name: "no-op",
			check: func(t *testing.T, s *Summary) {
				assert.False(t, s.HasResourceChanges())
				assert.Empty(t, s.Dangerous())
			},
		},
		{
			// The transform names the security group's input and the worker
			// in relevant_attributes: the drift shows them, and of the
			// security group's changed input and output only the input.
			name:    "drift",
			changes: []string{"create terraform_data.worker", "update terraform_data.service"},
			drift:   []string{"delete terraform_data.worker", "update terraform_data.security_group"},
			check: func(t *testing.T, s *Summary) {
				assert.False(t, s.RefreshOnly)
				assert.Equal(t, []string{"input"}, s.Drift[1].ChangedAttributes)
			},
		},
		{
			name:    "outputs",
			changes: []string{"create terraform_data.new"},
			outputs: []string{
				`create added — -> {"endpoint":"https://example.test","ports":[80,443]}`,
				`update changed "x" -> "x2"`,
				"create later — -> (known after apply)",
				`delete removed "y" -> —`,
				"update secret (sensitive) -> (sensitive)",
			},
		},
		{
			name: "sensitive",
			changes: []string{
				"create terraform_data.key",
				"create terraform_data.short",
				"update terraform_data.db",
			},
			outputs: []string{
				"create api_key_length — -> 19",
				"create password — -> (sensitive)",
			},
			check: func(t *testing.T, s *Summary) {
				for _, want := range []string{
					"correct-horse-battery", "old-password-123", // variable, before and after
					"tok-new-xyz", "tok-old-abc", "in-a-list-new", "in-a-list-old", // nested
					"api-key-from-tfvars",      // sensitive variable from tfvars
					"-----BEGIN TEST KEY-----", // a line of a multi-line secret
					"bXVsdGktbGluZS1zZWNyZXQ=",
				} {
					assert.Contains(t, s.Secrets, want)
				}
				for _, not := range []string{"ab", "admin", "plain", "true", "19"} {
					assert.NotContains(t, s.Secrets, not)
				}
			},
		},
		{
			name: "import",
			changes: []string{
				"update terraform_data.adopted_and_changed importing",
				"import terraform_data.adopted importing",
			},
		},
		{
			name: "move",
			changes: []string{
				"update terraform_data.new_changed from terraform_data.old_changed",
				"move terraform_data.new_name from terraform_data.old_name",
			},
		},
		{
			name:    "forget",
			changes: []string{"forget terraform_data.legacy"},
			check: func(t *testing.T, s *Summary) {
				assert.True(t, s.HasResourceChanges())
				assert.Empty(t, s.Dangerous(), "forgetting destroys nothing")
			},
		},
		{
			name: "medium",
			changes: []string{
				"delete terraform_data.legacy_queue",
				"replace terraform_data.cache",
				"replace terraform_data.db",
				`create module.network.terraform_data.subnet["c"]`,
				`create terraform_data.queue["orders"]`,
				`create terraform_data.queue["orders-dlq"]`,
				"update terraform_data.service",
				"read data.terraform_remote_state.shared",
			},
			outputs: []string{
				`create db_engine — -> "16.2"`,
				"create orders_queue_id — -> (known after apply)",
			},
			check: func(t *testing.T, s *Summary) {
				assert.Equal(t, "replace_because_tainted", s.Changes[1].ActionReason)
				assert.Equal(t, "module.network", s.Changes[3].ModuleAddress)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadPlan(t, tt.name)
			s, err := Summarize(p)
			require.NoError(t, err)

			imp, add, change, destroy := terraformCounts(t, tt.name)
			assert.Equal(t, add, s.Add, "to add")
			assert.Equal(t, change, s.Change, "to change")
			assert.Equal(t, destroy, s.Destroy, "to destroy")
			assert.Equal(t, imp, s.Import, "to import")

			assert.Equal(t, tt.changes, nilIfEmpty(brief(s.Changes)), "changes")
			assert.Equal(t, tt.drift, nilIfEmpty(brief(s.Drift)), "drift")
			var outs []string
			for _, o := range s.Outputs {
				outs = append(outs, string(o.Action)+" "+o.Name+" "+o.Before+" -> "+o.After)
			}
			assert.Equal(t, tt.outputs, outs, "outputs")
			assert.Equal(t, p.TerraformVersion, s.EngineVersion)
			assertNoSecretsOutside(t, s)
			if tt.check != nil {
				tt.check(t, s)
			}
			checkGolden(t, tt.name+".summary.golden.json", s)
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// assertNoSecretsOutside checks that no secret appears anywhere in the
// Summary except in Secrets.
func assertNoSecretsOutside(t *testing.T, s *Summary) {
	t.Helper()
	c := *s
	c.Secrets = nil
	b, err := json.Marshal(c)
	require.NoError(t, err)
	for _, sec := range s.Secrets {
		j, _ := json.Marshal(sec)
		assert.NotContains(t, string(b), strings.Trim(string(j), `"`), "secret leaked into the summary")
	}
}

// updateGolden rewrites the golden files from the plans in testdata as they
// are, without regenerating those with Terraform (new ids and timestamps).
var updateGolden = flag.Bool("update-golden", false, "rewrite golden files from the existing testdata")

// checkGolden compares v, as indented JSON, with testdata/name; -update and
// -update-golden rewrite it.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update || *updateGolden {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./pkg/plan -update-golden")
	if !bytes.Equal(want, got) {
		assert.Equal(t, string(want), string(got), "%s differs; run go test ./pkg/plan -update and review the diff", name)
	}
}

func TestSummarizeErrors(t *testing.T) {
	tests := []struct {
		name    string
		plan    *tfjson.Plan
		wantErr string
	}{
		{"nil plan", nil, "plan is nil"},
		{"nil resource change", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{nil}}, "change is missing"},
		{"nil change body", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{{Address: "a.b"}}}, "change is missing"},
		{"unknown actions", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{{
			Address: "a.b", Change: &tfjson.Change{Actions: tfjson.Actions{"explode"}},
		}}}, `classifying a.b: unsupported actions ["explode"]`},
		{"empty actions", &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{{
			Address: "a.b", Change: &tfjson.Change{},
		}}}, "classifying a.b: unsupported actions"},
		{"unknown drift actions", &tfjson.Plan{ResourceDrift: []*tfjson.ResourceChange{{
			Address: "a.b", Change: &tfjson.Change{Actions: tfjson.Actions{"delete", "delete"}},
		}}}, "summarizing drift: classifying a.b"},
		{"unknown output actions", &tfjson.Plan{OutputChanges: map[string]*tfjson.Change{
			"o": {Actions: tfjson.Actions{"read"}},
		}}, `classifying output "o"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Summarize(tt.plan)
			require.ErrorContains(t, err, tt.wantErr)
			assert.Nil(t, s)
		})
	}
}

func rc(addr string, mode tfjson.ResourceMode, actions ...tfjson.Action) *tfjson.ResourceChange {
	return &tfjson.ResourceChange{Address: addr, Mode: mode, Change: &tfjson.Change{Actions: actions}}
}

// TestCounting checks the counting rules on action combinations real
// Terraform rarely produces with built-in resources.
func TestCounting(t *testing.T) {
	const (
		cr = tfjson.ActionCreate
		de = tfjson.ActionDelete
		fo = tfjson.ActionForget
		up = tfjson.ActionUpdate
		no = tfjson.ActionNoop
		rd = tfjson.ActionRead
		mg = tfjson.ManagedResourceMode
		da = tfjson.DataResourceMode
	)
	deposed := rc("a.deposed", mg, de)
	deposed.DeposedKey = "00000001"
	movedImport := rc("a.both", mg, no)
	movedImport.PreviousAddress = "a.old"
	movedImport.Change.Importing = &tfjson.Importing{ID: "x"}
	sameAddr := rc("a.same", mg, no)
	sameAddr.PreviousAddress = "a.same"

	tests := []struct {
		name    string
		changes []*tfjson.ResourceChange
		want    Summary // only the counters are compared
		actions []Action
	}{
		{"create-then-forget counts one add, no destroy", []*tfjson.ResourceChange{rc("a.b", mg, cr, fo)},
			Summary{Add: 1, Replace: 1, Forget: 1}, []Action{ActionReplace}},
		{"deleted data source is ignored", []*tfjson.ResourceChange{rc("data.a.b", da, de)},
			Summary{}, nil},
		{"read is listed but not counted", []*tfjson.ResourceChange{rc("data.a.b", da, rd)},
			Summary{Read: 1}, []Action{ActionRead}},
		{"deposed delete counts", []*tfjson.ResourceChange{rc("a.deposed", mg, up), deposed},
			Summary{Change: 1, Destroy: 1}, []Action{ActionDelete, ActionUpdate}},
		{"import wins over move for a no-op", []*tfjson.ResourceChange{movedImport},
			Summary{Import: 1, Move: 1}, []Action{ActionImport}},
		{"previous address equal to address is no move", []*tfjson.ResourceChange{sameAddr},
			Summary{}, nil},
		{"both replace orders", []*tfjson.ResourceChange{rc("a.x", mg, de, cr), rc("a.y", mg, cr, de)},
			Summary{Add: 2, Destroy: 2, Replace: 2}, []Action{ActionReplace, ActionReplace}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Summarize(&tfjson.Plan{ResourceChanges: tt.changes})
			require.NoError(t, err)
			got := Summary{Add: s.Add, Change: s.Change, Destroy: s.Destroy, Replace: s.Replace,
				Import: s.Import, Move: s.Move, Forget: s.Forget, Read: s.Read}
			assert.Equal(t, tt.want, got)
			var actions []Action
			for _, c := range s.Changes {
				actions = append(actions, c.Action)
			}
			assert.Equal(t, tt.actions, actions)
		})
	}
}

func TestChangeOrder(t *testing.T) {
	var changes []*tfjson.ResourceChange
	for _, a := range []struct {
		addr string
		acts []tfjson.Action
	}{
		{"z.read", []tfjson.Action{"read"}},
		{"b.update", []tfjson.Action{"update"}},
		{"a.update", []tfjson.Action{"update"}},
		{"c.create", []tfjson.Action{"create"}},
		{"d.forget", []tfjson.Action{"forget"}},
		{"e.replace", []tfjson.Action{"create", "delete"}},
		{"f.delete", []tfjson.Action{"delete"}},
	} {
		mode := tfjson.ManagedResourceMode
		if a.acts[0] == "read" {
			mode = tfjson.DataResourceMode
		}
		changes = append(changes, rc(a.addr, mode, a.acts...))
	}
	s, err := Summarize(&tfjson.Plan{ResourceChanges: changes})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"delete f.delete", "replace e.replace cbd", "create c.create", "update a.update",
		"update b.update", "forget d.forget", "read z.read",
	}, brief(s.Changes))
}

func FuzzSummarize(f *testing.F) {
	for _, name := range []string{"medium", "sensitive", "outputs", "drift"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".plan.json"))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"change":{"actions":["create"],"after":{"a":1},"after_sensitive":[true]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p tfjson.Plan
		if json.Unmarshal(b, &p) != nil {
			return
		}
		s, err := Summarize(&p)
		_ = Fingerprint(&p)
		if err != nil {
			return
		}
		if s.Add < s.Replace || s.Destroy > len(s.Changes) || s.Add > len(s.Changes) {
			t.Fatalf("impossible counts: %+v", s)
		}
	})
}

func TestCompareAddresses(t *testing.T) {
	sorted := []string{
		"aws_instance.a",
		"aws_instance.a[2]",
		"aws_instance.a[10]",
		"aws_instance.a[100]",
		`aws_instance.b["10"]`,
		`aws_instance.b["9"]`,
		"aws_instance.c",
		"module.m[2].x.y",
		"module.m[10].x.y",
		"module.m[10].x.y[3]",
	}
	for i := range sorted {
		for j := range sorted {
			got := CompareAddresses(sorted[i], sorted[j])
			want := cmp.Compare(i, j)
			assert.Equal(t, want, got, "%s vs %s", sorted[i], sorted[j])
		}
	}
	shuffled := []string{"del[101]", "del[0]", "del[100]", "del[2]", "del[10]"}
	slices.SortFunc(shuffled, CompareAddresses)
	assert.Equal(t, []string{"del[0]", "del[2]", "del[10]", "del[100]", "del[101]"}, shuffled)
}

// Addresses cut short inside a key (a hostile or broken plan) compare
// without a panic, and 9 is a digit.
func TestCompareAddressesEdges(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"a[9]", "a[10]", -1},
		{"a[", "a[1]", -1},
		{"a[1]", "a[", 1},
		{"a[", "a[", 0},
		{"a[12", "a[13", -1},
		{"a[13", "a[12", 1},
		{"a[12", "a[12]", -1},
		{"a[12]", "a[12", 1},
		{"a[9]", "a[10", -1},
		{"a[10", "a[9]", 1},
		{"a", "a[0]", -1},
		{"", "", 0},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, CompareAddresses(c.a, c.b), "%q vs %q", c.a, c.b)
	}
}
