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

// collectSecrets gathers the values to mask: every secret config value
// (and the strings inside a structured one), and every output that Pulumi
// hides (shown holds the outputs with secrets, hidden without). The list
// is deduplicated, longest first, without values redact.WorthMasking
// refuses; a value spanning lines is also listed line by line, because a
// runner masks one line at a time.
func collectSecrets(config, shown, hidden []byte) ([]string, error) {
	var set []string
	add := func(s string) {
		set = append(set, s)
		if strings.Contains(s, "\n") {
			set = append(set, strings.Split(s, "\n")...)
		}
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
			var x any
			if err := json.Unmarshal(v.ObjectValue, &x); err == nil {
				addLeaves(x, add)
			}
		}
	}
	var withSecrets, withoutSecrets map[string]json.RawMessage
	if err := json.Unmarshal(shown, &withSecrets); err != nil {
		return nil, fmt.Errorf("decoding pulumi stack output --json: %w", err)
	}
	if err := json.Unmarshal(hidden, &withoutSecrets); err != nil {
		return nil, fmt.Errorf("decoding pulumi stack output --json: %w", err)
	}
	for name, v := range withoutSecrets {
		if !strings.Contains(string(v), `"`+secretShown+`"`) {
			continue
		}
		var x any
		if err := json.Unmarshal(withSecrets[name], &x); err != nil {
			continue
		}
		if _, isString := x.(string); !isString {
			var compact bytes.Buffer
			if json.Compact(&compact, withSecrets[name]) == nil {
				add(compact.String())
			}
		}
		addLeaves(x, add)
	}
	var out []string
	for _, s := range set {
		if redact.WorthMasking(s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b)) })
	return slices.Compact(out), nil
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
