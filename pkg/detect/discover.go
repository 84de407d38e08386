package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/terraform-config-inspect/tfconfig"
)

// Stack is a Terraform root module.
type Stack struct {
	// Dir is the stack's directory, relative to the repository root, with /
	// separators; "." for the root itself.
	Dir string
	// Modules are the local module directories the stack calls, directly or
	// through other modules, repository-relative and sorted.
	Modules []string
}

// Discover finds the stacks in fsys, whose root is the repository root.
//
// With stackGlobs (doublestar patterns, the policy file's stacks), the stacks
// are the matching directories that hold Terraform files. Without, they are
// every directory holding Terraform files that no other directory calls as a
// local module. Terraform files are *.tf and *.tf.json, ignoring the hidden
// and editor-backup files Terraform ignores; hidden directories (such as
// .terraform and .git) and node_modules are skipped.
//
// Only local module sources ("./", "../") are followed; registry, git and
// other remote sources are ignored, as are local sources that leave the
// repository or name a directory without Terraform files. A file that may
// hold a module block but cannot be parsed is an error naming the file and
// line; other syntax errors are left to terraform validate.
func Discover(fsys fs.FS, stackGlobs []string) ([]Stack, error) {
	for _, g := range stackGlobs {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("stacks glob %q is not a valid pattern", g)
		}
	}
	idx, err := indexTerraformFiles(fsys)
	if err != nil {
		return nil, err
	}
	g := &graph{idx: idx, calls: map[string][]string{}, closures: map[string][]string{}, visiting: map[string]bool{}}

	var stackDirs []string
	if len(stackGlobs) > 0 {
		stackDirs = MatchDirs(stackGlobs, idx.dirs)
	} else {
		called := map[string]bool{}
		for _, dir := range idx.dirs {
			calls, err := g.directCalls(dir)
			if err != nil {
				return nil, err
			}
			for _, c := range calls {
				if c != dir {
					called[c] = true
				}
			}
		}
		for _, dir := range idx.dirs {
			if !called[dir] {
				stackDirs = append(stackDirs, dir)
			}
		}
	}

	stacks := make([]Stack, 0, len(stackDirs))
	for _, dir := range stackDirs {
		mods, err := g.closure(dir)
		if err != nil {
			return nil, err
		}
		s := Stack{Dir: dir}
		if len(mods) > 0 {
			s.Modules = slices.Clone(mods)
		}
		stacks = append(stacks, s)
	}
	return stacks, nil
}

// MatchDirs returns the dirs that match any of the doublestar globs, in the
// order given. Invalid patterns match nothing. Use it with the policy file's
// stacks globs to keep, of Result.Deleted, only directories that were stacks.
func MatchDirs(globs, dirs []string) []string {
	var out []string
	for _, d := range dirs {
		for _, g := range globs {
			if ok, _ := doublestar.Match(g, d); ok {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// isTerraformFile reports whether Terraform reads a file of this base name
// as configuration: *.tf and *.tf.json, except hidden and editor files.
func isTerraformFile(name string) bool {
	if !strings.HasSuffix(name, ".tf") && !strings.HasSuffix(name, ".tf.json") {
		return false
	}
	return !strings.HasPrefix(name, ".") &&
		!strings.HasSuffix(name, "~") &&
		!(strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"))
}

// skipDir reports whether Discover skips a directory of this base name.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "node_modules"
}

// tfIndex holds the Terraform files of a repository by directory, so parsing
// a directory never lists it again.
type tfIndex struct {
	fsys  fs.FS
	dirs  []string            // sorted
	files map[string][]string // dir -> Terraform file base names
}

func indexTerraformFiles(fsys fs.FS) (*tfIndex, error) {
	idx := &tfIndex{fsys: fsys, files: map[string][]string{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && skipDir(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if isTerraformFile(d.Name()) {
			dir := path.Dir(p)
			if _, seen := idx.files[dir]; !seen {
				idx.dirs = append(idx.dirs, dir)
			}
			idx.files[dir] = append(idx.files[dir], d.Name())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing Terraform files: %w", err)
	}
	slices.Sort(idx.dirs)
	return idx, nil
}

// graph resolves and memoises module calls and their transitive closures.
type graph struct {
	idx      *tfIndex
	calls    map[string][]string // dir -> local module dirs called directly
	closures map[string][]string // dir -> sorted transitive module dirs
	visiting map[string]bool
}

// directCalls parses dir once and returns the local module directories it
// calls, sorted and without duplicates. Only files that can hold a module
// block are parsed: JSON files, and native files containing the word
// "module" (the block's keyword must appear literally), which skips most
// variables.tf, outputs.tf and versions.tf files.
func (g *graph) directCalls(dir string) ([]string, error) {
	if calls, ok := g.calls[dir]; ok {
		return calls, nil
	}
	files := moduleFiles{fsys: g.idx.fsys, dir: dir, data: map[string][]byte{}}
	for _, name := range g.idx.files[dir] {
		p := path.Join(dir, name)
		b, err := fs.ReadFile(g.idx.fsys, p)
		if err != nil {
			return nil, fmt.Errorf("reading module calls in %s: %w", dir, err)
		}
		if strings.HasSuffix(name, ".tf.json") || bytes.Contains(b, []byte("module")) {
			files.names = append(files.names, name)
			files.data[p] = b
		}
	}
	var calls []string
	if len(files.names) > 0 {
		mod, diags := tfconfig.LoadModuleFromFilesystem(files, dir)
		if diags.HasErrors() {
			return nil, fmt.Errorf("reading module calls in %s: %w", dir, diagError(diags))
		}
		for _, mc := range mod.ModuleCalls {
			target, ok := localSource(dir, mc.Source)
			if !ok {
				continue
			}
			if _, isTF := g.idx.files[target]; isTF && !slices.Contains(calls, target) {
				calls = append(calls, target)
			}
		}
		slices.Sort(calls)
	}
	g.calls[dir] = calls
	return calls, nil
}

// closure returns every local module dir reaches through module calls,
// sorted. Module cycles (which Terraform rejects) end the walk instead of
// recursing forever.
func (g *graph) closure(dir string) ([]string, error) {
	if c, ok := g.closures[dir]; ok {
		return c, nil
	}
	if g.visiting[dir] {
		return nil, nil
	}
	g.visiting[dir] = true
	defer delete(g.visiting, dir)

	calls, err := g.directCalls(dir)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, c := range calls {
		set[c] = true
		sub, err := g.closure(c)
		if err != nil {
			return nil, err
		}
		for _, m := range sub {
			set[m] = true
		}
	}
	delete(set, dir)
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	slices.Sort(out)
	g.closures[dir] = out
	return out, nil
}

// localSource resolves a module source relative to the calling directory
// when it is a local path that stays inside the repository.
func localSource(dir, source string) (string, bool) {
	if !strings.HasPrefix(source, "./") && !strings.HasPrefix(source, "../") {
		return "", false
	}
	target := path.Join(dir, source)
	if target == ".." || strings.HasPrefix(target, "../") {
		return "", false
	}
	return target, true
}

// diagError is the first error diagnostic, located when it can be.
func diagError(diags tfconfig.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != tfconfig.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Pos != nil && d.Pos.Filename != "" {
			msg = fmt.Sprintf("%s:%d: %s", filepath.ToSlash(d.Pos.Filename), d.Pos.Line, msg)
		}
		return errors.New(msg)
	}
	return diags.Err()
}

// moduleFiles serves tfconfig one directory's files, already read: ReadDir
// lists only the files worth parsing, so no directory is listed twice, and
// no FileInfo method panics (tfconfig.WrapFS's Mode and Size do).
type moduleFiles struct {
	fsys  fs.FS
	dir   string
	names []string          // base names to parse
	data  map[string][]byte // path -> content
}

func (m moduleFiles) Open(name string) (tfconfig.File, error) {
	return m.fsys.Open(filepath.ToSlash(name))
}

func (m moduleFiles) ReadFile(name string) ([]byte, error) {
	if b, ok := m.data[filepath.ToSlash(name)]; ok {
		return b, nil
	}
	return fs.ReadFile(m.fsys, filepath.ToSlash(name))
}

func (m moduleFiles) ReadDir(dir string) ([]os.FileInfo, error) {
	if filepath.ToSlash(dir) != m.dir {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	infos := make([]os.FileInfo, len(m.names))
	for i, n := range m.names {
		infos[i] = fileInfo(n)
	}
	return infos, nil
}

// fileInfo is a regular file known only by name.
type fileInfo string

func (f fileInfo) Name() string       { return string(f) }
func (f fileInfo) Size() int64        { return 0 }
func (f fileInfo) Mode() fs.FileMode  { return 0 }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return false }
func (f fileInfo) Sys() any           { return nil }
