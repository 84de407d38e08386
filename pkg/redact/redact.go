// Package redact replaces secrets in text, fast enough to run over the plan
// text of a plan with tens of thousands of resources and thousands of
// secrets. The masker in pkg/actions (everything lockstep prints) and the
// renderers in pkg/comment (the comment and the job summary) both use it.
package redact

import (
	"io"
	"math/bits"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MinLength is the shortest value (in runes, blanks trimmed) worth treating
// as a secret on its own.
const MinLength = 3

// WorthMasking reports whether v is worth registering as a secret on its
// own: at least MinLength runes once trimmed, not only punctuation, symbols
// and blanks, and not a JSON literal (true, false, null). Masking "{" or "],"
// (the lines of a multi-line JSON secret) or "true" would blank them in
// every line, output and comment, breaking outputs-json and hiding nothing:
// the whole value, which holds them, is still replaced wherever it occurs.
func WorthMasking(v string) bool {
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) < MinLength {
		return false
	}
	switch v {
	case "true", "false", "null":
		return false
	}
	for _, r := range v {
		if !unicode.IsPunct(r) && !unicode.IsSymbol(r) && !unicode.IsSpace(r) {
			return true
		}
	}
	return false
}

// Replacer replaces secrets with a placeholder exactly as
// strings.NewReplacer(secret1, placeholder, secret2, placeholder, …) does:
// left to right, without overlaps, at each position the first secret in the
// given order that starts there. strings.Replacer looks every position up in
// a trie, which costs a few hundred milliseconds on the plan text of a large
// plan with thousands of secrets, and always copies the text; a Replacer
// first tests the position's three bytes against a bitmap of the secrets'
// first three bytes, so that almost every position costs one load and a
// multiplication, and returns the text itself when no secret occurs in it.
//
// A nil *Replacer replaces nothing. A Replacer is safe for concurrent use.
type Replacer struct {
	placeholder string
	bits        []uint64            // hashed 3-byte prefixes, a power of two of bits
	shift       uint32              // 32 - log2(len(bits)*64)
	byPrefix    map[uint32][]string // 3-byte prefix -> secrets, in order
	fallback    *strings.Replacer   // when a secret is shorter than 3 bytes
	multiline   bool                // a secret holds a newline
}

// SpansLines reports whether redacting s replaces a secret that holds a
// newline. When it does not, redacting s line by line gives what redacting
// it whole gives: the same positions are visited and the same secrets
// chosen, since a line cannot hold such a secret. One pass over s, however
// many secrets there are.
func (r *Replacer) SpansLines(s string) bool {
	if r == nil || !r.multiline {
		return false
	}
	if r.fallback != nil {
		return true // a secret under 3 bytes (rare): say yes, and let the caller redact the whole text
	}
	spans := false
	r.each(s, func(_ int, match string) {
		spans = spans || strings.Contains(match, "\n")
	})
	return spans
}

// The bitmap has about 32 bits per secret (a false positive on 1 position
// in 32 at worst, each costing a map lookup), between 4 Kibit (512 bytes, so
// that a plan with a few secrets does not pay for a large one) and 1 Mibit.
const (
	bitsPerSecret = 32
	minFilterBits = 1 << 12
	maxFilterBits = 1 << 20
)

// New returns a Replacer of the non-empty secrets, in order, or nil when
// there are none.
func New(secrets []string, placeholder string) *Replacer {
	var kept []string
	for _, s := range secrets {
		if s != "" {
			kept = append(kept, s)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	r := &Replacer{placeholder: placeholder}
	for _, s := range kept {
		r.multiline = r.multiline || strings.Contains(s, "\n")
	}
	for _, s := range kept {
		if len(s) < 3 {
			pairs := make([]string, 0, 2*len(kept))
			for _, s := range kept {
				pairs = append(pairs, s, placeholder)
			}
			r.fallback = strings.NewReplacer(pairs...)
			return r
		}
	}
	n := min(max(bitsPerSecret*len(kept), minFilterBits), maxFilterBits)
	log := bits.Len(uint(n - 1)) // n rounded up to a power of two is 1<<log
	r.bits = make([]uint64, (1<<log)/64)
	r.shift = uint32(32 - log)
	r.byPrefix = make(map[uint32][]string, len(kept))
	for _, s := range kept {
		k := prefix3(s, 0)
		h := r.hash(k)
		r.bits[h>>6] |= 1 << (h & 63)
		r.byPrefix[k] = append(r.byPrefix[k], s)
	}
	return r
}

func prefix3(s string, i int) uint32 {
	return uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])
}

func (r *Replacer) hash(k uint32) uint32 { return (k * 0x9E3779B1) >> r.shift }

// Replace returns s with every secret replaced (s itself when none occurs).
func (r *Replacer) Replace(s string) string {
	if r == nil {
		return s
	}
	if r.fallback != nil {
		return r.fallback.Replace(s)
	}
	var b strings.Builder
	r.each(s, func(i int, match string) {
		if b.Cap() == 0 {
			// Room for the text and some growth: a placeholder may be
			// longer than the secret it replaces.
			b.Grow(len(s) + len(s)/8 + len(r.placeholder))
		}
		b.WriteString(s[:i])
		b.WriteString(r.placeholder)
		s = s[i+len(match):]
	})
	if b.Cap() == 0 {
		return s
	}
	b.WriteString(s)
	return b.String()
}

// ReplaceTo writes s to w with every secret replaced, without building the
// replaced text.
func (r *Replacer) ReplaceTo(w io.Writer, s string) error {
	if r == nil {
		_, err := io.WriteString(w, s)
		return err
	}
	if r.fallback != nil {
		_, err := r.fallback.WriteString(w, s)
		return err
	}
	var err error
	r.each(s, func(i int, match string) {
		if err == nil {
			_, err = io.WriteString(w, s[:i])
		}
		if err == nil {
			_, err = io.WriteString(w, r.placeholder)
		}
		s = s[i+len(match):]
	})
	if err == nil {
		_, err = io.WriteString(w, s)
	}
	return err
}

// each calls f for every secret found in s, left to right, with its offset
// counted from the end of the previous one (f is expected to cut s there).
func (r *Replacer) each(s string, f func(i int, match string)) {
	last := 0
	for i := 0; i+3 <= len(s); {
		k := prefix3(s, i)
		if h := r.hash(k); r.bits[h>>6]&(1<<(h&63)) == 0 {
			i++
			continue
		}
		match := ""
		for _, sec := range r.byPrefix[k] {
			if strings.HasPrefix(s[i:], sec) {
				match = sec
				break
			}
		}
		if match == "" {
			i++
			continue
		}
		f(i-last, match)
		i += len(match)
		last = i
	}
}

// Keep is a set of structural strings (resource addresses, resource
// headers such as `resource "null_resource" "bar"`) whose occurrences a
// Replacer leaves whole in ReplaceKeeping: a secret whose value happens to
// be "bar" must not turn null_resource.bar into null_resource.(sensitive
// value), because the address is a name, not a value. A Keep is safe for
// concurrent use.
type Keep struct {
	words []string
	// only, when set, limits the keeping to these secrets: the others are
	// replaced even inside a kept word.
	only map[string]bool

	mu sync.Mutex
	// within caches, per secret, the kept words that contain it.
	within map[string][]string
}

// NewKeep returns a Keep of the non-empty words, for every secret.
func NewKeep(words []string) *Keep { return NewKeepFor(words, nil) }

// NewKeepFor returns a Keep of the non-empty words that keeps only the
// given secrets whole inside them (nil: every secret). lockstep keeps
// Terraform's sensitive values, which Terraform refuses in for_each and
// count and so can only match a name by chance, but not the run's own
// secrets (tokens, secret-env values), which a configuration could put into
// an instance key on purpose.
func NewKeepFor(words, secrets []string) *Keep {
	k := &Keep{within: map[string][]string{}}
	for _, w := range words {
		if w != "" {
			k.words = append(k.words, w)
		}
	}
	if secrets != nil {
		k.only = make(map[string]bool, len(secrets))
		for _, s := range secrets {
			k.only[s] = true
		}
	}
	return k
}

// covers reports whether the secret found at s[i:i+len(secret)] lies wholly
// inside an occurrence in s of a kept word.
func (k *Keep) covers(s string, i int, secret string) bool {
	if k == nil || len(k.words) == 0 || (k.only != nil && !k.only[secret]) {
		return false
	}
	k.mu.Lock()
	ws, ok := k.within[secret]
	if !ok {
		for _, w := range k.words {
			if len(w) > len(secret) && strings.Contains(w, secret) {
				ws = append(ws, w)
			}
		}
		k.within[secret] = ws
	}
	k.mu.Unlock()
	for _, w := range ws {
		for off := 0; off+len(secret) <= len(w); {
			j := strings.Index(w[off:], secret)
			if j < 0 {
				break
			}
			start := i - (off + j)
			if start >= 0 && start+len(w) <= len(s) && s[start:start+len(w)] == w {
				return true
			}
			off += j + 1
		}
	}
	return false
}

// ReplaceKeeping is Replace, except that a secret occurring wholly inside
// an occurrence of one of keep's words is left alone; the search then goes
// on from the next byte, so that another secret overlapping the kept one is
// still replaced. With a nil or empty keep it is Replace.
func (r *Replacer) ReplaceKeeping(s string, keep *Keep) string {
	if r == nil || keep == nil || len(keep.words) == 0 {
		return r.Replace(s)
	}
	if r.fallback != nil {
		// A secret under 3 bytes: no bitmap to find positions with. Such
		// secrets never come from Summarize (redact.WorthMasking); replace
		// plainly rather than keep.
		return r.fallback.Replace(s)
	}
	var b strings.Builder
	last := 0
	for i := 0; i+3 <= len(s); {
		k := prefix3(s, i)
		if h := r.hash(k); r.bits[h>>6]&(1<<(h&63)) == 0 {
			i++
			continue
		}
		match := ""
		for _, sec := range r.byPrefix[k] {
			if strings.HasPrefix(s[i:], sec) {
				match = sec
				break
			}
		}
		if match == "" || keep.covers(s, i, match) {
			i++
			continue
		}
		if b.Cap() == 0 {
			b.Grow(len(s) + len(r.placeholder))
		}
		b.WriteString(s[last:i])
		b.WriteString(r.placeholder)
		i += len(match)
		last = i
	}
	if b.Cap() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Contains reports whether any secret occurs in s.
func (r *Replacer) Contains(s string) bool {
	if r == nil {
		return false
	}
	if r.fallback != nil {
		return r.fallback.Replace(s) != s
	}
	found := false
	r.each(s, func(int, string) { found = true })
	return found
}
