package comment

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

const (
	zwj          = "\u200d" // breaks @mentions and #refs without showing
	markerPrefix = "<!-- lockstep:"
)

// isBidi reports the invisible direction controls that can make text read
// differently from what it is ("Trojan Source"): embeddings, overrides,
// isolates and marks.
func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// sanitize removes ANSI escape sequences, C0 and C1 control characters and
// bidi controls, and replaces invalid UTF-8 with U+FFFD. With multiline,
// newlines and tabs are kept (CR is dropped); otherwise line breaks and tabs
// become spaces. Line and paragraph separators become spaces too. Finally it
// breaks every "<!-- lockstep:" with a zero-width joiner, so that content can
// never contain, let alone start a line with, the marker prefix.
func sanitize(s string, multiline bool) string {
	if isClean(s, multiline) {
		return s
	}
	s = strip(s, multiline)
	if strings.Contains(s, markerPrefix) {
		s = strings.ReplaceAll(s, markerPrefix, markerPrefix[:len(markerPrefix)-1]+zwj+":")
	}
	return s
}

func strip(s string, multiline bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
			i++
			continue
		case r == 0x1b: // ESC
			i = skipEscape(s, i+1)
			continue
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, SOS, PM, APC
			i = skipString(s, i+size)
			continue
		case r == '\n' || r == '\t':
			if multiline {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case r == '\r':
			if !multiline {
				b.WriteByte(' ')
			}
		case r == 0x2028 || r == 0x2029:
			b.WriteByte(' ')
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || isBidi(r):
			// dropped
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isClean is the fast path of sanitize: printable ASCII (plus newline and tab
// when multiline) without the marker prefix needs no work.
func isClean(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		if multiline && (c == '\n' || c == '\t') {
			continue
		}
		return false
	}
	return !strings.Contains(s, markerPrefix)
}

// skipEscape skips the rest of an escape sequence whose ESC ended at i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// Two-character sequences (ESC c, ESC 7, ESC ( B ...): drop one more
	// character, which is always printable ASCII here or not an escape at
	// all.
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

// skipCSI skips parameter and intermediate bytes up to and including the
// final byte of a control sequence.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 || c > 0x3f {
			// Not a CSI byte: the sequence is broken; stop here.
			return i - 1
		}
	}
	return i
}

// skipString skips an OSC/DCS-style string up to BEL or ST (ESC \), or to
// the end of the line when it is never terminated.
func skipString(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case 0x07:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		case '\n':
			return i
		}
		i++
	}
	return i
}

// EscapeText sanitises s and escapes it so that it renders as the same plain
// text in Markdown, inside table cells and HTML: the characters that start
// emphasis, code, links, images, strikethrough, math, tables or HTML are
// backslash-escaped or turned into entities, a leading character that would
// start a heading, list or quote is escaped, and @mentions and #123
// references are broken with a zero-width joiner so that GitHub neither links
// nor notifies. Line breaks become spaces.
func EscapeText(s string) string {
	s = sanitize(s, false)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	lead := true // still at the start, where list and heading markers count
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '@':
			b.WriteString("@" + zwj)
		case '#':
			b.WriteString(`\#` + zwj)
		case '\\', '`', '*', '_', '[', ']', '|', '~', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '-', '=':
			if lead { // a list item or a setext heading underline
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '+', '.', ')':
			if lead && (i+1 == len(s) || s[i+1] == ' ') { // "+ item", "1. item", "1) item"
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
		// Digits keep the lead so that "1." is escaped like "-".
		lead = lead && (c == ' ' || c >= '0' && c <= '9')
	}
	return b.String()
}

// escapeHTML escapes text for raw HTML lines such as <summary>, where
// Markdown escapes would show literally.
func escapeHTML(s string) string {
	s = sanitize(s, false)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '@':
			b.WriteString("@" + zwj)
		case '#':
			b.WriteString("#" + zwj)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// Code sanitises s and returns it as an inline code span: delimited by a
// backtick run longer than any inside it, padded with spaces when it starts
// or ends with a backtick or a space (CommonMark strips one of each). GitHub
// renders nothing inside a code span as Markdown or HTML and links no
// mentions in it. An empty s gives an empty string. Inside a table cell, use
// it through cellCode, which also escapes |.
func Code(s string) string {
	s = sanitize(s, false)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if s[0] == '`' || s[len(s)-1] == '`' ||
		(s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// cellCode is Code for a table cell: GFM splits cells on | before it parses
// code spans, so every | is escaped, even inside the span.
func cellCode(s string) string {
	return strings.ReplaceAll(Code(s), "|", `\|`)
}

// truncate cuts s to at most n runes, ending with "…" when it cut.
func truncate(s string, n int) string { return plan.TruncateRunes(s, n) }

// prefix returns the first n runes of s.
func prefix(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// Duration rounds d to what a reader of a report needs: milliseconds under
// a second, tenths of a second under a minute, else seconds.
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
