package comment

import "strings"

// SameContent reports whether two comment bodies say the same thing: equal
// but for their footer (the last line starting with "<sub>", which carries
// the update time and the plan file's checksum, both new on every run), line
// endings and trailing blanks. Re-running an unchanged plan then leaves the
// pull request's comment untouched.
func SameContent(old, new string) bool {
	return withoutFooter(old) == withoutFooter(new)
}

func withoutFooter(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\n")
	if i := strings.LastIndex(s, "\n<sub>"); i >= 0 && !strings.Contains(s[i+1:], "\n") {
		s = strings.TrimRight(s[:i], " \t\n")
	}
	return s
}
