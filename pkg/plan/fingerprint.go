package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
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
	// The entries are hashed in byte order without being held: each is
	// sorted by its leading strings (kind, address, deposed key, previous
	// address, actions), which order entries exactly as their whole bytes
	// do (JSON strings end unambiguously, so two different leads differ
	// before either ends); entries with the same lead are encoded whole and
	// sorted. Only the leads are kept, not every value's encoding.
	items := fingerprintItems(p)
	var leads []byte
	for i := range items {
		start := len(leads)
		leads = items[i].lead(leads)
		items[i].span = [2]int{start, len(leads)}
	}
	lead := func(it *fingerprintItem) []byte { return leads[it.span[0]:it.span[1]] }
	slices.SortFunc(items, func(a, b fingerprintItem) int { return bytes.Compare(lead(&a), lead(&b)) })

	h := sha256.New()
	h.Write([]byte(FingerprintVersion + "\n"))
	var scratch []byte
	var enc encoder
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && bytes.Equal(lead(&items[j]), lead(&items[i])) {
			j++
		}
		var group [][]byte
		if j-i == 1 {
			// A lone entry goes to the hash as it is encoded.
			enc.out = h
		}
		for k := i; k < j; k++ {
			b, err := items[k].entry(&enc, scratch[:0])
			enc.out = nil
			if err != nil {
				// Values decoded from JSON always encode; for anything else
				// keep the entries (and their error text) as they are.
				return fingerprintHeld(items)
			}
			scratch = b
			if j-i > 1 {
				group = append(group, bytes.Clone(b))
			}
		}
		if j-i == 1 {
			group = [][]byte{scratch}
		}
		slices.SortFunc(group, bytes.Compare)
		for _, b := range group {
			h.Write(b)
			h.Write(newline)
		}
		i = j
	}
	return hex.EncodeToString(h.Sum(nil))
}

var newline = []byte{'\n'}

// fingerprintItem is one fingerprint entry: a changed resource or output.
type fingerprintItem struct {
	rc   *tfjson.ResourceChange // nil for an output
	name string                 // the output's name
	c    *tfjson.Change
	span [2]int // the lead, in Fingerprint's buffer
}

func fingerprintItems(p *tfjson.Plan) []fingerprintItem {
	items := make([]fingerprintItem, 0, len(p.ResourceChanges)+len(p.OutputChanges))
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil {
			continue
		}
		c := rc.Change
		if c.Actions.NoOp() && c.Importing == nil && (rc.PreviousAddress == "" || rc.PreviousAddress == rc.Address) {
			continue
		}
		items = append(items, fingerprintItem{rc: rc, c: c})
	}
	for name, c := range p.OutputChanges {
		if c == nil || c.Actions.NoOp() {
			continue
		}
		items = append(items, fingerprintItem{name: name, c: c})
	}
	return items
}

// lead appends "[" and the entry's leading strings, each followed by ",".
func (it *fingerprintItem) lead(b []byte) []byte {
	b = append(b, '[')
	if it.rc != nil {
		b = appendStrings(b, "resource", it.rc.Address, it.rc.DeposedKey, it.rc.PreviousAddress, actionsKey(it.c.Actions))
	} else {
		b = appendStrings(b, "output", it.name, actionsKey(it.c.Actions))
	}
	return append(b, ',')
}

// entry appends the whole entry, a JSON array, which is unambiguous (strings
// are quoted, map keys sorted) and has no raw newlines.
func (it *fingerprintItem) entry(e *encoder, b []byte) ([]byte, error) {
	b = it.lead(b)
	c := it.c
	var err error
	if it.rc == nil {
		if b, err = e.redacted(b, c.Before, c.BeforeSensitive, nil); err != nil {
			return b, err
		}
		b = append(b, ',')
		if b, err = e.redacted(b, c.After, c.AfterSensitive, c.AfterUnknown); err != nil {
			return b, err
		}
		return append(b, ']'), nil
	}
	if b, err = e.redacted(b, c.Before, c.BeforeSensitive, nil); err != nil {
		return b, err
	}
	b = append(b, ',')
	if b, err = e.redacted(b, c.After, c.AfterSensitive, nil); err != nil {
		return b, err
	}
	b = append(b, ',')
	if b, err = e.redacted(b, c.AfterUnknown, c.AfterSensitive, nil); err != nil {
		return b, err
	}
	b = append(b, ',')
	b = strconv.AppendBool(b, c.Importing != nil)
	return append(b, ']'), nil
}

// fingerprintHeld hashes entries held in memory and sorted whole, an entry
// that does not encode standing as "unencodable:" and the error.
func fingerprintHeld(items []fingerprintItem) string {
	var e entries
	var enc encoder
	for i := range items {
		e.add(func(b []byte) ([]byte, error) { return items[i].entry(&enc, b) })
	}
	slices.SortFunc(e.list, bytes.Compare)
	h := sha256.New()
	h.Write([]byte(FingerprintVersion + "\n"))
	for _, entry := range e.list {
		h.Write(entry)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// entries are fingerprint entries held in memory, written into a scratch
// buffer and copied into large chunks, so that holding thousands of them
// costs neither an allocation each nor the copies of one growing buffer.
type entries struct {
	scratch []byte
	chunk   []byte
	list    [][]byte
}

// Chunks start small, for small plans, and double up to a megabyte.
const (
	firstEntryChunk = 16 << 10
	maxEntryChunk   = 1 << 20
)

// add writes one entry with entry, or "unencodable:" and the error.
func (e *entries) add(entry func([]byte) ([]byte, error)) {
	b, err := entry(e.scratch[:0])
	if err != nil {
		b = append(append(b[:0], "unencodable:"...), err.Error()...)
	}
	e.scratch = b
	if len(b) > cap(e.chunk)-len(e.chunk) {
		size := min(max(2*cap(e.chunk), firstEntryChunk), maxEntryChunk)
		e.chunk = make([]byte, 0, max(size, len(b)))
	}
	start := len(e.chunk)
	e.chunk = append(e.chunk, b...)
	e.list = append(e.list, e.chunk[start:len(e.chunk):len(e.chunk)])
}

// appendStrings appends JSON strings separated by commas.
func appendStrings(b []byte, ss ...string) []byte {
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return b
}

func actionsKey(a tfjson.Actions) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}
