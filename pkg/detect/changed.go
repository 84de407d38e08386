package detect

import (
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// ModuleReason prefixes a Result.Reasons entry that names a changed module
// rather than a changed file: "module modules/tags".
const ModuleReason = "module "

// Result is what Changed found.
type Result struct {
	// Stacks are the changed stacks' directories, sorted.
	Stacks []string
	// Deleted are directories that held Terraform files, lost all of them
	// and are no longer a stack or a module of one, sorted. A deleted stack's
	// resources are still in its state: report it, never drop it silently.
	// Without stacks globs a deleted module directory shows here too; with
	// them, keep only the stacks with MatchDirs(globs, Deleted).
	Deleted []string
	// Reasons maps each changed stack, and each deleted directory, to what
	// made it so: its own changed or deleted files, then ModuleReason plus
	// each changed module it calls, each group sorted.
	Reasons map[string][]string
}

// Changed decides which stacks the changed and deleted files touch. Paths are
// repository-relative with / separators; paths outside the repository are
// ignored.
//
// A file belongs to the nearest enclosing directory that is a stack or a
// module of one, so a file in a stack's subdirectory counts for the stack
// unless that subdirectory is itself a stack or module. A stack changed when
// a file of its own changed or was deleted, or a file of any module in
// Stack.Modules did. The work is linear in the number of files (times path
// depth) plus the total size of the stacks' module lists.
func Changed(stacks []Stack, changedFiles []string, deleted []string) Result {
	units := map[string]bool{}
	for _, s := range stacks {
		units[s.Dir] = true
		for _, m := range s.Modules {
			units[m] = true
		}
	}

	touched := map[string][]string{} // unit dir -> its changed files
	seen := map[string]bool{}
	addFile := func(f string) {
		if seen[f] {
			return
		}
		seen[f] = true
		if u, ok := owner(units, f); ok {
			touched[u] = append(touched[u], f)
		}
	}
	for _, f := range changedFiles {
		if f, ok := cleanPath(f); ok {
			addFile(f)
		}
	}
	var gone []string // deleted files, cleaned
	for _, f := range deleted {
		if f, ok := cleanPath(f); ok {
			addFile(f)
			gone = append(gone, f)
		}
	}

	res := Result{Reasons: map[string][]string{}}
	done := map[string]bool{}
	for _, s := range stacks {
		if done[s.Dir] {
			continue
		}
		done[s.Dir] = true
		reasons := slices.Clone(touched[s.Dir])
		slices.Sort(reasons)
		for _, m := range s.Modules { // sorted by Discover
			if len(touched[m]) > 0 {
				reasons = append(reasons, ModuleReason+m)
			}
		}
		if len(reasons) > 0 {
			res.Stacks = append(res.Stacks, s.Dir)
			res.Reasons[s.Dir] = reasons
		}
	}
	slices.Sort(res.Stacks)

	// A directory lost its Terraform files when one was deleted and it is not
	// a current stack or module (Discover ran on the tree after the change).
	deletedDirs := map[string]bool{}
	for _, f := range gone {
		if dir := path.Dir(f); isTerraformFile(path.Base(f)) && !units[dir] && !deletedDirs[dir] {
			deletedDirs[dir] = true
			res.Deleted = append(res.Deleted, dir)
		}
	}
	slices.Sort(res.Deleted)
	if len(deletedDirs) > 0 {
		for _, f := range gone {
			for dir := path.Dir(f); ; dir = path.Dir(dir) {
				if deletedDirs[dir] {
					res.Reasons[dir] = append(res.Reasons[dir], f)
				}
				if dir == "." {
					break
				}
			}
		}
		for _, dir := range res.Deleted {
			slices.Sort(res.Reasons[dir])
		}
	}
	return res
}

// owner is the nearest directory enclosing file that is in units.
func owner(units map[string]bool, file string) (string, bool) {
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		if units[dir] {
			return dir, true
		}
		if dir == "." {
			return "", false
		}
	}
}

// cleanPath normalises a repository-relative path; ok is false for paths
// that are empty or leave the repository.
func cleanPath(p string) (string, bool) {
	p = path.Clean(p)
	if p == "." || p == ".." || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// PathsChanged reports whether any file matches any of the doublestar globs
// (the infra-paths or app-paths input). No globs match nothing; an invalid
// pattern matches nothing (the policy file and the inputs are validated when
// they are loaded).
func PathsChanged(globs, files []string) bool {
	if len(globs) == 0 {
		return false
	}
	for _, f := range files {
		f, ok := cleanPath(f)
		if !ok {
			continue
		}
		for _, g := range globs {
			if match, _ := doublestar.Match(g, f); match {
				return true
			}
		}
	}
	return false
}
