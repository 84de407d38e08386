package comment

import (
	"testing"
	"unicode/utf8"
)

// preparePlanText measures lines before diffLine and applies it only to the
// lines written out: diffLine must keep every line's size and backticks.
func FuzzDiffLineKeepsSize(f *testing.F) {
	for _, s := range []string{
		"      + id = (known after apply)", "  ~ resource \"a\" \"b\" {", "-/+ resource", "  -/+ x", "+/- y",
		"  <= data", "      ~ tags = { `a` }", "~", "   ", "  - é", "\t+ tab",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		d := diffLine(line)
		if len(d) != len(line) || utf8.RuneCountInString(d) != utf8.RuneCountInString(line) ||
			longestRun(d, '`') != longestRun(line, '`') {
			t.Fatalf("diffLine(%q) = %q changes the line's size", line, d)
		}
	})
}
