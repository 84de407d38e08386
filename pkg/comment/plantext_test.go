package comment

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/redact"
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

// Redacting line by line (the usual plan text) prepares exactly what
// redacting and sanitising the whole text does.
func FuzzPreparePlanText(f *testing.F) {
	f.Add("  + a = \"s3cr3t\"\n  ~ b = 1\n", "s3cr3t", "b =")
	f.Add("x\n\ny <!-- lock", "y", "zzz")
	f.Add("tab\there s3\n", "s3", "\n")
	f.Add("a  \nsecret  \n", "secret", " ")
	f.Add("k = (sensitive value)\nBEGIN\nkey\nEND\n", "BEGIN\nkey\nEND", "key")
	f.Add("k = 1\nBEGIN\nkey\n", "BEGIN\nkey\nEND", "key")
	f.Fuzz(func(t *testing.T, text, a, b string) {
		r := redact.New([]string{a, b}, redacted)
		for _, measure := range []func(string) int{utf8.RuneCountInString, func(s string) int { return len(s) }} {
			got := preparePlanText(text, r, nil, 40, measure)
			want := splitPlanText(sanitize(r.Replace(text), true), func(l string) string {
				return truncate(strings.TrimRight(l, " \t"), 40)
			}, measure)
			gotLines, wantLines := lines(got), lines(want)
			if !slices.Equal(gotLines, wantLines) || !slices.Equal(got.sizes, want.sizes) || got.total != want.total || got.fence != want.fence {
				t.Fatalf("text %q secrets %q %q:\n got %q\nwant %q", text, a, b, gotLines, wantLines)
			}
		}
	})
}

func lines(pt planText) []string {
	var out []string
	for i := range pt.count() {
		out = append(out, pt.prepared(i))
	}
	return out
}
