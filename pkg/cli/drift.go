package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/detect"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/pipeline"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/version"
)

// driftReport is one stack's entry in the drift-json output.
type driftReport struct {
	Directory   string `json:"directory"`
	Environment string `json:"environment"`
	// Drifted is true when the stack changed outside the engine or the
	// checked-out code has changes that are not applied.
	Drifted bool `json:"drifted"`
	// Drift counts the resources changed outside the engine.
	Drift   int    `json:"drift"`
	Add     int    `json:"add"`
	Change  int    `json:"change"`
	Destroy int    `json:"destroy"`
	Replace int    `json:"replace"`
	Commit  string `json:"commit"`
	// Issue is the drift issue's URL and IssueResult what lockstep did to
	// it (created, updated, reopened, unchanged, closed, none), when it
	// kept one.
	Issue       string `json:"issue,omitempty"`
	IssueResult string `json:"issue-result,omitempty"`
}

// driftStackOutput carries one stack's report from its app to the roll-up.
const driftStackOutput = "drift-json"

// runDrift plans the checked-out commit (in the workflow, the default
// branch's head) of every stack with refresh, as plan does, but keeps no
// saved plan and no binding record: the plan goes to a temporary file that
// is removed once read. A stack has drifted when resources changed outside
// the engine or the code has changes that are not applied. Each stack's
// drift issue (one per directory and environment, see driftIssue) is
// opened, updated or closed. Outputs: drifted (any stack) and drift-json
// (per stack).
//
// The stacks are the working directories when given; with the default "."
// they are every stack detect would consider (the policy file's stacks
// globs, the root module, or every directory with Terraform files that no
// other calls as a module).
func runDrift(ctx context.Context, a *app) error {
	dirs, err := a.driftStacks()
	if err != nil {
		return err
	}
	switch len(dirs) {
	case 0:
		a.r.Printf("No stack found: nothing to check for drift.")
		for _, o := range [][2]string{{"drifted", "false"}, {"drift-json", "{}"}, {"result", "success"}} {
			if err := a.r.SetOutput(o[0], o[1]); err != nil {
				return err
			}
		}
		return a.r.Summary("### Drift\n\nNo stack found: nothing to check.\n\n")
	case 1:
		return driftOne(ctx, a, dirs[0])
	}
	return driftStacks(ctx, a, dirs)
}

// driftStacks lists the stacks a drift run checks.
func (a *app) driftStacks() ([]string, error) {
	if a.local != nil && a.local.changed {
		return nil, &badInput{errors.New("flag --changed: drift checks every stack (or the --working-directory ones), not only those a change touched")}
	}
	explicit, err := a.explicitStacks()
	if err != nil || len(explicit) > 0 {
		return explicit, err
	}
	file, err := a.policyFile()
	if err != nil {
		return nil, err
	}
	var globs []string
	switch {
	case len(file.Stacks) > 0:
		globs = file.Stacks
	case detect.RootHoldsTerraform(os.DirFS(a.gh.Workspace)):
		return []string{"."}, nil
	}
	stacks, err := detect.Discover(os.DirFS(a.gh.Workspace), globs)
	if err != nil {
		return nil, fail("detect-failed", fmt.Errorf("finding the stacks: %w", err))
	}
	return detect.StackDirs(stacks), nil
}

// driftOne checks one stack for drift and reports it: log, outputs, job
// summary and the stack's drift issue.
func driftOne(ctx context.Context, a *app, dir string) error {
	s, text, id, err := driftPlan(ctx, a, dir)
	if err != nil {
		return err
	}
	rep := driftReport{
		Directory: dir, Environment: a.cfg.Environment,
		Drifted: len(s.Drift) > 0 || len(s.Changes) > 0 || len(s.Outputs) > 0,
		Drift:   len(s.Drift), Add: s.Add, Change: s.Change, Destroy: s.Destroy, Replace: s.Replace,
		Commit: a.gh.SHA,
	}
	meta := comment.Meta{
		Directory: dir, Environment: a.cfg.Environment, Commit: a.gh.SHA, RunURL: a.gh.RunURL(),
		Engine: id.Name, EngineVersion: id.Version, LockstepVersion: version.Version, Now: a.env.Now(),
	}
	if rep.Drifted {
		a.r.Printf("%s: drifted: %s changed outside %s; %s not applied.", dir, plural(len(s.Drift), "resource"), id.Display(), plural(len(s.Changes), "planned change"))
	} else {
		a.r.Printf("%s: no drift: the infrastructure matches the code at %s.", dir, short(a.gh.SHA))
	}
	issue, issueErr := a.driftIssue(ctx, s, meta, rep.Drifted)
	rep.Issue, rep.IssueResult = issue.url, issue.result

	data, err := json.Marshal(map[string]driftReport{dir: rep})
	if err != nil {
		return fmt.Errorf("encoding drift-json: %w", err)
	}
	outputs := [][2]string{{"drifted", strconv.FormatBool(rep.Drifted)}, {driftStackOutput, string(data)}}
	if issueErr == nil {
		outputs = append(outputs, [2]string{"result", "success"})
	}
	for _, o := range outputs {
		if err := a.r.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	if err := a.r.Summary(driftSummary(s, text, meta, rep)); err != nil {
		return err
	}
	return issueErr
}

// driftPlan runs init and a refreshing plan of the stack into a temporary
// plan file outside the workspace, and summarises it. No binding record is
// written: nothing a drift run plans can ever be applied.
func driftPlan(ctx context.Context, a *app, dir string) (*plan.Summary, string, engine.Identity, error) {
	abs := a.absDir(dir)
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, "", engine.Identity{}, &config.InputError{Input: "working-directory", Value: dir, Problem: "is not a directory in the repository", Flag: a.local != nil}
	}
	for _, vf := range a.cfg.VarFiles {
		if _, err := os.Stat(filepath.Join(abs, filepath.FromSlash(vf))); err != nil {
			return nil, "", engine.Identity{}, &config.InputError{Input: "var-files", Value: vf, Problem: "does not exist in " + dir + " (paths are relative to the working directory)", Flag: a.local != nil}
		}
	}
	eng, id, err := a.stackEngine(ctx, dir)
	if err != nil {
		return nil, "", id, err
	}
	tmp, err := os.MkdirTemp("", "lockstep-drift-")
	if err != nil {
		return nil, "", id, fmt.Errorf("making a scratch directory for the drift plan: %w", err)
	}
	defer os.RemoveAll(tmp)
	planPath := filepath.Join(tmp, "drift.tfplan")

	cmd := id.Command()
	end := a.r.Group(cmd + " init in " + dir)
	err = eng.Init(ctx, engine.InitOptions{BackendConfig: a.cfg.BackendConfig})
	end()
	if err != nil {
		return nil, "", id, fail("init-failed", err)
	}
	a.r.Printf("Running %s plan in %s to look for drift…", cmd, dir)
	p, err := eng.Plan(ctx, engine.PlanOptions{Out: planPath, VarFiles: a.cfg.VarFiles, LockTimeout: a.cfg.LockTimeout, Scratch: true})
	if err != nil {
		if p != nil {
			_, _ = io.WriteString(a.r.Log(), p.Text)
		}
		if lerr := pipeline.LockedFailure(pipeline.Stack{Dir: dir, Root: abs, Engine: eng, Identity: id}, a.cfg.LockTimeout, err); lerr != nil {
			return nil, "", id, lerr
		}
		return nil, "", id, fail("plan-failed", err)
	}
	// The plan's secrets are masked before anything from it is logged.
	a.r.Mask(p.Summary.Secrets...)
	// Addresses are names: a sensitive value equal to part of one does not
	// blank it in the issue (the log is masked as ever).
	a.r.Masker().Keep(p.Summary.Secrets, comment.Names(p.Summary))
	end = a.r.Group(cmd + " plan in " + dir)
	_, _ = io.WriteString(a.r.Log(), p.Text)
	end()
	return p.Summary, p.Text, id, nil
}

// issueOutcome is what driftIssue did.
type issueOutcome struct {
	url, result string
}

// driftIssue keeps the stack's drift issue: opened, reopened or updated in
// place while drifted, closed with one comment when clean. It is found by
// its marker (comment.DriftMarker) among the issues labelled
// lockstep:drift and written by lockstep's own identity; anyone else's
// issue with the marker is ignored. With comment: never, or locally (the
// body goes to --comment-file), there is no issue. Everything written goes
// through the same redaction as the plan comment, plus the run's secrets.
func (a *app) driftIssue(ctx context.Context, s *plan.Summary, m comment.Meta, drifted bool) (issueOutcome, error) {
	redact := a.r.Masker().RedactRendered
	body := redact(comment.RenderDrift(s, m))
	if a.local != nil {
		if a.local.commentFile != "" && drifted {
			if err := os.WriteFile(a.local.commentFile, []byte(body), 0o644); err != nil {
				a.r.Warnf("writing --comment-file: %v", err)
			}
		}
		return issueOutcome{}, nil
	}
	if a.cfg.Comment == config.Never {
		return issueOutcome{}, nil
	}
	gh, err := a.github()
	if err != nil {
		return issueOutcome{}, fail("drift-issue-failed", fmt.Errorf("keeping the drift issue of %s: %w", m.Directory, err))
	}
	marker := comment.DriftMarker(m.Directory, m.Environment)
	var is github.Issue
	var res github.IssueResult
	if drifted {
		is, res, err = gh.UpsertIssue(ctx, github.IssueSpec{
			Marker: marker, Label: comment.DriftLabel, LabelColor: "d93f0b",
			LabelDescription: "lockstep: the infrastructure does not match the default branch",
			Title:            redact(comment.DriftTitle(m.Directory, m.Environment)),
			Body:             body,
		})
	} else {
		is, res, err = gh.CloseIssue(ctx, comment.DriftLabel, marker, cleanMarker(m.Commit), redact(comment.RenderDriftClean(m.Commit, m.RunURL)))
	}
	if err != nil {
		if github.IsPermission(err) {
			err = fmt.Errorf("%w (the job needs `permissions: issues: write`)", err)
		}
		return issueOutcome{}, fail("drift-issue-failed", fmt.Errorf("keeping the drift issue of %s: %w", m.Directory, err))
	}
	if res == github.IssueNone {
		return issueOutcome{result: res.String()}, nil
	}
	a.r.Printf("%s: drift issue #%d %s: %s", m.Directory, is.Number, res, is.URL)
	return issueOutcome{url: is.URL, result: res.String()}, nil
}

// cleanMarker identifies the closing comment of one clean commit, so that a
// retried close edits it instead of adding another.
func cleanMarker(commit string) string {
	hex := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'f' {
			return r
		}
		return -1
	}, strings.ToLower(commit))
	return "<!-- lockstep:drift-clean commit=" + hex + " -->"
}

// driftSummary is the job summary of one stack's drift check: the verdict
// and the issue, then the plan as the plan command shows it.
func driftSummary(s *plan.Summary, text string, m comment.Meta, rep driftReport) string {
	var b strings.Builder
	dir := comment.Code(rep.Directory)
	verdict := "✅ **No drift** in " + dir + envSuffix(rep.Environment) + ": the infrastructure matches the code at " + comment.Code(short(rep.Commit)) + "."
	if rep.Drifted {
		verdict = fmt.Sprintf("⚠️ **Drift** in %s%s: %s changed outside %s; %s not applied.", dir, envSuffix(rep.Environment),
			plural(rep.Drift, "resource"), comment.EscapeText(engine.DisplayName(m.Engine)), plural(len(s.Changes), "planned change"))
	}
	b.WriteString(verdict)
	if rep.Issue != "" {
		b.WriteString(" Issue: " + rep.Issue + " (" + rep.IssueResult + ").")
	}
	b.WriteString("\n\n")
	b.WriteString(comment.RenderSummary(s, text, m))
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// driftStacks checks several stacks side by side and sums up.
func driftStacks(ctx context.Context, a *app, dirs []string) error {
	if err := a.checkStackDirs(dirs); err != nil {
		return err
	}
	runs := make([]*stackRun, len(dirs))
	for i, dir := range dirs {
		runs[i] = &stackRun{dir: dir}
	}
	a.r.Printf("Checking %d stacks for drift, %d at a time: %s", len(dirs), max(1, min(a.cfg.Parallelism, len(dirs))), truncateList(dirs, 20))
	a.runStacks(ctx, runs, driftOne, driftHeadline)

	all := map[string]driftReport{}
	drifted := false
	for _, run := range runs {
		var one map[string]driftReport
		if err := json.Unmarshal([]byte(run.outputs[driftStackOutput]), &one); err != nil {
			continue // the stack failed before reporting
		}
		for k, v := range one {
			all[k] = v
			drifted = drifted || v.Drifted
		}
	}
	data, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("encoding drift-json: %w", err)
	}
	serr := stacksErr("check for drift", runs)
	outputs := append([][2]string{{"drifted", strconv.FormatBool(drifted)}, {driftStackOutput, string(data)}}, resultOutputs(serr)...)
	for _, o := range outputs {
		if err := a.r.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	a.writeCommentFile(runs)
	if err := a.r.Summary(withStackSummaries(driftRollup(a, runs, all), runs)); err != nil && serr == nil {
		return err
	}
	return serr
}

// driftHeadline titles a finished stack's drift log.
func driftHeadline(run *stackRun) string {
	took := run.took.Round(100 * time.Millisecond)
	switch {
	case run.state == stackFailed:
		return fmt.Sprintf("%s · drift check failed (%s) · %s", run.dir, failureReason(run.err), took)
	case run.outputs["drifted"] == "true":
		return fmt.Sprintf("%s · drifted · %s", run.dir, took)
	default:
		return fmt.Sprintf("%s · no drift · %s", run.dir, took)
	}
}

// driftRollup is the table at the top of a multi-stack drift job summary.
func driftRollup(a *app, runs []*stackRun, all map[string]driftReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Drift · %d stacks%s\n\n", len(runs), envSuffix(a.cfg.Environment))
	b.WriteString("| Stack | Result | Changed outside | Add | Change | Destroy | Issue |\n| --- | --- | ---: | ---: | ---: | ---: | --- |\n")
	for _, run := range runs {
		rep, ok := all[run.dir]
		switch {
		case run.state == stackFailed && !ok:
			fmt.Fprintf(&b, "| %s | ❌ failed: %s |  |  |  |  |  |\n", comment.CellCode(run.dir), comment.EscapeText(firstLine(run.err.Error(), 200)))
		case run.state == stackNotStarted:
			fmt.Fprintf(&b, "| %s | ⏸️ not started |  |  |  |  |  |\n", comment.CellCode(run.dir))
		default:
			what := "✅ no drift"
			if rep.Drifted {
				what = "⚠️ drifted"
			}
			if run.state == stackFailed {
				what += "; ❌ " + comment.EscapeText(firstLine(run.err.Error(), 200))
			}
			issue := ""
			if rep.Issue != "" {
				issue = rep.Issue + " (" + rep.IssueResult + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %s |\n", comment.CellCode(run.dir), what, rep.Drift, rep.Add, rep.Change, rep.Destroy, issue)
		}
	}
	b.WriteString("\n")
	return b.String()
}
