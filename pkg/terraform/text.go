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
	return strings.Trim(s, "\n") + "\n"
}
