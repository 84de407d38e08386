package plan

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clonePlan round-trips a plan through JSON so that edits do not leak.
func clonePlan(t *testing.T, p *tfjson.Plan) *tfjson.Plan {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var out tfjson.Plan
	require.NoError(t, json.Unmarshal(b, &out))
	return &out
}

func findChange(p *tfjson.Plan, addr string) *tfjson.Change {
	for _, rc := range p.ResourceChanges {
		if rc.Address == addr {
			return rc.Change
		}
	}
	return nil
}

func TestFingerprint(t *testing.T) {
	base := loadPlan(t, "sensitive")
	want := Fingerprint(base)
	require.Len(t, want, 64)

	tests := []struct {
		name string
		edit func(p *tfjson.Plan)
		same bool
	}{
		{"identical plan", func(p *tfjson.Plan) {}, true},
		{"resource order", func(p *tfjson.Plan) { slices.Reverse(p.ResourceChanges) }, true},
		{"plan metadata", func(p *tfjson.Plan) {
			p.Timestamp = "2030-01-01T00:00:00Z"
			p.TerraformVersion = "9.9.9"
		}, true},
		{"a rotated secret", func(p *tfjson.Plan) {
			c := findChange(p, "terraform_data.db")
			c.After.(map[string]any)["input"].(map[string]any)["password"] = "rotated-password"
		}, true},
		{"a sensitive output value", func(p *tfjson.Plan) {
			p.OutputChanges["password"].After = "another"
		}, true},
		{"a non-sensitive value", func(p *tfjson.Plan) {
			c := findChange(p, "terraform_data.db")
			c.After.(map[string]any)["input"].(map[string]any)["user"] = "root"
		}, false},
		{"an action", func(p *tfjson.Plan) {
			findChange(p, "terraform_data.key").Actions = tfjson.Actions{tfjson.ActionDelete, tfjson.ActionCreate}
		}, false},
		{"an output", func(p *tfjson.Plan) {
			p.OutputChanges["api_key_length"].After = 20.0
		}, false},
		{"a dropped change", func(p *tfjson.Plan) { p.ResourceChanges = p.ResourceChanges[1:] }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := clonePlan(t, base)
			tt.edit(p)
			got := Fingerprint(p)
			if tt.same {
				assert.Equal(t, want, got)
			} else {
				assert.NotEqual(t, want, got)
			}
		})
	}
}

func TestFingerprintIgnoresNoOps(t *testing.T) {
	p := loadPlan(t, "update")
	q := clonePlan(t, p)
	c := findChange(q, "terraform_data.unchanged")
	require.True(t, c.Actions.NoOp())
	c.Before.(map[string]any)["input"] = "refreshed"
	c.After.(map[string]any)["input"] = "refreshed"
	assert.Equal(t, Fingerprint(p), Fingerprint(q))
}

func TestFingerprintEdgeCases(t *testing.T) {
	assert.Empty(t, Fingerprint(nil))
	empty := Fingerprint(&tfjson.Plan{})
	assert.Len(t, empty, 64)
	assert.Equal(t, empty, Fingerprint(&tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{nil, {Address: "x"}}}))
	noop, err := Summarize(loadPlan(t, "no-op"))
	require.NoError(t, err)
	assert.Empty(t, noop.Changes)
	assert.Equal(t, empty, Fingerprint(loadPlan(t, "no-op")), "a plan without changes fingerprints like an empty one")
	assert.False(t, strings.ContainsAny(Fingerprint(loadPlan(t, "medium")), "ABCDEF"), "lower-case hex")
}

// Entries hashed as they are encoded (flushed every few KiB) give the hash
// of the entries held whole and sorted.
func TestFingerprintStreamsLikeHeld(t *testing.T) {
	p := loadPlan(t, "sensitive")
	big := make([]any, 3000)
	for i := range big {
		big[i] = map[string]any{"cidr": "10.0.0.0/24", "via": strings.Repeat("x", i%40)}
	}
	p.ResourceChanges = append(p.ResourceChanges, &tfjson.ResourceChange{
		Address: "terraform_data.routes", Type: "terraform_data", Name: "routes", Mode: tfjson.ManagedResourceMode,
		Change: &tfjson.Change{
			Actions: tfjson.Actions{tfjson.ActionUpdate},
			Before:  map[string]any{"input": big[:2000]},
			After:   map[string]any{"input": big},
		},
	})
	items := fingerprintItems(p)
	assert.Equal(t, fingerprintHeld(items), Fingerprint(p))
}

// Entries with the same lead (kind, address, deposed key, previous address,
// actions: only a hand-built or corrupt plan has them) are encoded whole and
// sorted, and still give the held hash; and their order in the plan does
// not matter.
func TestFingerprintEntriesWithTheSameLead(t *testing.T) {
	change := func(v string) *tfjson.ResourceChange {
		return &tfjson.ResourceChange{
			Address: "terraform_data.twin", Type: "terraform_data", Name: "twin", Mode: tfjson.ManagedResourceMode,
			Change: &tfjson.Change{Actions: tfjson.Actions{tfjson.ActionCreate}, After: map[string]any{"input": v}},
		}
	}
	p := loadPlan(t, "sensitive")
	p.ResourceChanges = append(p.ResourceChanges, change("b"), change("a"), change("c"))
	assert.Equal(t, fingerprintHeld(fingerprintItems(p)), Fingerprint(p))

	q := loadPlan(t, "sensitive")
	q.ResourceChanges = append(q.ResourceChanges, change("c"), change("a"), change("b"))
	assert.Equal(t, Fingerprint(p), Fingerprint(q), "the order of entries with the same lead")

	r := loadPlan(t, "sensitive")
	r.ResourceChanges = append(r.ResourceChanges, change("a"), change("b"))
	assert.NotEqual(t, Fingerprint(p), Fingerprint(r), "one entry fewer")
}
