package metrics

import (
	"strings"
	"unicode"
)

// Measured splits an alert-style query at its one top-level comparison and
// returns the measured side: "sum(rate(errors[1m])) / sum(rate(all[1m]))"
// for that expression followed by "> 0.05". A healthy query returns nothing,
// and so does one that measures nothing (no traffic, a misspelt metric);
// the measured side tells the two apart, for metrics-require-data.
//
// It reads PromQL's lexical structure (strings, comments, nesting) without
// parsing it: ok is false when the query has no top-level comparison, has
// several, or combines terms with and, or, unless (which bind looser than a
// comparison), so that what is left of the operator is not the whole
// measured value.
func Measured(q string) (string, bool) {
	depth := 0
	at, ops := -1, 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '"', '\'', '`':
			i = skipString(q, i)
			continue
		case '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
			continue
		case '(', '[', '{':
			depth++
			continue
		case ')', ']', '}':
			depth--
			continue
		}
		if depth != 0 {
			continue
		}
		switch {
		case c == '=' && i+1 < len(q) && q[i+1] == '=',
			c == '!' && i+1 < len(q) && q[i+1] == '=',
			(c == '>' || c == '<') && i+1 < len(q) && q[i+1] == '=':
			at, ops = i, ops+1
			i++
		case c == '>' || c == '<':
			at, ops = i, ops+1
		case isIdentStart(c) && (i == 0 || !isIdentPart(q[i-1])):
			j := i
			for j < len(q) && isIdentPart(q[j]) {
				j++
			}
			switch strings.ToLower(q[i:j]) {
			case "and", "or", "unless":
				return "", false
			}
			i = j - 1
		}
	}
	if ops != 1 {
		return "", false
	}
	lhs := strings.TrimSpace(q[:at])
	return lhs, lhs != ""
}

// skipString returns the index of the quote closing the string that opens
// at q[i]: backslash escapes inside double and single quotes, none inside
// backquotes.
func skipString(q string, i int) int {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch {
		case q[j] == '\\' && quote != '`':
			j++
		case q[j] == quote:
			return j
		}
	}
	return len(q)
}

func isIdentStart(c byte) bool { return c == '_' || c == ':' || unicode.IsLetter(rune(c)) }
func isIdentPart(c byte) bool  { return isIdentStart(c) || (c >= '0' && c <= '9') }
