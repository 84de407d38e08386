package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// FingerprintVersion prefixes the hashed data; bump it when the entries
// change shape so that old and new fingerprints never compare equal by
// accident.
const FingerprintVersion = "lockstep-fingerprint-v1"

// Fingerprint is a semantic fingerprint of what the plan changes: the SHA-256,
// in hex, over the sorted list of (address, deposed key, previous address,
// actions, before, after, after_unknown) of every resource change that is not
// a pure no-op, and (name, actions, before, after) of every changed output.
// Sensitive values are replaced by a constant before hashing, so the
// fingerprint reveals nothing about them and two plans of the same change
// agree even when a secret rotates. It does not depend on the order of
// entries, on the plan file's bytes, timestamps or Terraform version, so two
// runs planning the same change get the same fingerprint. The first 16
// characters are enough to display. A nil plan has an empty fingerprint.
func Fingerprint(p *tfjson.Plan) string {
	if p == nil {
		return ""
	}
	entries := make([]string, 0, len(p.ResourceChanges)+len(p.OutputChanges))
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

// entry encodes one fingerprint entry as a JSON array, which is unambiguous
// (strings are quoted, map keys sorted) and has no raw newlines.
func entry(parts ...any) string {
	j, err := compactJSON(parts)
	if err != nil {
		// Values decoded from JSON always encode; keep the entry distinct
		// anyway.
		return "unencodable:" + err.Error()
	}
	return j
}

func actionsKey(a tfjson.Actions) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}
