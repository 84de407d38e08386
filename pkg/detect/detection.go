package detect

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// EmptyMatrix is the stacks output when no stack changed. GitHub rejects it
// as a matrix, so workflows skip the Terraform jobs when stacks equals it.
const EmptyMatrix = `{"include":[]}`

// ChangeSet is what a run changed, and where that came from.
type ChangeSet struct {
	// Source says where the files came from, for the summary.
	Source string
	// Files were added or changed; Deleted are gone from the workspace.
	// Both are repository-relative with / separators.
	Files, Deleted []string
	// Everything, when set, says why every stack counts as changed: the
	// change could not be listed, so lockstep assumes the worst.
	Everything string
}

// Request is one change detection: the repository, how its candidate
// stacks are chosen, and what changed.
type Request struct {
	// FS is the repository's working tree, rooted at the repository root.
	FS fs.FS
	// Explicit are the working directories the user named (clean,
	// repository-relative); none means the stacks are found instead.
	Explicit []string
	// StackGlobs are the policy file's stacks globs; DependsOn its
	// depends-on; PolicyName its name, for the summary and errors.
	StackGlobs []string
	DependsOn  map[string][]string
	PolicyName string
	// InfraGlobs and AppGlobs decide infra-changed and app-changed.
	InfraGlobs, AppGlobs []string
	// ListChanges lists what the run changed; it is called once the
	// stacks are found.
	ListChanges func() (*ChangeSet, error)
	// WholeDirectories is for engines whose stack is a directory rather
	// than Terraform files and modules (a Pulumi project, a CloudFormation
	// template): the candidate stacks are the Explicit directories that
	// exist, else the directories the StackGlobs match, else the repository
	// root, and a stack changed when any file under it did.
	WholeDirectories bool
}

// Detection is what Detect found: the stacks, which of them changed and
// why, in which order they apply, and whether infra and app paths changed.
type Detection struct {
	Changes *ChangeSet
	// Universe says how the candidate stacks were chosen, for the summary.
	Universe string
	Stacks   []Stack  // every candidate stack
	Changed  []string // changed stacks, sorted
	// Deleted are stacks (or, without stacks globs, possibly modules) whose
	// Terraform files were all deleted.
	Deleted []string
	Reasons map[string][]string // changed or deleted stack -> why
	Layers  [][]string          // changed stacks in apply order
	// External are depends-on edges from a changed stack to one that did not
	// change (so is not planned in this run).
	External     []Dependency
	InfraChanged bool
	AppChanged   bool
	InfraGlobs   []string
	AppGlobs     []string
}

// DiscoverError is Detect failing to find the stacks.
type DiscoverError struct{ Err error }

func (e *DiscoverError) Error() string { return "finding the stacks: " + e.Err.Error() }
func (e *DiscoverError) Unwrap() error { return e.Err }

// NotAStack is a named working directory that is neither a stack nor a
// stack the change deleted; Problem says what it is instead.
type NotAStack struct{ Dir, Problem string }

// NotStacksError lists the named working directories that are no stacks.
type NotStacksError struct{ Dirs []NotAStack }

func (e *NotStacksError) Error() string {
	parts := make([]string, len(e.Dirs))
	for i, d := range e.Dirs {
		parts[i] = d.Dir + " " + d.Problem
	}
	return "working-directory: " + strings.Join(parts, "; ")
}

// Detect runs change detection. The candidate stacks are the Explicit
// directories when given, else the StackGlobs, else the repository root
// when it is a root module, else every directory with Terraform files that
// no other calls as a module. A change that could not be listed
// (Changes.Everything) counts every stack as changed; an infra-paths match
// outside every stack and module changes every stack too, since nothing
// tells which read it. App paths: without AppGlobs every run counts as an
// app change. Its errors are a *DiscoverError, a *NotStacksError, a
// *CycleError of DependsOn, or ListChanges' own.
func Detect(req Request) (*Detection, error) {
	d := &Detection{Reasons: map[string][]string{}}
	explicit := req.Explicit
	var globs []string
	switch {
	case len(explicit) > 0:
		globs = make([]string, len(explicit))
		for i, dir := range explicit {
			globs[i] = QuoteGlob(dir)
		}
		d.Universe = "the working-directory input"
	case len(req.StackGlobs) > 0:
		globs = req.StackGlobs
		d.Universe = "the stacks globs of " + req.PolicyName
	case RootHoldsTerraform(req.FS):
		// The repository root is a root module and no stacks globs say
		// otherwise: the classic single-stack repository.
		explicit = []string{"."}
		globs = []string{"."}
		d.Universe = "the root module at the repository root"
	default:
		d.Universe = "every directory with Terraform files that no other calls as a module"
	}
	var err error
	if req.WholeDirectories {
		if explicit, d.Stacks, err = wholeDirectories(req, explicit, d); err != nil {
			return nil, &DiscoverError{err}
		}
	} else if d.Stacks, err = Discover(req.FS, globs); err != nil {
		return nil, &DiscoverError{err}
	}
	if d.Changes, err = req.ListChanges(); err != nil {
		return nil, err
	}

	res := Changed(d.Stacks, d.Changes.Files, d.Changes.Deleted)
	d.Reasons = res.Reasons

	// Which deleted directories were stacks.
	switch {
	case len(explicit) > 0:
		for _, dir := range res.Deleted {
			if slices.Contains(explicit, dir) {
				d.Deleted = append(d.Deleted, dir)
			}
		}
	case len(req.StackGlobs) > 0:
		d.Deleted = MatchDirs(req.StackGlobs, res.Deleted)
	default:
		d.Deleted = res.Deleted
	}
	if err := checkExplicit(req.FS, explicit, d, req.WholeDirectories); err != nil {
		return nil, err
	}

	changed := map[string]bool{}
	for _, s := range res.Stacks {
		changed[s] = true
	}
	all := d.Changes.Files
	all = append(slices.Clone(all), d.Changes.Deleted...)
	d.InfraGlobs, d.AppGlobs = req.InfraGlobs, req.AppGlobs
	switch {
	case d.Changes.Everything != "":
		for _, s := range d.Stacks {
			changed[s.Dir] = true
			d.Reasons[s.Dir] = []string{"every stack counts as changed: " + d.Changes.Everything}
		}
	default:
		d.addInfraPathReasons(all, res.Deleted, changed)
	}
	for s := range changed {
		d.Changed = append(d.Changed, s)
	}
	slices.Sort(d.Changed)

	if d.Layers, err = OrderStacks(d.Changed, StackDirs(d.Stacks), req.DependsOn); err != nil {
		return nil, err
	}
	d.External = ExternalDependencies(d.Changed, req.DependsOn)

	d.InfraChanged = len(d.Changed) > 0 || len(d.Deleted) > 0 || PathsChanged(d.InfraGlobs, all)
	d.AppChanged = true
	if len(d.AppGlobs) > 0 && d.Changes.Everything == "" {
		d.AppChanged = PathsChanged(d.AppGlobs, all)
	}
	return d, nil
}

// wholeDirectories finds the candidate stacks of Request.WholeDirectories:
// the explicit directories that exist (checkExplicit refuses the others),
// else every directory the stacks globs match, else the root (which it
// returns as the explicit list).
func wholeDirectories(req Request, explicit []string, d *Detection) ([]string, []Stack, error) {
	var dirs []string
	switch {
	case len(explicit) > 0:
		for _, dir := range explicit {
			if st, err := fs.Stat(req.FS, dir); err == nil && st.IsDir() {
				dirs = append(dirs, dir)
			}
		}
	case len(req.StackGlobs) > 0:
		var all []string
		err := fs.WalkDir(req.FS, ".", func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if p != "." && strings.HasPrefix(e.Name(), ".") {
					return fs.SkipDir // .git, .github, .terraform
				}
				all = append(all, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		dirs = MatchDirs(req.StackGlobs, all)
	default:
		explicit, dirs = []string{"."}, []string{"."}
		d.Universe = "the repository root (this engine's stack is a whole directory: name others in working-directory)"
	}
	stacks := make([]Stack, len(dirs))
	for i, dir := range dirs {
		stacks[i] = Stack{Dir: dir}
	}
	return explicit, stacks, nil
}

// checkExplicit refuses named working directories that are neither a stack
// nor a stack this change deleted.
func checkExplicit(fsys fs.FS, explicit []string, d *Detection, wholeDirs bool) error {
	found := map[string]bool{}
	for _, s := range d.Stacks {
		found[s.Dir] = true
	}
	var bad []NotAStack
	for _, dir := range explicit {
		if found[dir] || slices.Contains(d.Deleted, dir) {
			continue
		}
		problem := "is not a directory in the repository"
		if st, err := fs.Stat(fsys, dir); err == nil && st.IsDir() && !wholeDirs {
			problem = "holds no Terraform files (*.tf, *.tf.json)"
		}
		bad = append(bad, NotAStack{Dir: dir, Problem: problem})
	}
	if len(bad) > 0 {
		return &NotStacksError{Dirs: bad}
	}
	return nil
}

// addInfraPathReasons handles infra-paths matches outside every stack and
// module: files Terraform reads from elsewhere (shared tfvars, YAML read
// with file()). lockstep cannot tell which stacks read them, so every stack
// counts as changed. Matches inside a stack or module are already counted,
// and so are the files of deleted directories.
func (d *Detection) addInfraPathReasons(files, deletedDirs []string, changed map[string]bool) {
	if len(d.InfraGlobs) == 0 {
		return
	}
	units := map[string]bool{}
	for _, s := range d.Stacks {
		units[s.Dir] = true
		for _, m := range s.Modules {
			units[m] = true
		}
	}
	for _, dir := range deletedDirs {
		units[dir] = true
	}
	var outside []string
	for _, f := range files {
		if !owned(units, f) && PathsChanged(d.InfraGlobs, []string{f}) {
			outside = append(outside, f)
		}
	}
	if len(outside) == 0 {
		return
	}
	slices.Sort(outside)
	outside = slices.Compact(outside)
	for _, s := range d.Stacks {
		changed[s.Dir] = true
		for _, f := range outside {
			d.Reasons[s.Dir] = append(d.Reasons[s.Dir], "infra-paths "+f)
		}
	}
}

// owned reports whether file lies in one of the unit directories.
func owned(units map[string]bool, file string) bool {
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		if units[dir] {
			return true
		}
		if dir == "." || dir == "/" {
			return false
		}
	}
}

// StackDirs are the stacks' directories, in order.
func StackDirs(stacks []Stack) []string {
	dirs := make([]string, len(stacks))
	for i, s := range stacks {
		dirs[i] = s.Dir
	}
	return dirs
}

// OrderStacks puts stacks in apply layers by dependsOn. The order is
// computed over every stack dependsOn or known names, then narrowed to
// stacks, so an order through a stack that is not in this run still holds
// (network before db before app, with only network and app changed). A
// cycle anywhere is a *CycleError.
func OrderStacks(stacks, known []string, dependsOn map[string][]string) ([][]string, error) {
	all := slices.Clone(known)
	all = append(all, stacks...)
	for s, deps := range dependsOn {
		all = append(all, s)
		all = append(all, deps...)
	}
	full, err := Layers(all, dependsOn)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, s := range stacks {
		want[path.Clean(s)] = true
	}
	var layers [][]string
	for _, layer := range full {
		var keep []string
		for _, s := range layer {
			if want[s] {
				keep = append(keep, s)
			}
		}
		if len(keep) > 0 {
			layers = append(layers, keep)
		}
	}
	return layers, nil
}

// RootHoldsTerraform reports whether the root of fsys has Terraform files
// of its own.
func RootHoldsTerraform(fsys fs.FS) bool {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return false
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && !strings.HasPrefix(n, ".") && (strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json")) {
			return true
		}
	}
	return false
}

// QuoteGlob escapes a directory so that a doublestar pattern matches it
// literally.
func QuoteGlob(dir string) string {
	var b strings.Builder
	for _, r := range dir {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// StacksMatrix renders the stacks output. Up to MaxMatrix stacks give one
// matrix entry each. Beyond GitHub's limit of 256 jobs per matrix, the
// stacks are packed, in order, into at most 256 entries whose directory is
// a newline-separated list: plan and apply take such a list and run its
// stacks in one job, in parallel (the parallelism input). No stacks give
// EmptyMatrix.
func StacksMatrix(stacks []string, environment string) string {
	if len(stacks) <= MaxMatrix {
		m, _ := Matrix(stacks, environment) // within the limit: cannot fail
		return m
	}
	per := (len(stacks) + MaxMatrix - 1) / MaxMatrix
	var packed []string
	for start := 0; start < len(stacks); start += per {
		packed = append(packed, strings.Join(stacks[start:min(start+per, len(stacks))], "\n"))
	}
	m, _ := Matrix(packed, environment)
	return m
}
