package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/detect"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// EmptyMatrix is the stacks output when no stack changed (see
// detect.EmptyMatrix).
const EmptyMatrix = detect.EmptyMatrix

// detection is what detect found (see detect.Detection), with the policy
// file it read, for the summary.
type detection struct {
	*detect.Detection
	file *policy.File
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
	for _, dir := range d.Deleted {
		a.r.Annotate(deletedAnnotation(dir, d.Reasons[dir]))
	}
	if d.Changes.Everything != "" {
		a.r.Warnf("Every stack counts as changed: %s.", d.Changes.Everything)
	}
	a.r.Printf("%s", d.logLine())

	stacks := detect.StacksMatrix(d.Changed, a.cfg.Environment)
	layers, err := json.Marshal(nonNil(d.Layers))
	if err != nil {
		return fmt.Errorf("encoding the layers output: %w", err)
	}
	outputs := [][2]string{
		{"stacks", stacks},
		{"layers", string(layers)},
		{"infra-changed", strconv.FormatBool(d.InfraChanged)},
		{"app-changed", strconv.FormatBool(d.AppChanged)},
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

// detect runs change detection for this run (see detect.Detect). It is
// shared by the detect command and by plan and apply --changed.
func (a *app) detect(ctx context.Context) (*detection, error) {
	file, err := a.policyFile()
	if err != nil {
		return nil, err
	}
	explicit, err := a.explicitStacks()
	if err != nil {
		return nil, err
	}
	req := detect.Request{
		FS:          os.DirFS(a.gh.Workspace),
		Explicit:    explicit,
		StackGlobs:  file.Stacks,
		DependsOn:   file.DependsOn,
		PolicyName:  policyName(file),
		InfraGlobs:  file.InfraPaths,
		AppGlobs:    file.AppPaths,
		ListChanges: func() (*detect.ChangeSet, error) { return a.changedFiles(ctx) },
		// A Pulumi project or a CloudFormation template is a directory,
		// not Terraform files and modules.
		WholeDirectories: engine.TraitsOf(a.cfg.Engine).WholeDirectory,
	}
	if a.cfg.Set["infra-paths"] {
		req.InfraGlobs = a.cfg.InfraPaths
	}
	if a.cfg.Set["app-paths"] {
		req.AppGlobs = a.cfg.AppPaths
	}
	d, err := detect.Detect(req)
	var discover *detect.DiscoverError
	var notStacks *detect.NotStacksError
	var cycle *detect.CycleError
	switch {
	case errors.As(err, &discover):
		return nil, fail("detect-failed", err)
	case errors.As(err, &notStacks):
		var errs config.Errors
		for _, n := range notStacks.Dirs {
			errs = append(errs, &config.InputError{Input: "working-directory", Value: n.Dir, Problem: n.Problem, Flag: a.local != nil})
		}
		return nil, errs
	case errors.As(err, &cycle):
		return nil, &badInput{fmt.Errorf("%s: %w", policyName(file), err)}
	case err != nil:
		return nil, err
	}
	return &detection{Detection: d, file: file}, nil
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

// orderStacks puts stacks in apply layers by the policy file's depends-on
// (see detect.OrderStacks); a cycle is the user's to fix: bad input
// naming it.
func orderStacks(stacks, known []string, file *policy.File) ([][]string, error) {
	layers, err := detect.OrderStacks(stacks, known, file.DependsOn)
	var cycle *detect.CycleError
	if errors.As(err, &cycle) {
		return nil, &badInput{fmt.Errorf("%s: %w", policyName(file), err)}
	}
	return layers, err
}

func nonNil(layers [][]string) [][]string {
	if layers == nil {
		return [][]string{}
	}
	return layers
}

// changedFiles lists what this run changed; see runDetect.
func (a *app) changedFiles(ctx context.Context) (*detect.ChangeSet, error) {
	ws := a.gh.Workspace
	if a.local != nil {
		return detect.LocalChanges(ctx, ws), nil
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
			return &detect.ChangeSet{Source: "a " + a.gh.EventName + " run", Everything: "a " + orUnknown(a.gh.EventName) + " run has no change to compare with"}, nil
		}
		before, after = a.gh.Before, a.gh.After
		if after == "" {
			after = a.gh.SHA
		}
		what = "the push"
	}
	if after == "" {
		return &detect.ChangeSet{Source: what, Everything: what + " names no commit"}, nil
	}
	changed, deleted, err := detect.PushChangedFiles(ctx, ws, before, after)
	if err != nil {
		return &detect.ChangeSet{Source: what, Everything: err.Error()}, nil
	}
	source := fmt.Sprintf("%s %s..%s (%d files)", what, short(before), short(after), len(changed)+len(deleted))
	if strings.Trim(before, "0") == "" {
		source = fmt.Sprintf("%s, which created the branch: every file at %s (%d files)", what, short(after), len(changed))
	}
	return &detect.ChangeSet{Source: source, Files: changed, Deleted: deleted}, nil
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
func (a *app) pullRequestChanges(ctx context.Context) *detect.ChangeSet {
	pr := a.gh.PullRequest
	source := fmt.Sprintf("pull request #%d", pr)
	gh, err := a.github()
	if err != nil {
		return &detect.ChangeSet{Source: source, Everything: "the pull request's files cannot be listed: " + err.Error()}
	}
	paths, err := gh.PullRequestFiles(ctx, pr)
	switch {
	case errors.Is(err, github.ErrFilesTruncated):
		return &detect.ChangeSet{Source: source, Everything: fmt.Sprintf("pull request #%d changes more files than the 3,000 GitHub lists", pr)}
	case err != nil:
		return &detect.ChangeSet{Source: source, Everything: err.Error()}
	}
	cs := detect.SplitByExistence(a.gh.Workspace, paths)
	cs.Source = fmt.Sprintf("the %d files pull request #%d changes", len(paths), pr)
	return cs
}

// logLine is detect's one-line verdict for the log.
func (d *detection) logLine() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Changes: %s. ", d.Changes.Source)
	switch len(d.Changed) {
	case 0:
		fmt.Fprintf(&b, "No stack changed (of %d).", len(d.Stacks))
	default:
		fmt.Fprintf(&b, "%d of %d stacks changed: %s.", len(d.Changed), len(d.Stacks), truncateList(d.Changed, 20))
	}
	if len(d.Deleted) > 0 {
		fmt.Fprintf(&b, " Deleted: %s.", truncateList(d.Deleted, 20))
	}
	fmt.Fprintf(&b, " infra-changed=%t app-changed=%t", d.InfraChanged, d.AppChanged)
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
	}{json.RawMessage(stacks), nonNil(d.Layers), d.InfraChanged, d.AppChanged,
		nonNilStrings(d.Changed), nonNilStrings(d.Deleted), d.Reasons, d.Changes.Source, d.Changes.Everything}
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
		len(d.Changed), len(d.Stacks), comment.EscapeText(d.Changes.Source), comment.EscapeText(d.Universe))
	if d.Changes.Everything != "" {
		fmt.Fprintf(&b, "> [!WARNING]\n> Every stack counts as changed: %s.\n\n", comment.EscapeText(d.Changes.Everything))
	}
	if len(d.Changed) > 0 && d.Changes.Everything == "" {
		b.WriteString("| Stack | Why |\n| --- | --- |\n")
		for i, s := range d.Changed {
			if i == summaryMaxStacks {
				fmt.Fprintf(&b, "| … | %d more stacks (the `stacks` output lists them all) |\n", len(d.Changed)-i)
				break
			}
			fmt.Fprintf(&b, "| %s | %s |\n", comment.CellCode(s), reasonCell(d.Reasons[s]))
		}
		b.WriteString("\n")
	}
	if len(d.Deleted) > 0 {
		b.WriteString("> [!WARNING]\n> **Deleted stacks.** Their Terraform files are gone but their resources are still in their state: lockstep neither plans nor destroys them. Destroy them first (from the previous commit), or restore them.\n\n")
		b.WriteString("| Deleted | Files |\n| --- | --- |\n")
		for _, s := range d.Deleted {
			fmt.Fprintf(&b, "| %s | %s |\n", comment.CellCode(s), reasonCell(d.Reasons[s]))
		}
		b.WriteString("\n")
	}
	if len(d.Layers) > 0 {
		b.WriteString("**Apply order**")
		if len(d.file.DependsOn) > 0 {
			b.WriteString(" (depends-on in " + comment.Code(policyName(d.file)) + ")")
		}
		b.WriteString(": ")
		for i, layer := range d.Layers {
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
	for i, dep := range d.External {
		if i == 10 {
			fmt.Fprintf(&b, "- … and %d more such dependencies\n", len(d.External)-i)
			break
		}
		what := "which did not change and is not planned in this run"
		if slices.Contains(d.Deleted, dep.On) {
			what = "which this change deletes: remove the dependency"
		}
		fmt.Fprintf(&b, "- %s depends on %s, %s.\n", comment.Code(dep.Stack), comment.Code(dep.On), what)
	}
	if len(d.External) > 0 {
		b.WriteString("\n")
	}
	infra := "no"
	if d.InfraChanged {
		infra = "yes"
	}
	app := "no"
	if d.AppChanged {
		app = "yes"
	}
	infraWhy := "any stack changed or deleted"
	if len(d.InfraGlobs) > 0 {
		infraWhy = "any stack changed or deleted, or a file matches infra-paths"
	}
	appWhy := "no app-paths given: every run counts as an app change"
	if len(d.AppGlobs) > 0 {
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
