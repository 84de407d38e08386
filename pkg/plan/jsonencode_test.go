package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodingJSON is what compactJSON was before appendJSON: a json.Encoder
// without HTML escaping, newline trimmed.
func encodingJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// referenceFingerprint is Fingerprint as first written: redact, then
// encoding/json, entries as strings. The fast Fingerprint must equal it.
func referenceFingerprint(p *tfjson.Plan) string {
	if p == nil {
		return ""
	}
	entry := func(parts ...any) string {
		j, err := encodingJSON(parts)
		if err != nil {
			return "unencodable:" + err.Error()
		}
		return j
	}
	var entries []string
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil {
			continue
		}
		c := rc.Change
		if c.Actions.NoOp() && c.Importing == nil && (rc.PreviousAddress == "" || rc.PreviousAddress == rc.Address) {
			continue
		}
		entries = append(entries, entry(
			"resource", rc.Address, rc.DeposedKey, rc.PreviousAddress, actionsKey(c.Actions),
			redact(c.Before, c.BeforeSensitive, nil),
			redact(c.After, c.AfterSensitive, nil),
			redact(c.AfterUnknown, c.AfterSensitive, nil),
			c.Importing != nil,
		))
	}
	for name, c := range p.OutputChanges {
		if c == nil || c.Actions.NoOp() {
			continue
		}
		entries = append(entries, entry(
			"output", name, actionsKey(c.Actions),
			redact(c.Before, c.BeforeSensitive, nil),
			redact(c.After, c.AfterSensitive, c.AfterUnknown),
		))
	}
	slices.Sort(entries)
	h := sha256.New()
	h.Write([]byte(FingerprintVersion + "\n"))
	for _, e := range entries {
		h.Write([]byte(e))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestFingerprintMatchesReference(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.plan.json"))
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		p := fullDecode(t, b)
		assert.Equal(t, referenceFingerprint(p), Fingerprint(p), f)
	}
	// Shapes the testdata lacks: marks that do not match values, unknowns
	// outside the value, nil maps, numbers needing exponents.
	p := &tfjson.Plan{
		ResourceChanges: []*tfjson.ResourceChange{{
			Address: "a.b", Change: &tfjson.Change{
				Actions:         tfjson.Actions{tfjson.ActionUpdate},
				Before:          map[string]any{"l": []any{"x", 1e21, 1e-7}, "m": map[string]any(nil), "s": "a\u2028b\x01<&>"},
				After:           map[string]any{"l": "not a list", "n": -0.0, "deep": map[string]any{"k": []any{1.5}}},
				BeforeSensitive: map[string]any{"l": []any{false, true}},
				AfterSensitive:  map[string]any{"l": []any{true}, "deep": map[string]any{"k": true}},
				AfterUnknown:    map[string]any{"extra": true, "deep": map[string]any{"later": map[string]any{"x": true}}},
			},
		}},
		OutputChanges: map[string]*tfjson.Change{
			"o": {Actions: tfjson.Actions{tfjson.ActionCreate}, After: []any{"a", nil}, AfterUnknown: []any{false, true, true}, AfterSensitive: map[string]any{"x": true}},
		},
	}
	assert.Equal(t, referenceFingerprint(p), Fingerprint(p))

	// Entries with the same leading strings (a hostile or broken plan) are
	// ordered by their whole bytes; a value that cannot be encoded keeps
	// its error text in the entry.
	update := tfjson.Actions{tfjson.ActionUpdate}
	twins := &tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
		{Address: "a.b", Change: &tfjson.Change{Actions: update, After: map[string]any{"v": "z"}}},
		{Address: "a.b", Change: &tfjson.Change{Actions: update, After: map[string]any{"v": "a"}}},
		{Address: "a.a", Change: &tfjson.Change{Actions: update, After: map[string]any{"v": "m"}}},
	}}
	reversed := &tfjson.Plan{ResourceChanges: slices.Clone(twins.ResourceChanges)}
	slices.Reverse(reversed.ResourceChanges)
	assert.Equal(t, referenceFingerprint(twins), Fingerprint(twins))
	assert.Equal(t, Fingerprint(twins), Fingerprint(reversed))
	broken := &tfjson.Plan{ResourceChanges: append(slices.Clone(twins.ResourceChanges),
		&tfjson.ResourceChange{Address: "a.nan", Change: &tfjson.Change{Actions: update, After: math.NaN()}})}
	assert.Equal(t, referenceFingerprint(broken), Fingerprint(broken))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", "quote\" back\\slash", "ctl\x00\x01\b\f\n\r\t\x1f\x7f",
		"<html> & 'x'", "bad utf8 \xff\xfe end", "\u2028\u2029", "émoji 😀",
		0.0, math.Copysign(0, -1), 1.0, -1.5, 1e20, 1e21, 123456789012345680000.0, 1e-6, 1e-7, 1.5e-300, math.MaxFloat64,
		map[string]any{}, map[string]any(nil), []any{}, []any(nil),
		map[string]any{"b": 1.0, "a": []any{"x", map[string]any{"z": nil, "é": true, "\x00": "k"}}},
		json.Number("12.50"),
	}
	for _, v := range values {
		want, err := encodingJSON(v)
		require.NoError(t, err)
		got, err := appendJSON(nil, v)
		require.NoError(t, err)
		assert.Equal(t, want, string(got), "%#v", v)
	}
	_, err := appendJSON(nil, math.NaN())
	_, wantErr := encodingJSON(math.NaN())
	assert.EqualError(t, err, wantErr.Error())
}

// appendJSON and encoder.redacted agree with encoding/json and redact on any
// decoded JSON.
func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,"x\u2028",{"b":null}],"c":1e-7}`), []byte(`{"a":[false,true]}`), []byte(`{"c":true,"d":true}`))
	f.Add([]byte(`["a","b"]`), []byte(`{"x":true}`), []byte(`[false,{"y":true}]`))
	f.Fuzz(func(t *testing.T, value, sens, unknown []byte) {
		var v, s, u any
		if json.Unmarshal(value, &v) != nil || json.Unmarshal(sens, &s) != nil || json.Unmarshal(unknown, &u) != nil {
			return
		}
		want, err := encodingJSON(v)
		require.NoError(t, err)
		got, err := appendJSON(nil, v)
		require.NoError(t, err)
		require.Equal(t, want, string(got))

		want, err = encodingJSON(redact(v, s, u))
		require.NoError(t, err)
		got, err = new(encoder).redacted(nil, v, s, u)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	})
}
