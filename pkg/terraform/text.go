package terraform

import "strings"

// DisplayText cuts Terraform's human plan output down to what a reviewer
// reads: from "Terraform will perform the following actions:" (or "No
// changes.") to the end of the plan, dropping the refresh progress lines
// before it and the "Saved the plan to" advice after the horizontal rule.
// It is only for display; lockstep's data comes from show -json.
func DisplayText(stdout string) string {
	s := stdout
	for _, start := range []string{"Terraform will perform the following actions:", "No changes."} {
		if i := strings.Index(s, start); i >= 0 {
			s = s[i:]
			if start != "No changes." {
				s = strings.TrimPrefix(s[len(start):], "\n")
			}
			break
		}
	}
	if i := strings.Index(s, "\n─"); i >= 0 {
		s = s[:i]
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
