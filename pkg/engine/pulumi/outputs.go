package pulumi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// decodeOutputs reads `pulumi stack output --json --show-secrets=false`:
// an output holding "[secret]" anywhere is Sensitive, without its value.
func decodeOutputs(raw []byte) (map[string]engine.Output, error) {
	var outs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &outs); err != nil {
		return nil, fmt.Errorf("decoding pulumi stack output --json: %w", err)
	}
	res := make(map[string]engine.Output, len(outs))
	for name, v := range outs {
		if strings.Contains(string(v), `"`+secretShown+`"`) {
			res[name] = engine.Output{Sensitive: true}
			continue
		}
		res[name] = engine.Output{Value: v}
	}
	return res, nil
}

// configValue is one entry of `pulumi config --json --show-secrets`.
type configValue struct {
	Value       *string         `json:"value"`
	ObjectValue json.RawMessage `json:"objectValue"`
	Secret      bool            `json:"secret"`
}

// Pulumi's marker of a secret value in a state export: an object with this
// key and value, and the value JSON-encoded under "plaintext" (with
// --show-secrets) or encrypted under "ciphertext".
const (
	secretSigKey   = "4dabf18193072939515e22adb298388d"
	secretSigValue = "1b47061264138c4ac30d75fd1eb44270"
)

// collectSecrets gathers the values to mask: every secret config value
// (and the strings inside a structured one), from `pulumi config --json
// --show-secrets`, and every secret in the state (outputs of the stack and
// of its resources), from `pulumi stack export --show-secrets`. The list is
// deduplicated, longest first, without values redact.WorthMasking refuses;
// a value spanning lines is also listed line by line, because a runner
// masks one line at a time. A structured secret is also listed as its
// compact JSON.
func collectSecrets(config, export []byte) ([]string, error) {
	var set []string
	add := func(s string) {
		set = append(set, s)
		if strings.Contains(s, "\n") {
			set = append(set, strings.Split(s, "\n")...)
		}
	}
	addValue := func(raw []byte) {
		var x any
		if json.Unmarshal(raw, &x) != nil {
			return
		}
		if _, isString := x.(string); !isString {
			var compact bytes.Buffer
			if json.Compact(&compact, raw) == nil {
				add(compact.String())
			}
		}
		addLeaves(x, add)
	}
	var cfg map[string]configValue
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, fmt.Errorf("decoding pulumi config --json: %w", err)
	}
	for _, v := range cfg {
		if !v.Secret {
			continue
		}
		if v.Value != nil {
			add(*v.Value)
		}
		if len(v.ObjectValue) > 0 {
			addValue(v.ObjectValue)
		}
	}
	var state any
	if err := json.Unmarshal(export, &state); err != nil {
		return nil, fmt.Errorf("decoding pulumi stack export: %w", err)
	}
	walkSecrets(state, func(plaintext string) { addValue([]byte(plaintext)) })

	var out []string
	for _, s := range set {
		if redact.WorthMasking(s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	return slices.Compact(out), nil
}

// walkSecrets calls f with the plaintext (JSON) of every secret in a
// decoded export.
func walkSecrets(v any, f func(plaintext string)) {
	switch x := v.(type) {
	case map[string]any:
		if x[secretSigKey] == secretSigValue {
			if p, ok := x["plaintext"].(string); ok {
				f(p)
			}
			return
		}
		for _, y := range x {
			walkSecrets(y, f)
		}
	case []any:
		for _, y := range x {
			walkSecrets(y, f)
		}
	}
}

// addLeaves adds the strings and numbers inside a decoded JSON value.
func addLeaves(v any, add func(string)) {
	switch x := v.(type) {
	case string:
		add(x)
	case float64:
		add(fmt.Sprint(x))
	case map[string]any:
		for _, y := range x {
			addLeaves(y, add)
		}
	case []any:
		for _, y := range x {
			addLeaves(y, add)
		}
	}
}
