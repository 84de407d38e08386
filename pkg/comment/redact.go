package comment

import "strings"

// redactor replaces secrets with a placeholder exactly as
// strings.NewReplacer(secret1, placeholder, secret2, placeholder, …) does:
// left to right, without overlaps, at each position the first secret in the
// given order that starts there. strings.Replacer looks every position up in
// a trie, which costs a few hundred milliseconds on the plan text of a large
// plan with thousands of secrets; a redactor first tests the position's
// three bytes against a bitmap of the secrets' first three bytes, so that
// almost every position costs one load and a multiplication.
type redactor struct {
	placeholder string
	secrets     []string
	bits        []uint64            // filterBits bits, hashed 3-byte prefixes
	byPrefix    map[uint32][]string // 3-byte prefix -> secrets, in order
	fallback    *strings.Replacer   // when a secret is shorter than 3 bytes
}

const filterBits = 1 << 20

// newRedactor returns nil when there is nothing to redact.
func newRedactor(secrets []string, placeholder string) *redactor {
	r := &redactor{placeholder: placeholder}
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	if len(r.secrets) == 0 {
		return nil
	}
	for _, s := range r.secrets {
		if len(s) < 3 {
			pairs := make([]string, 0, 2*len(r.secrets))
			for _, s := range r.secrets {
				pairs = append(pairs, s, placeholder)
			}
			r.fallback = strings.NewReplacer(pairs...)
			return r
		}
	}
	r.bits = make([]uint64, filterBits/64)
	r.byPrefix = make(map[uint32][]string, len(r.secrets))
	for _, s := range r.secrets {
		k := prefix3(s, 0)
		h := filterHash(k)
		r.bits[h>>6] |= 1 << (h & 63)
		r.byPrefix[k] = append(r.byPrefix[k], s)
	}
	return r
}

func prefix3(s string, i int) uint32 {
	return uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])
}

func filterHash(k uint32) uint32 { return (k * 0x9E3779B1) >> (32 - 20) }

// Replace returns s with every secret replaced (s itself when none occurs).
func (r *redactor) Replace(s string) string {
	if r == nil {
		return s
	}
	if r.fallback != nil {
		return r.fallback.Replace(s)
	}
	var b strings.Builder
	last := 0
	for i := 0; i+3 <= len(s); {
		k := prefix3(s, i)
		if h := filterHash(k); r.bits[h>>6]&(1<<(h&63)) == 0 {
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
		if b.Cap() == 0 {
			// Room for the text and some growth: a placeholder may be
			// longer than the secret it replaces.
			b.Grow(len(s) + len(s)/8 + len(r.placeholder))
		}
		b.WriteString(s[last:i])
		b.WriteString(r.placeholder)
		i += len(match)
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
