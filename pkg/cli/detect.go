package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/childenv"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/detect"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// EmptyMatrix is the stacks output when no stack changed. GitHub rejects it
// as a matrix, so workflows skip the Terraform jobs when stacks equals it.
const EmptyMatrix = `{"include":[]}`

// changeSet is what a run changed, and where that came from.
type changeSet struct {
	// source says where the files came from, for the summary.
	source string
	// files were added or changed; deleted are gone from the workspace.
	// Both are repository-relative with / separators.
	files, deleted []string
	// everything, when set, says why every stack counts as changed: the
	// change could not be listed, so lockstep assumes the worst.
	everything string
}

// detection is what detect found: the stacks, which of them changed and why,
// in which order they apply, and whether infra and app paths changed.
type detection struct {
	changes *changeSet
	file    *policy.File
	// universe says how the candidate stacks were chosen, for the summary.
	universe string
	stacks   []detect.Stack // every candidate stack
	changed  []string       // changed stacks, sorted
	// deleted are stacks (or, without stacks globs, possibly modules) whose
	// Terraform files were all deleted.
	deleted []string
	reasons map[string][]string // changed or deleted stack -> why
	layers  [][]string          // changed stacks in apply order
	// external are depends-on edges from a changed stack to one that did not
	// change (so is not planned in this run).
	external     []detect.Dependency
	infraChanged bool
	appChanged   bool
	infraGlobs   []string
	appGlobs     []string
}

// runDetect reports which stacks a pull request or push changed, as a job
// matrix, with their apply order and whether infra or app paths changed.
//
// The changed files come from the pull request (GitHub's API, every page) on
// pull_request events; from the push's before..after (git) on push events;
// from the merge group's base..head on merge_group; and in CLI mode from git:
// the last commit (HEAD~1..HEAD) plus uncommitted and untracked changes.
// Other events, a change that cannot be listed (a pull request of more than
// GitHub's 3,000 listed files, a push whose before commit is not in the
// clone, no git repository) count every stack as changed, with a warning:
// planning too much is safe, planning too little is not.
//
// The candidate stacks are the working directories when given (anything
// but the default "."), else the policy file's stacks globs, else the
// repository root when it is a root module, else every directory with
// Terraform files that no other calls as a module.
//
// Outputs: stacks (the matrix; past GitHub's 256 jobs per matrix, entries
// hold several newline-separated directories, see stacksMatrix), layers
// (depends-on order; a cycle is bad input naming it), infra-changed (a stack
// changed or was deleted, or a file matches infra-paths; a match outside
// every stack and module changes every stack, since lockstep cannot tell
// which read it) and app-changed (a file matches app-paths; true without
// app-paths, so that a pipeline without them always deploys). The
// infra-paths and app-paths inputs replace the policy file's globs.
func runDetect(ctx context.Context, a *app) error {
	d, err := a.detect(ctx)
	if err != nil {
		return err
	}
	for _, dir := range d.deleted {
		a.r.Annotate(deletedAnnotation(dir, d.reasons[dir]))
	}
	if d.changes.everything != "" {
		a.r.Warnf("Every stack counts as changed: %s.", d.changes.everything)
	}
	a.r.Printf("%s", d.logLine())

	stacks := stacksMatrix(d.changed, a.cfg.Environment)
	layers, err := json.Marshal(nonNil(d.layers))
	if err != nil {
		return fmt.Errorf("encoding the layers output: %w", err)
	}
	outputs := [][2]string{
		{"stacks", stacks},
		{"layers", string(layers)},
		{"infra-changed", strconv.FormatBool(d.infraChanged)},
		{"app-changed", strconv.FormatBool(d.appChanged)},
		{"result", "success"},
	}
	for _, o := range outputs {
		if err := a.r.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	if a.local != nil && a.local.json {
		data, err := json.MarshalIndent(d.jsonReport(stacks), "", "  ")
		if err != nil {
			return fmt.Errorf("encoding the detect report: %w", err)
		}
		if _, err := a.env.Stdout.Write(append(data, '\n')); err != nil {
			return err
		}
		if a.local.summaryFile == "" {
			return nil // stdout holds the JSON
		}
	}
	return a.r.Summary(d.summary(a.cfg.Environment))
}

// detect runs change detection for this run. It is shared by the detect
// command and by plan and apply --changed.
func (a *app) detect(ctx context.Context) (*detection, error) {
	file, err := a.policyFile()
	if err != nil {
		return nil, err
	}
	d := &detection{file: file, reasons: map[string][]string{}}
	fsys := os.DirFS(a.gh.Workspace)

	explicit, err := a.explicitStacks()
	if err != nil {
		return nil, err
	}
	var globs []string
	switch {
	case len(explicit) > 0:
		globs = make([]string, len(explicit))
		for i, dir := range explicit {
			globs[i] = quoteGlob(dir)
		}
		d.universe = "the working-directory input"
	case len(file.Stacks) > 0:
		globs = file.Stacks
		d.universe = "the stacks globs of " + policyName(file)
	case rootHoldsTerraform(a.gh.Workspace):
		// The repository root is a root module and no stacks globs say
		// otherwise: the classic single-stack repository.
		explicit = []string{"."}
		globs = []string{"."}
		d.universe = "the root module at the repository root"
	default:
		d.universe = "every directory with Terraform files that no other calls as a module"
	}
	if d.stacks, err = detect.Discover(fsys, globs); err != nil {
		return nil, fail("detect-failed", fmt.Errorf("finding the stacks: %w", err))
	}

	if d.changes, err = a.changedFiles(ctx); err != nil {
		return nil, err
	}
	res := detect.Changed(d.stacks, d.changes.files, d.changes.deleted)
	d.reasons = res.Reasons

	// Which deleted directories were stacks.
	switch {
	case len(explicit) > 0:
		for _, dir := range res.Deleted {
			if slices.Contains(explicit, dir) {
				d.deleted = append(d.deleted, dir)
			}
		}
	case len(file.Stacks) > 0:
		d.deleted = detect.MatchDirs(file.Stacks, res.Deleted)
	default:
		d.deleted = res.Deleted
	}
	if err := a.checkExplicit(explicit, d); err != nil {
		return nil, err
	}

	changed := map[string]bool{}
	for _, s := range res.Stacks {
		changed[s] = true
	}
	all := d.changes.files
	all = append(slices.Clone(all), d.changes.deleted...)
	d.infraGlobs, d.appGlobs = file.InfraPaths, file.AppPaths
	if a.cfg.Set["infra-paths"] {
		d.infraGlobs = a.cfg.InfraPaths
	}
	if a.cfg.Set["app-paths"] {
		d.appGlobs = a.cfg.AppPaths
	}
	switch {
	case d.changes.everything != "":
		for _, s := range d.stacks {
			changed[s.Dir] = true
			d.reasons[s.Dir] = []string{"every stack counts as changed: " + d.changes.everything}
		}
	default:
		d.addInfraPathReasons(all, res.Deleted, changed)
	}
	for s := range changed {
		d.changed = append(d.changed, s)
	}
	slices.Sort(d.changed)

	if d.layers, err = orderStacks(d.changed, stackDirs(d.stacks), file); err != nil {
		return nil, err
	}
	d.external = detect.ExternalDependencies(d.changed, file.DependsOn)

	d.infraChanged = len(d.changed) > 0 || len(d.deleted) > 0 || detect.PathsChanged(d.infraGlobs, all)
	d.appChanged = true
	if len(d.appGlobs) > 0 && d.changes.everything == "" {
		d.appChanged = detect.PathsChanged(d.appGlobs, all)
	}
	return d, nil
}

// policyFile loads .lockstep.yml (or the config input's file); a missing file
// is an empty one.
func (a *app) policyFile() (*policy.File, error) {
	p := a.cfg.ConfigFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(a.gh.Workspace, filepath.FromSlash(p))
	}
	f, err := policy.Load(p)
	if err != nil {
		return nil, &badInput{fmt.Errorf("input %q: %w", "config", err)}
	}
	return f, nil
}

func policyName(f *policy.File) string {
	if f.Path == "" {
		return policy.DefaultFile
	}
	return filepath.Base(f.Path)
}

// explicitStacks are the working directories when the user named them: a
// single "." (the default) names none, and detect finds the stacks instead.
// Absolute directories (CLI mode) must lie inside the repository.
func (a *app) explicitStacks() ([]string, error) {
	dirs := a.cfg.WorkingDirectories
	if !a.cfg.Set["working-directory"] || (len(dirs) == 1 && dirs[0] == ".") {
		return nil, nil
	}
	out := make([]string, 0, len(dirs))
	for _, dir := range dirs {
		if filepath.IsAbs(dir) {
			rel, err := filepath.Rel(a.gh.Workspace, dir)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return nil, &config.InputError{Input: "working-directory", Value: dir, Flag: a.local != nil,
					Problem: "is outside the repository (" + a.gh.Workspace + "), where detect looks for changes"}
			}
			dir = filepath.ToSlash(rel)
		}
		out = append(out, path.Clean(dir))
	}
	return out, nil
}

// checkExplicit refuses named working directories that are neither a stack
// nor a stack this change deleted.
func (a *app) checkExplicit(explicit []string, d *detection) error {
	found := map[string]bool{}
	for _, s := range d.stacks {
		found[s.Dir] = true
	}
	var errs config.Errors
	for _, dir := range explicit {
		if found[dir] || slices.Contains(d.deleted, dir) {
			continue
		}
		problem := "is not a directory in the repository"
		if st, err := os.Stat(filepath.Join(a.gh.Workspace, filepath.FromSlash(dir))); err == nil && st.IsDir() {
			problem = "holds no Terraform files (*.tf, *.tf.json)"
		}
		errs = append(errs, &config.InputError{Input: "working-directory", Value: dir, Problem: problem, Flag: a.local != nil})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// addInfraPathReasons handles infra-paths matches outside every stack and
// module: files Terraform reads from elsewhere (shared tfvars, YAML read
// with file()). lockstep cannot tell which stacks read them, so every stack
// counts as changed. Matches inside a stack or module are already counted,
// and so are the files of deleted directories.
func (d *detection) addInfraPathReasons(files, deletedDirs []string, changed map[string]bool) {
	if len(d.infraGlobs) == 0 {
		return
	}
	units := map[string]bool{}
	for _, s := range d.stacks {
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
		if !owned(units, f) && detect.PathsChanged(d.infraGlobs, []string{f}) {
			outside = append(outside, f)
		}
	}
	if len(outside) == 0 {
		return
	}
	slices.Sort(outside)
	outside = slices.Compact(outside)
	for _, s := range d.stacks {
		changed[s.Dir] = true
		for _, f := range outside {
			d.reasons[s.Dir] = append(d.reasons[s.Dir], "infra-paths "+f)
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

func stackDirs(stacks []detect.Stack) []string {
	dirs := make([]string, len(stacks))
	for i, s := range stacks {
		dirs[i] = s.Dir
	}
	return dirs
}

// orderStacks puts stacks in apply layers by the policy file's depends-on.
// The order is computed over every stack depends-on or known names, then
// narrowed to stacks, so an order through a stack that is not in this run
// still holds (network before db before app, with only network and app
// changed). A cycle anywhere is the user's to fix: bad input naming it.
func orderStacks(stacks, known []string, file *policy.File) ([][]string, error) {
	all := slices.Clone(known)
	all = append(all, stacks...)
	for s, deps := range file.DependsOn {
		all = append(all, s)
		all = append(all, deps...)
	}
	full, err := detect.Layers(all, file.DependsOn)
	if err != nil {
		var cycle *detect.CycleError
		if errors.As(err, &cycle) {
			return nil, &badInput{fmt.Errorf("%s: %w", policyName(file), err)}
		}
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

// rootHoldsTerraform reports whether the repository root has Terraform
// files of its own.
func rootHoldsTerraform(root string) bool {
	entries, err := os.ReadDir(root)
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

// quoteGlob escapes a directory so that a doublestar pattern matches it
// literally.
func quoteGlob(dir string) string {
	var b strings.Builder
	for _, r := range dir {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stacksMatrix renders the stacks output. Up to detect.MaxMatrix stacks give
// one matrix entry each. Beyond GitHub's limit of 256 jobs per matrix, the
// stacks are packed, in order, into at most 256 entries whose directory is a
// newline-separated list: plan and apply take such a list and run its stacks
// in one job, in parallel (the parallelism input). No stacks give
// EmptyMatrix.
func stacksMatrix(stacks []string, environment string) string {
	if len(stacks) <= detect.MaxMatrix {
		m, _ := detect.Matrix(stacks, environment) // within the limit: cannot fail
		return m
	}
	per := (len(stacks) + detect.MaxMatrix - 1) / detect.MaxMatrix
	var packed []string
	for start := 0; start < len(stacks); start += per {
		packed = append(packed, strings.Join(stacks[start:min(start+per, len(stacks))], "\n"))
	}
	m, _ := detect.Matrix(packed, environment)
	return m
}

func nonNil(layers [][]string) [][]string {
	if layers == nil {
		return [][]string{}
	}
	return layers
}

// changedFiles lists what this run changed; see runDetect.
func (a *app) changedFiles(ctx context.Context) (*changeSet, error) {
	ws := a.gh.Workspace
	if a.local != nil {
		return localChanges(ctx, ws), nil
	}
	if a.gh.IsPullRequest() && a.gh.PullRequest > 0 {
		return a.pullRequestChanges(ctx), nil
	}
	var before, after, what string
	switch e := a.gh.Event.(type) {
	case *gogithub.MergeGroupEvent:
		before, after = e.GetMergeGroup().GetBaseSHA(), e.GetMergeGroup().GetHeadSHA()
		what = "the merge group"
	default:
		if a.gh.EventName != "push" {
			return &changeSet{source: "a " + a.gh.EventName + " run", everything: "a " + orUnknown(a.gh.EventName) + " run has no change to compare with"}, nil
		}
		before, after = a.gh.Before, a.gh.After
		if after == "" {
			after = a.gh.SHA
		}
		what = "the push"
	}
	if after == "" {
		return &changeSet{source: what, everything: what + " names no commit"}, nil
	}
	changed, deleted, err := detect.PushChangedFiles(ctx, ws, before, after)
	if err != nil {
		return &changeSet{source: what, everything: err.Error()}, nil
	}
	source := fmt.Sprintf("%s %s..%s (%d files)", what, short(before), short(after), len(changed)+len(deleted))
	if strings.Trim(before, "0") == "" {
		source = fmt.Sprintf("%s, which created the branch: every file at %s (%d files)", what, short(after), len(changed))
	}
	return &changeSet{source: source, files: changed, deleted: deleted}, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown event)"
	}
	return s
}

// pullRequestChanges lists the pull request's files with GitHub's API (every
// page). The API does not say which files the pull request deletes in a
// form the client keeps, so a listed file missing from the checkout (the
// pull request's merge commit) counts as deleted; a rename's old path is
// listed too, so it counts as deleted and the new one as changed.
func (a *app) pullRequestChanges(ctx context.Context) *changeSet {
	pr := a.gh.PullRequest
	source := fmt.Sprintf("pull request #%d", pr)
	gh, err := a.github()
	if err != nil {
		return &changeSet{source: source, everything: "the pull request's files cannot be listed: " + err.Error()}
	}
	paths, err := gh.PullRequestFiles(ctx, pr)
	switch {
	case errors.Is(err, github.ErrFilesTruncated):
		return &changeSet{source: source, everything: fmt.Sprintf("pull request #%d changes more files than the 3,000 GitHub lists", pr)}
	case err != nil:
		return &changeSet{source: source, everything: err.Error()}
	}
	cs := splitByExistence(a.gh.Workspace, paths)
	cs.source = fmt.Sprintf("the %d files pull request #%d changes", len(paths), pr)
	return cs
}

// splitByExistence sorts paths into files present in the workspace and
// files gone from it.
func splitByExistence(root string, paths []string) *changeSet {
	cs := &changeSet{}
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			cs.files = append(cs.files, p)
		} else {
			cs.deleted = append(cs.deleted, p)
		}
	}
	slices.Sort(cs.files)
	slices.Sort(cs.deleted)
	cs.files = slices.Compact(cs.files)
	cs.deleted = slices.Compact(cs.deleted)
	return cs
}

// localChanges is CLI mode's change: the last commit (HEAD~1..HEAD, or every
// file of a repository's first commit) plus uncommitted changes (staged or
// not) and untracked files that are not ignored, from the current directory
// down, relative to it. Whether a file is changed or deleted is decided by
// the working tree, which is what plan and apply will see. Outside a git
// repository every stack counts as changed.
func localChanges(ctx context.Context, dir string) *changeSet {
	source := "git: the last commit (HEAD~1..HEAD), uncommitted and untracked changes"
	run := func(args ...string) ([]string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "core.quotePath=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(childenv.Environ(), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return nil, fmt.Errorf("git %s: %s", args[0], msg)
			}
			return nil, fmt.Errorf("git %s: %w", args[0], err)
		}
		s := strings.TrimSuffix(stdout.String(), "\x00")
		if s == "" {
			return nil, nil
		}
		return strings.Split(s, "\x00"), nil
	}
	if _, err := run("rev-parse", "--is-inside-work-tree"); err != nil {
		return &changeSet{source: "git", everything: "this is not a git repository, so nothing tells what changed"}
	}
	var paths []string
	add := func(args ...string) error {
		p, err := run(args...)
		paths = append(paths, p...)
		return err
	}
	var err error
	if _, headErr := run("rev-parse", "--verify", "-q", "HEAD"); headErr == nil {
		if _, parentErr := run("rev-parse", "--verify", "-q", "HEAD~1"); parentErr == nil {
			err = add("diff", "--name-only", "--no-renames", "--relative", "-z", "HEAD~1", "HEAD", "--")
		} else {
			err = add("ls-tree", "-r", "-z", "--name-only", "HEAD") // the first commit: all of it
		}
		if err == nil {
			err = add("diff", "--name-only", "--no-renames", "--relative", "-z", "HEAD", "--")
		}
	}
	if err == nil {
		err = add("ls-files", "--others", "--exclude-standard", "-z")
	}
	if err != nil {
		return &changeSet{source: "git", everything: err.Error()}
	}
	cs := splitByExistence(dir, paths)
	cs.source = source
	return cs
}

// logLine is detect's one-line verdict for the log.
func (d *detection) logLine() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Changes: %s. ", d.changes.source)
	switch len(d.changed) {
	case 0:
		fmt.Fprintf(&b, "No stack changed (of %d).", len(d.stacks))
	default:
		fmt.Fprintf(&b, "%d of %d stacks changed: %s.", len(d.changed), len(d.stacks), truncateList(d.changed, 20))
	}
	if len(d.deleted) > 0 {
		fmt.Fprintf(&b, " Deleted: %s.", truncateList(d.deleted, 20))
	}
	fmt.Fprintf(&b, " infra-changed=%t app-changed=%t", d.infraChanged, d.appChanged)
	return b.String()
}

func truncateList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

// deletedAnnotation warns about a stack whose code is gone but whose
// resources are not.
func deletedAnnotation(dir string, reasons []string) actions.Annotation {
	return actions.Annotation{
		Level: "warning",
		Title: "Stack deleted: " + dir,
		Message: fmt.Sprintf("All Terraform files of %s were deleted (%s). Its resources are still in its state: lockstep neither plans nor destroys a deleted stack. "+
			"Destroy them first (terraform destroy from the previous commit), or restore the stack.", dir, truncateList(reasons, 5)),
	}
}

// jsonReport is detect's --json output.
func (d *detection) jsonReport(stacks string) any {
	return struct {
		Stacks       json.RawMessage     `json:"stacks"`
		Layers       [][]string          `json:"layers"`
		InfraChanged bool                `json:"infra_changed"`
		AppChanged   bool                `json:"app_changed"`
		Changed      []string            `json:"changed"`
		Deleted      []string            `json:"deleted"`
		Reasons      map[string][]string `json:"reasons"`
		Source       string              `json:"source"`
		Everything   string              `json:"everything,omitempty"`
	}{json.RawMessage(stacks), nonNil(d.layers), d.infraChanged, d.appChanged,
		nonNilStrings(d.changed), nonNilStrings(d.deleted), d.reasons, d.changes.source, d.changes.everything}
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Limits that keep detect's job summary far below GitHub's 1 MiB per step.
const (
	summaryMaxStacks  = 300
	summaryMaxReasons = 6
)

// summary is detect's job summary: the changed stacks and why, the deleted
// ones, the apply order and the infra/app verdict.
func (d *detection) summary(env string) string {
	var b strings.Builder
	title := "### Changed stacks"
	if env != "" {
		title += " · " + comment.EscapeText(env)
	}
	b.WriteString(title + "\n\n")
	fmt.Fprintf(&b, "%d of %d stacks changed, from %s. Stacks: %s.\n\n",
		len(d.changed), len(d.stacks), comment.EscapeText(d.changes.source), comment.EscapeText(d.universe))
	if d.changes.everything != "" {
		fmt.Fprintf(&b, "> [!WARNING]\n> Every stack counts as changed: %s.\n\n", comment.EscapeText(d.changes.everything))
	}
	if len(d.changed) > 0 && d.changes.everything == "" {
		b.WriteString("| Stack | Why |\n| --- | --- |\n")
		for i, s := range d.changed {
			if i == summaryMaxStacks {
				fmt.Fprintf(&b, "| … | %d more stacks (the `stacks` output lists them all) |\n", len(d.changed)-i)
				break
			}
			fmt.Fprintf(&b, "| %s | %s |\n", comment.CellCode(s), reasonCell(d.reasons[s]))
		}
		b.WriteString("\n")
	}
	if len(d.deleted) > 0 {
		b.WriteString("> [!WARNING]\n> **Deleted stacks.** Their Terraform files are gone but their resources are still in their state: lockstep neither plans nor destroys them. Destroy them first (from the previous commit), or restore them.\n\n")
		b.WriteString("| Deleted | Files |\n| --- | --- |\n")
		for _, s := range d.deleted {
			fmt.Fprintf(&b, "| %s | %s |\n", comment.CellCode(s), reasonCell(d.reasons[s]))
		}
		b.WriteString("\n")
	}
	if len(d.layers) > 0 {
		b.WriteString("**Apply order**")
		if len(d.file.DependsOn) > 0 {
			b.WriteString(" (depends-on in " + comment.Code(policyName(d.file)) + ")")
		}
		b.WriteString(": ")
		for i, layer := range d.layers {
			if i > 0 {
				b.WriteString(" → ")
			}
			names := make([]string, 0, len(layer))
			for j, s := range layer {
				if j == 10 {
					names = append(names, fmt.Sprintf("%d more", len(layer)-j))
					break
				}
				names = append(names, comment.Code(s))
			}
			fmt.Fprintf(&b, "%d. %s", i+1, strings.Join(names, ", "))
		}
		b.WriteString("\n\n")
	}
	for i, dep := range d.external {
		if i == 10 {
			fmt.Fprintf(&b, "- … and %d more such dependencies\n", len(d.external)-i)
			break
		}
		what := "which did not change and is not planned in this run"
		if slices.Contains(d.deleted, dep.On) {
			what = "which this change deletes: remove the dependency"
		}
		fmt.Fprintf(&b, "- %s depends on %s, %s.\n", comment.Code(dep.Stack), comment.Code(dep.On), what)
	}
	if len(d.external) > 0 {
		b.WriteString("\n")
	}
	infra := "no"
	if d.infraChanged {
		infra = "yes"
	}
	app := "no"
	if d.appChanged {
		app = "yes"
	}
	infraWhy := "any stack changed or deleted"
	if len(d.infraGlobs) > 0 {
		infraWhy = "any stack changed or deleted, or a file matches infra-paths"
	}
	appWhy := "no app-paths given: every run counts as an app change"
	if len(d.appGlobs) > 0 {
		appWhy = "a file matches app-paths"
	}
	fmt.Fprintf(&b, "**Infra changed:** %s (%s) · **App changed:** %s (%s)\n\n", infra, infraWhy, app, appWhy)
	return b.String()
}

// reasonCell renders why a stack changed: its own files, then the modules.
func reasonCell(reasons []string) string {
	parts := make([]string, 0, min(len(reasons), summaryMaxReasons+1))
	for i, r := range reasons {
		if i == summaryMaxReasons {
			parts = append(parts, fmt.Sprintf("%d more", len(reasons)-i))
			break
		}
		switch {
		case strings.HasPrefix(r, detect.ModuleReason):
			parts = append(parts, "module "+comment.CellCode(strings.TrimPrefix(r, detect.ModuleReason)))
		case strings.HasPrefix(r, "infra-paths "):
			parts = append(parts, "infra-paths match "+comment.CellCode(strings.TrimPrefix(r, "infra-paths ")))
		default:
			parts = append(parts, comment.CellCode(r))
		}
	}
	return strings.Join(parts, " · ")
}
