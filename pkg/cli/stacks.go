package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/pipeline"
)

// Several stacks in one process.
//
// plan and apply take several directories (a newline list in
// working-directory, or --changed, which runs detect first). Each stack runs
// exactly the single-stack command, in an app of its own whose reporter
// captures its log, outputs, job summary and (locally) comment file, so that
// stacks running side by side never interleave. When a stack finishes, its
// log is printed whole, in one collapsible group; the job summary gets a
// roll-up table, then each stack's own summary; the outputs are aggregated.
// Each stack's pull request comment is its own (the marker names the
// directory).

// stackState is how far a stack of a multi-stack run got.
type stackState int

const (
	stackNotStarted stackState = iota
	stackDone
	stackFailed
)

// stackRun is one stack of a multi-stack plan or apply.
type stackRun struct {
	dir     string
	layer   int // 1-based; apply only
	state   stackState
	err     error
	took    time.Duration
	outputs map[string]string
	summary string
	comment string // the --comment-file body, locally
}

// stackCommand runs one stack's command in that stack's own app.
type stackCommand func(ctx context.Context, sa *app, dir string) error

// lockedBuffer is a buffer that the reporter's log writer and its workflow
// commands (two writers with two locks) can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// stackCapture is where one stack's reporter writes.
type stackCapture struct {
	log     *lockedBuffer
	summary *lockedBuffer // local mode; in action mode the summary is a file
	tmp     string        // the runner's file-command stand-ins, the comment file
}

const stackSummaryFile = "step_summary.md"

// stackApp returns a copy of a for one stack of a multi-stack run, with a
// reporter that captures everything. In action mode it is an action reporter
// whose file commands point at temporary files, so annotations and masks
// stay workflow commands (replayed on the real log) while outputs and the
// summary stay apart from the step's. It starts knowing the token.
func (a *app) stackApp() (*app, *stackCapture, error) {
	tmp, err := os.MkdirTemp("", "lockstep-stack-")
	if err != nil {
		return nil, nil, fmt.Errorf("making a scratch directory for a stack: %w", err)
	}
	c := &stackCapture{log: &lockedBuffer{}, tmp: tmp}
	sa := *a
	if a.r.IsAction() {
		files := map[string]string{}
		for name, file := range map[string]string{"GITHUB_OUTPUT": "output", "GITHUB_ENV": "env", "GITHUB_STEP_SUMMARY": stackSummaryFile} {
			p := filepath.Join(tmp, file)
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				os.RemoveAll(tmp)
				return nil, nil, fmt.Errorf("making a scratch file for a stack: %w", err)
			}
			files[name] = p
		}
		getenv := func(k string) string {
			if p, ok := files[k]; ok {
				return p
			}
			return a.env.Getenv(k)
		}
		sa.r = actions.NewActionReporter(c.log, getenv)
	} else {
		c.summary = &lockedBuffer{}
		sa.r = actions.NewLocalReporter(c.log, c.summary)
	}
	maskSecrets(sa.r, a.cfg, a.env.Getenv)
	if a.local != nil {
		lf := *a.local
		if lf.commentFile != "" {
			lf.commentFile = filepath.Join(tmp, "comment.md")
		}
		sa.local = &lf
	}
	return &sa, c, nil
}

// collect reads what a finished stack reported into run.
func (c *stackCapture) collect(sa *app, run *stackRun) {
	sa.r.Flush()
	run.outputs = sa.r.Outputs()
	if c.summary != nil {
		run.summary = string(c.summary.Bytes())
	} else if data, err := os.ReadFile(filepath.Join(c.tmp, stackSummaryFile)); err == nil {
		run.summary = string(data)
	}
	if data, err := os.ReadFile(filepath.Join(c.tmp, "comment.md")); err == nil {
		run.comment = string(data)
	}
}

// runStacks runs cmd in each stack side by side (plans never depend on
// each other), at most cfg.Parallelism at a time; see runLayers.
func (a *app) runStacks(ctx context.Context, runs []*stackRun, cmd stackCommand, headline func(*stackRun) string) {
	dirs := make([]string, len(runs))
	for i, run := range runs {
		dirs[i] = run.dir
	}
	a.runLayers(ctx, [][]string{dirs}, runs, cmd, headline, pipeline.LayerOptions{})
}

// runLayers runs cmd in each stack of layers through pipeline.Layers (a
// layer after the one before it succeeded, its stacks side by side), each
// in an app of its own whose log is printed as one group as soon as the
// stack finishes. A stack that never started stays stackNotStarted.
func (a *app) runLayers(ctx context.Context, layers [][]string, runs []*stackRun, cmd stackCommand, headline func(*stackRun) string, o pipeline.LayerOptions) {
	byDir := make(map[string]*stackRun, len(runs))
	for _, run := range runs {
		byDir[run.dir] = run
	}
	var printMu sync.Mutex
	o.Parallelism = a.cfg.Parallelism
	pipeline.Layers(ctx, layers, o, func(ctx context.Context, dir string) error {
		run := byDir[dir]
		start := time.Now()
		sa, capture, err := a.stackApp()
		if err != nil {
			run.state, run.err = stackFailed, err
			return err
		}
		defer os.RemoveAll(capture.tmp)
		printMu.Lock()
		a.r.Printf("→ %s: started", run.dir)
		printMu.Unlock()
		run.err = cmd(ctx, sa, run.dir)
		run.took = time.Since(start)
		run.state = stackDone
		if run.err != nil {
			run.state = stackFailed
			// The error is reported once, by the roll-up; in the
			// stack's own log it is an annotation on its line.
			report(sa.r, run.err)
		}
		capture.collect(sa, run)
		printMu.Lock()
		defer printMu.Unlock()
		a.printStackLog(headline(run), capture.log.Bytes())
		return run.err
	})
}

// printStackLog prints a finished stack's captured log under title. In
// action mode the stack's own groups become plain lines inside one group
// per stack (GitHub does not nest groups); its annotations and masks stay
// workflow commands. Locally the log passes through the masked log writer.
func (a *app) printStackLog(title string, log []byte) {
	end := a.r.Group(title)
	defer end()
	if !a.r.IsAction() {
		_, _ = a.r.Log().Write(log)
		return
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "::endgroup::"):
			continue
		case strings.HasPrefix(line, "::group::"):
			line = "── " + strings.TrimPrefix(line, "::group::")
		}
		b.WriteString(line + "\n")
	}
	_, _ = a.env.Stdout.Write(b.Bytes())
}

// checkStackDirs refuses, before any Terraform runs, directories that do not
// exist.
func (a *app) checkStackDirs(dirs []string) error {
	var errs config.Errors
	for _, dir := range dirs {
		if st, err := os.Stat(a.absDir(dir)); err != nil || !st.IsDir() {
			errs = append(errs, &config.InputError{Input: "working-directory", Value: dir, Problem: "is not a directory in the repository", Flag: a.local != nil})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// targetStacks is what plan or apply runs on: the working directories, or
// with --changed the stacks detect reports (and their layers).
func (a *app) targetStacks(ctx context.Context) (dirs []string, layers [][]string, err error) {
	if a.local == nil || !a.local.changed {
		return a.cfg.WorkingDirectories, nil, nil
	}
	if a.cfg.Set["working-directory"] {
		return nil, nil, &badInput{errors.New("flags --changed and --working-directory: choose one (--changed finds the stacks itself)")}
	}
	d, err := a.detect(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, dir := range d.Deleted {
		a.r.Annotate(deletedAnnotation(dir, d.Reasons[dir]))
	}
	a.r.Printf("%s", d.logLine())
	return d.Changed, d.Layers, nil
}

// noStacks reports a --changed run that found nothing to do.
func noStacks(a *app, verb string) error {
	a.r.Printf("No stack changed: nothing to %s.", verb)
	if verb == "plan" {
		for _, o := range [][2]string{{"has-changes", "false"}, {"add", "0"}, {"change", "0"}, {"destroy", "0"}, {"replace", "0"}} {
			if err := a.r.SetOutput(o[0], o[1]); err != nil {
				return err
			}
		}
	}
	if err := a.r.SetOutput("result", "success"); err != nil {
		return err
	}
	return a.r.Summary(fmt.Sprintf("### %s %s\n\nNo stack changed: nothing to %s.\n\n", engine.DisplayName(a.cfg.Engine), verb, verb))
}

// planStacks plans several stacks at once (plans never depend on each
// other), each with its own comment, and sums up.
func planStacks(ctx context.Context, a *app, dirs []string) error {
	if err := a.checkStackDirs(dirs); err != nil {
		return err
	}
	runs := make([]*stackRun, len(dirs))
	for i, dir := range dirs {
		runs[i] = &stackRun{dir: dir}
	}
	a.r.Printf("Planning %d stacks, %d at a time: %s", len(dirs), max(1, min(a.cfg.Parallelism, len(dirs))), truncateList(dirs, 20))
	a.runStacks(ctx, runs, planOne, planHeadline)

	var sum [4]int
	hasChanges := false
	for _, run := range runs {
		if run.state != stackDone {
			continue
		}
		hasChanges = hasChanges || run.outputs["has-changes"] == "true"
		for i, k := range []string{"add", "change", "destroy", "replace"} {
			n, _ := strconv.Atoi(run.outputs[k])
			sum[i] += n
		}
	}
	err := stacksErr("plan", runs)
	outputs := [][2]string{
		{"has-changes", strconv.FormatBool(hasChanges)},
		{"add", strconv.Itoa(sum[0])},
		{"change", strconv.Itoa(sum[1])},
		{"destroy", strconv.Itoa(sum[2])},
		{"replace", strconv.Itoa(sum[3])},
	}
	outputs = append(outputs, resultOutputs(err)...)
	for _, o := range outputs {
		if oerr := a.r.SetOutput(o[0], o[1]); oerr != nil {
			return oerr
		}
	}
	a.writeCommentFile(runs)
	if serr := a.r.Summary(withStackSummaries(planRollup(a, runs, sum), runs)); serr != nil && err == nil {
		return serr
	}
	return err
}

// applyStacks applies several stacks layer by layer (depends-on in the
// policy file), the stacks of a layer side by side. When a stack fails or
// is refused, the rest of its layer finishes and later layers do not start.
// layers, when given (--changed), comes from detect.
func applyStacks(ctx context.Context, a *app, dirs []string, layers [][]string) error {
	if err := a.checkStackDirs(dirs); err != nil {
		return err
	}
	if layers == nil {
		file, err := a.policyFile()
		if err != nil {
			return err
		}
		if layers, err = orderStacks(dirs, nil, file); err != nil {
			return err
		}
	}
	approved, err := a.approveStacks(dirs)
	if err != nil {
		_ = a.r.SetOutput("result", "refused")
		_ = a.r.SetOutput("failure-reason", failureReason(err))
		return err
	}
	runner := a
	if approved {
		// The person said yes to every stack at once: the stacks' own
		// applies must not ask again.
		approvedApp := *a
		lf := *a.local
		lf.autoApprove = true
		approvedApp.local = &lf
		runner = &approvedApp
	}

	var runs []*stackRun
	for i, layer := range layers {
		for _, dir := range layer {
			runs = append(runs, &stackRun{dir: dir, layer: i + 1})
		}
	}
	a.r.Printf("Applying %d stacks in %d layer(s), up to %d at a time.", len(runs), len(layers), max(1, a.cfg.Parallelism))
	runner.runLayers(ctx, layers, runs, applyOne, applyHeadline, pipeline.LayerOptions{
		Started: func(layer int, dirs []string) {
			a.r.Printf("Layer %d of %d: %s", layer, len(layers), truncateList(dirs, 20))
		},
		Stopped: func(layer int) {
			if layer < len(layers) {
				a.r.Printf("Layer %d did not apply completely: layers %d to %d are not started.", layer, layer+1, len(layers))
			}
		},
	})

	err = stacksErr("apply", runs)
	outputsJSON := map[string]json.RawMessage{}
	for _, run := range runs {
		if o := run.outputs["outputs-json"]; run.state == stackDone && o != "" {
			outputsJSON[run.dir] = json.RawMessage(o)
		}
	}
	data, jerr := json.Marshal(outputsJSON)
	if jerr != nil {
		return fmt.Errorf("encoding outputs-json: %w", jerr)
	}
	outputs := append(resultOutputs(err), [2]string{"outputs-json", string(data)})
	for _, o := range outputs {
		if oerr := a.r.SetOutput(o[0], o[1]); oerr != nil {
			return oerr
		}
	}
	a.writeCommentFile(runs)
	if serr := a.r.Summary(withStackSummaries(applyRollup(a, runs, len(layers)), runs)); serr != nil && err == nil {
		return serr
	}
	return err
}

// approveStacks asks once, at a terminal, for every stack's apply when the
// environment requires approval, instead of one prompt per stack (stacks
// apply side by side, and share one stdin). It returns whether the person
// approved. In Actions the gate is GitHub's own, checked per stack.
func (a *app) approveStacks(dirs []string) (bool, error) {
	if a.local == nil || a.local.autoApprove {
		return false, nil
	}
	pol, err := a.policy()
	if err != nil {
		return false, err
	}
	if !pol.ApprovalRequired {
		return false, nil
	}
	env := a.cfg.Environment
	if !a.env.IsTerminal() {
		return false, refuse("approval-missing", fmt.Errorf("approval is required for %q and there is no terminal to ask: pass --auto-approve to approve non-interactively", env))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nThese %d saved plans apply to %q:\n", len(dirs), env)
	for _, dir := range dirs {
		r, err := binding.Read(binding.Path(filepath.Join(a.absDir(dir), filepath.FromSlash(a.cfg.PlanFile))))
		switch {
		case err != nil:
			fmt.Fprintf(&b, "  %s: no readable plan record (its apply will be refused)\n", dir)
		case !r.HasChanges:
			fmt.Fprintf(&b, "  %s: no changes\n", dir)
		default:
			fmt.Fprintf(&b, "  %s: %d to add, %d to change, %d to destroy (sha256 %s)\n", dir, r.Counts.Add, r.Counts.Change, r.Counts.Destroy, short16(r.PlanSHA256))
		}
	}
	fmt.Fprint(a.env.Stderr, a.r.Masker().Redact(b.String())+"Apply them, layer by layer? Only 'yes' will be accepted: ")
	answer, _ := bufio.NewReader(io.LimitReader(a.env.Stdin, 1024)).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return false, refuse("approval-declined", errors.New("apply cancelled: approval was not given"))
	}
	return true, nil
}

// stacksError is a multi-stack run in which stacks failed.
type stacksError struct {
	verb       string
	total      int
	failed     []*stackRun
	notStarted []string
}

func (e *stacksError) Error() string {
	var parts []string
	for i, run := range e.failed {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.failed)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s: %s)", run.dir, failureReason(run.err), firstLine(run.err.Error(), 300)))
	}
	msg := fmt.Sprintf("%d of %d stacks failed to %s: %s", len(e.failed), e.total, e.verb, strings.Join(parts, "; "))
	if len(e.notStarted) > 0 {
		msg += fmt.Sprintf("; not started because an earlier layer failed: %s", truncateList(e.notStarted, 10))
	}
	return msg
}

// Unwrap returns the error that decides the exit code and failure-reason:
// the first stack that failed outright, else the first refused one.
func (e *stacksError) Unwrap() error {
	for _, run := range e.failed {
		var r *refusal
		if !errors.As(run.err, &r) && exitCode(run.err) != ExitBadInput {
			return run.err
		}
	}
	return e.failed[0].err
}

// stacksErr is the error of a finished multi-stack run, nil when every
// stack succeeded.
func stacksErr(verb string, runs []*stackRun) error {
	e := &stacksError{verb: verb, total: len(runs)}
	for _, run := range runs {
		switch run.state {
		case stackFailed:
			e.failed = append(e.failed, run)
		case stackNotStarted:
			e.notStarted = append(e.notStarted, run.dir)
		}
	}
	switch {
	case len(e.failed) > 0:
		return e
	case len(e.notStarted) > 0: // cancelled before they started
		return fmt.Errorf("%d of %d stacks did not start: %s", len(e.notStarted), len(runs), truncateList(e.notStarted, 10))
	}
	return nil
}

// resultOutputs are result and failure-reason for a multi-stack run: failed
// when any stack failed, refused when every failure was a refusal or bad
// input, else success.
func resultOutputs(err error) [][2]string {
	if err == nil {
		return [][2]string{{"result", "success"}}
	}
	result := "refused"
	var se *stacksError
	if errors.As(err, &se) {
		for _, run := range se.failed {
			var r *refusal
			if !errors.As(run.err, &r) && exitCode(run.err) != ExitBadInput {
				result = "failed"
			}
		}
	} else {
		result = "failed"
	}
	return [][2]string{{"result", result}, {"failure-reason", failureReason(err)}}
}

// firstLine is s's first line, cut to n bytes: terraform-exec appends
// Terraform's whole stderr (warnings included) to its errors, which the
// per-resource report already says better.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// planHeadline titles a finished stack's plan log.
func planHeadline(run *stackRun) string {
	took := run.took.Round(100 * time.Millisecond)
	switch {
	case run.state == stackFailed:
		return fmt.Sprintf("%s · plan failed (%s) · %s", run.dir, failureReason(run.err), took)
	case run.outputs["has-changes"] != "true":
		return fmt.Sprintf("%s · no changes · %s", run.dir, took)
	default:
		return fmt.Sprintf("%s · %s to add, %s to change, %s to destroy · %s", run.dir, run.outputs["add"], run.outputs["change"], run.outputs["destroy"], took)
	}
}

// applyHeadline titles a finished stack's apply log.
func applyHeadline(run *stackRun) string {
	took := run.took.Round(100 * time.Millisecond)
	if run.state == stackFailed {
		verb := "failed"
		var r *refusal
		if errors.As(run.err, &r) {
			verb = "refused"
		}
		return fmt.Sprintf("%s · layer %d · apply %s (%s) · %s", run.dir, run.layer, verb, failureReason(run.err), took)
	}
	return fmt.Sprintf("%s · layer %d · applied · %s", run.dir, run.layer, took)
}

// planRollup is the table at the top of a multi-stack plan's job summary.
func planRollup(a *app, runs []*stackRun, sum [4]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s plan · %d stacks%s\n\n", engine.DisplayName(a.cfg.Engine), len(runs), envSuffix(a.cfg.Environment))
	b.WriteString("| Stack | Result | Add | Change | Destroy | Replace |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, run := range runs {
		switch {
		case run.state == stackFailed:
			fmt.Fprintf(&b, "| %s | ❌ failed: %s |  |  |  |  |\n", comment.CellCode(run.dir), comment.EscapeText(firstLine(run.err.Error(), 200)))
		case run.state == stackNotStarted:
			fmt.Fprintf(&b, "| %s | ⏸️ not started |  |  |  |  |\n", comment.CellCode(run.dir))
		default:
			what := "✅ no changes"
			if run.outputs["has-changes"] == "true" {
				what = "📝 changes"
			}
			if n, _ := strconv.Atoi(run.outputs["destroy"]); n > 0 {
				what = "⚠️ destroys"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", comment.CellCode(run.dir), what,
				run.outputs["add"], run.outputs["change"], run.outputs["destroy"], run.outputs["replace"])
		}
	}
	fmt.Fprintf(&b, "| **Total** |  | **%d** | **%d** | **%d** | **%d** |\n\n", sum[0], sum[1], sum[2], sum[3])
	b.WriteString("Each stack's plan follows; on a pull request each stack has its own comment.\n\n")
	return b.String()
}

// applyRollup is the table at the top of a multi-stack apply's job summary.
func applyRollup(a *app, runs []*stackRun, layers int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s apply · %d stacks in %d layer(s)%s\n\n", engine.DisplayName(a.cfg.Engine), len(runs), layers, envSuffix(a.cfg.Environment))
	b.WriteString("| Layer | Stack | Result |\n| ---: | --- | --- |\n")
	for _, run := range runs {
		result := "✅ applied"
		switch run.state {
		case stackNotStarted:
			result = "⏸️ not started: an earlier layer did not apply"
		case stackFailed:
			var r *refusal
			verb := "❌ failed"
			if errors.As(run.err, &r) {
				verb = "🛑 refused (nothing applied)"
			}
			result = verb + ": " + comment.EscapeText(firstLine(run.err.Error(), 200))
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", run.layer, comment.CellCode(run.dir), result)
	}
	b.WriteString("\nInfrastructure is never rolled back: each stack's report below says what it applied.\n\n")
	return b.String()
}

func envSuffix(env string) string {
	if env == "" {
		return ""
	}
	return " · " + comment.EscapeText(env)
}

// stackSummariesBudget keeps the whole step summary under GitHub's 1 MiB,
// over which the runner drops all of it.
const stackSummariesBudget = comment.SummaryBudgetBytes

// withStackSummaries appends each stack's own summary to the roll-up, in
// order, while they fit.
func withStackSummaries(rollup string, runs []*stackRun) string {
	var b strings.Builder
	b.WriteString(rollup)
	omitted := 0
	for _, run := range runs {
		if run.summary == "" {
			continue
		}
		if b.Len()+len(run.summary) > stackSummariesBudget-1024 {
			omitted++
			continue
		}
		b.WriteString(run.summary)
		if !strings.HasSuffix(run.summary, "\n\n") {
			b.WriteString("\n")
		}
	}
	if omitted > 0 {
		fmt.Fprintf(&b, "_The summaries of %d more stacks do not fit in the job summary (GitHub keeps 1 MiB per step): read them in their pull request comments and in the log._\n", omitted)
	}
	return b.String()
}

// writeCommentFile writes every stack's comment body, in order, to
// --comment-file.
func (a *app) writeCommentFile(runs []*stackRun) {
	if a.local == nil || a.local.commentFile == "" {
		return
	}
	var bodies []string
	for _, run := range runs {
		if run.comment != "" {
			bodies = append(bodies, strings.TrimRight(run.comment, "\n")+"\n")
		}
	}
	if err := os.WriteFile(a.local.commentFile, []byte(strings.Join(bodies, "\n")), 0o644); err != nil {
		a.r.Warnf("writing --comment-file: %v", err)
	}
}
