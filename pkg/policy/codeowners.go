package policy

import (
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// CodeownersPaths are where GitHub looks for CODEOWNERS, in its order: the
// first that exists is used.
var CodeownersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// CodeownersRule is one line of a CODEOWNERS file: a gitignore-style
// pattern and its owners (@user, @org/team or an email address).
type CodeownersRule struct {
	Pattern string
	Owners  []string
}

// ParseCodeowners reads a CODEOWNERS file's rules in file order. Comments,
// blank lines and lines with an invalid pattern are skipped, as GitHub
// skips them.
func ParseCodeowners(text string) []CodeownersRule {
	var rules []CodeownersRule
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if !doublestar.ValidatePattern(strings.Trim(fields[0], "/")) {
			continue
		}
		rules = append(rules, CodeownersRule{Pattern: fields[0], Owners: fields[1:]})
	}
	return rules
}

// DirectoryOwners returns the owners of directory dir (slash-separated,
// relative to the repository root) under rules: the last rule whose pattern
// matches dir or one of its parents wins, as on GitHub; a winning rule
// without owners leaves dir unowned. A pattern that names only files (such
// as *.tf) does not own a directory.
func DirectoryOwners(rules []CodeownersRule, dir string) []string {
	dir = strings.Trim(path.Clean(dir), "/")
	var owners []string
	for _, r := range rules {
		if codeownersMatch(r.Pattern, dir) {
			owners = nil
			if len(r.Owners) > 0 {
				owners = r.Owners
			}
		}
	}
	return owners
}

// codeownersMatch reports whether a gitignore-style pattern matches dir or
// a parent of it. A slash at the start or in the middle anchors the
// pattern at the root; a trailing slash matches only directories.
func codeownersMatch(pattern, dir string) bool {
	p := strings.TrimSuffix(pattern, "/")
	anchored := strings.Contains(p, "/")
	p = strings.TrimPrefix(p, "/")
	if p == "" || p == "**" || p == "*" {
		return true
	}
	if !anchored {
		p = "**/" + p
	}
	for d := dir; d != "." && d != ""; d = path.Dir(d) {
		if ok, _ := doublestar.Match(p, d); ok {
			return true
		}
	}
	return false
}
