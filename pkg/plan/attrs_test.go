package plan

import (
	"encoding/json"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttributeChanges: what an update shows of each changed attribute,
// and that nothing of a value marked sensitive at any depth is kept.
func TestAttributeChanges(t *testing.T) {
	const change = `{
	  "actions": ["update"],
	  "before": {"replicas": 3, "name": "web", "gone": "x", "tags": {"env": "dev", "team": "a", "old": "1"},
	             "ports": [80, 443, 8080], "arn": "arn:1", "blob": {"a": 1}, "shape": [1],
	             "password": "hunter2", "nested": {"deep": {"token": "tok-123"}}, "long": "` + longValue + `",
	             "md": "a"},
	  "after": {"replicas": 4, "name": "web", "gone": null, "tags": {"env": "prod", "team": "a", "new": "2"},
	            "ports": [80, 444], "blob": {"a": 1}, "shape": {"k": 1},
	            "password": "hunter3", "nested": {"deep": {"token": "tok-456"}}, "long": "short",
	            "md": "</details><!-- x --> | @admin [a](http://e)"},
	  "after_unknown": {"arn": true, "blob": true},
	  "before_sensitive": {"password": true},
	  "after_sensitive": {"password": true, "nested": {"deep": {"token": true}}}
	}`
	var c tfjson.Change
	require.NoError(t, json.Unmarshal([]byte(change), &c))
	names := changedAttributes(c.Before, c.After, c.AfterUnknown)
	require.Equal(t, []string{"arn", "blob", "gone", "long", "md", "nested", "password", "ports", "replicas", "shape", "tags"}, names)
	got := map[string]AttributeChange{}
	for _, a := range attributeChanges(names, &c) {
		got[a.Name] = a
	}
	assert.Equal(t, AttributeChange{Name: "replicas", Kind: KindValue, Before: "3", After: "4"}, got["replicas"])
	assert.Equal(t, AttributeChange{Name: "gone", Kind: KindValue, Before: `"x"`, After: "null"}, got["gone"])
	assert.Equal(t, AttributeChange{Name: "arn", Kind: KindValue, Before: `"arn:1"`, After: "(known after apply)"}, got["arn"])
	assert.Equal(t, AttributeChange{Name: "blob", Kind: KindValue, After: "(known after apply)"}, got["blob"])
	assert.Equal(t, AttributeChange{Name: "tags", Kind: KindMap, Added: []string{"new"}, Removed: []string{"old"}, Changed: []string{"env"},
		Values: []KeyChange{{Key: "env", Before: `"dev"`, After: `"prod"`}}}, got["tags"])
	assert.Equal(t, AttributeChange{Name: "ports", Kind: KindList, Elements: 2, Length: 2}, got["ports"])
	assert.Equal(t, AttributeChange{Name: "shape", Kind: KindOther}, got["shape"])
	assert.Equal(t, AttributeChange{Name: "password", Kind: KindSensitive}, got["password"])
	assert.Equal(t, AttributeChange{Name: "nested", Kind: KindSensitive}, got["nested"])
	// Cut at 80 runes, the last one "…".
	assert.Equal(t, `"`+longValue[:78]+"…", got["long"].Before)
	// Markup is kept as it is: escaping is the renderer's job.
	assert.Equal(t, `"</details><!-- x --> | @admin [a](http://e)"`, got["md"].After)
	for _, a := range got {
		for _, v := range []string{a.Before, a.After} {
			assert.NotContains(t, v, "hunter")
			assert.NotContains(t, v, "tok-")
		}
	}
}

const longValue = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"

// A mark that is not a map of attributes hides every attribute.
func TestAttributeChangesWholeObjectSensitive(t *testing.T) {
	c := &tfjson.Change{
		Before:         map[string]any{"a": "1"},
		After:          map[string]any{"a": "2"},
		AfterSensitive: true,
	}
	assert.Equal(t, []AttributeChange{{Name: "a", Kind: KindSensitive}}, attributeChanges([]string{"a"}, c))
}

// A map keeps at most 20 keys, changed ones first, and counts the rest.
func TestAttributeChangesCapsKeys(t *testing.T) {
	before, after := map[string]any{}, map[string]any{}
	for i := range 30 {
		k := string(rune('a'+i%26)) + string(rune('a'+i/26))
		before[k] = i
		after[k] = i + 1
	}
	after["zz-new"] = 1
	c := &tfjson.Change{Before: map[string]any{"m": before}, After: map[string]any{"m": after}}
	got := attributeChanges([]string{"m"}, c)[0]
	assert.Len(t, got.Changed, 20)
	assert.Empty(t, got.Added)
	assert.Equal(t, 11, got.KeysLeft)
	assert.Equal(t, "aa", got.Changed[0])
	assert.Equal(t, KeyChange{Key: "aa", Before: "0", After: "1"}, got.Values[0])
	assert.Len(t, got.Values, 20)
}

// CountAction counts as Terraform's Plan: line does: a replace is one add,
// one destroy and one replace; moves and forgets count nowhere.
func TestCountAction(t *testing.T) {
	var s Summary
	for _, a := range []Action{ActionCreate, ActionUpdate, ActionUpdate, ActionDelete, ActionReplace, ActionImport, ActionRead, ActionMove, ActionForget} {
		s.CountAction(a)
	}
	assert.Equal(t, [8]int{2, 2, 2, 1, 1, 0, 0, 1}, [8]int{s.Add, s.Change, s.Destroy, s.Replace, s.Import, s.Move, s.Forget, s.Read})
}
