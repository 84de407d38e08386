package terraform

import "strings"

// planStarts are the lines where the part of a plan's human output that a
// reviewer reads begins, most specific first. Terraform and OpenTofu name
// themselves in the first; the other two are the same in both. A plan that
// changes only outputs has no "will perform" line and starts at "Changes to
// Outputs:".
var planStarts = []struct {
	line string
	keep bool // whether the line itself is shown
}{
	{"Terraform will perform the following actions:", false},
	{"OpenTofu will perform the following actions:", false},
	{"Changes to Outputs:", true},
	{"No changes.", true},
}

// DisplayText cuts Terraform's (or OpenTofu's) human plan output down to
// what a reviewer reads: from "Terraform will perform the following
// actions:" (or OpenTofu's, or "Changes to Outputs:", or "No changes.") to
// the end of the plan, dropping what comes before it and the "Saved the plan
// to" advice after the horizontal rule. It is only for display; lockstep's
// data comes from show -json.
//
// What comes before is the refresh progress ("x: Refreshing state... [id=1]",
// "data.y: Reading...") and the note on changes made outside Terraform
// (which the comment shows from show -json instead). The progress lines are
// dropped, not sorted, also from text without a start line: they say nothing
// about the plan, a large stack prints hundreds of them, and OpenTofu prints
// them in a different order on every run, so keeping them would make an
// unchanged plan's comment look changed and be edited again on every run.
func DisplayText(stdout string) string {
	s, found := stdout, false
	for _, start := range planStarts {
		if i := lineIndex(s, start.line); i >= 0 {
			s, found = s[i:], true
			if !start.keep {
				s = strings.TrimPrefix(s[len(start.line):], "\n")
			}
			break
		}
	}
	if i := strings.Index(s, "\n─"); i >= 0 {
		s = s[:i]
	}
	if !found {
		s = dropProgress(s)
	}
	s = strings.TrimLeft(s, "\n")
	// One trailing newline: a slice of stdout when it has one there, so
	// that the plan text (a quarter of the plan JSON's size) is not copied.
	trimmed := strings.TrimRight(s, "\n")
	if len(trimmed) < len(s) {
		return s[:len(trimmed)+1]
	}
	return trimmed + "\n"
}

// lineIndex is the index of the first line of s that starts with prefix, or
// -1.
func lineIndex(s, prefix string) int {
	for at := 0; at < len(s); {
		i := strings.Index(s[at:], prefix)
		if i < 0 {
			return -1
		}
		i += at
		if i == 0 || s[i-1] == '\n' {
			return i
		}
		at = i + 1
	}
	return -1
}

// progressSuffixes end (or, with their "[id=…]" or time, begin the end of)
// the progress lines Terraform and OpenTofu print for each resource and data
// source while they refresh: "addr: Refreshing state... [id=1]",
// "addr: Reading...", "addr: Read complete after 0s [id=1]",
// "addr: Still reading... [10s elapsed]".
var progressSuffixes = []string{": Refreshing state...", ": Reading...", ": Read complete after ", ": Still reading..."}

// dropProgress removes the refresh progress lines from s.
func dropProgress(s string) string {
	var b strings.Builder
	for line := range strings.SplitAfterSeq(s, "\n") {
		if !isProgress(line) {
			b.WriteString(line)
		}
	}
	return b.String()
}

func isProgress(line string) bool {
	if strings.HasPrefix(line, " ") {
		return false // inside a block: an attribute's value
	}
	for _, suffix := range progressSuffixes {
		if strings.Contains(line, suffix) {
			return true
		}
	}
	return false
}
