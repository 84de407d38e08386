package comment

import "strings"

// fingerprintLen is the length of a plan fingerprint: a SHA-256 in lowercase
// hex (see plan.Fingerprint).
const fingerprintLen = 64

// fingerprintPrefix starts the hidden line that carries the full
// fingerprint. Everything else a comment renders has markerPrefix
// neutralised (see sanitize), so only the renderer can write this line.
const fingerprintPrefix = markerPrefix + "fingerprint "

const fingerprintSuffix = " -->"

// fingerprintLine is the hidden line carrying fp in full, or "" when fp is
// not a well-formed fingerprint (then nothing can be compared later).
func fingerprintLine(fp string) string {
	if !validFingerprint(fp) {
		return ""
	}
	return fingerprintPrefix + fp + fingerprintSuffix
}

// ParseFingerprint returns the full plan fingerprint a rendered comment
// carries in its hidden fingerprint line (the visible footer shows only a
// prefix). ok is false when there is no such line or the last one is
// malformed: the caller cannot compare, which never means "the same".
func ParseFingerprint(body string) (fp string, ok bool) {
	var last string
	for line := range strings.Lines(body) {
		line = strings.TrimRight(line, " \t\r\n")
		if strings.HasPrefix(line, fingerprintPrefix) {
			last = line
		}
	}
	fp, found := strings.CutPrefix(last, fingerprintPrefix)
	if !found {
		return "", false
	}
	fp, found = strings.CutSuffix(fp, fingerprintSuffix)
	if !found || !validFingerprint(fp) {
		return "", false
	}
	return fp, true
}

// validFingerprint reports whether s is exactly 64 lowercase hex digits.
func validFingerprint(s string) bool {
	if len(s) != fingerprintLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
