package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/engine"
)

// finding is one problem validate found: an unformatted file or a Terraform
// diagnostic, already placed relative to the repository root.
type finding struct {
	annotation actions.Annotation
	source     string // "fmt" or "validate"
}

// runValidate runs terraform fmt -check, init -backend=false and validate
// -json in every working directory. Every problem becomes an annotation on
// the pull request's files, a log line and a row in the job summary (GitHub
// shows only 10 error annotations per step; the summary lists them all).
func runValidate(ctx context.Context, a *app) error {
	var findings []finding
	var errs []error
	// The policy file fails apply when it is invalid: say so at review
	// time instead.
	if _, err := a.policy(); err != nil {
		errs = append(errs, err)
	}
	for _, dir := range a.cfg.WorkingDirectories {
		f, err := validateDir(ctx, a, dir)
		findings = append(findings, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	errorCount := 0
	for _, f := range findings {
		a.r.Annotate(f.annotation)
		if f.annotation.Level == "error" {
			errorCount++
		}
	}
	if err := a.r.Summary(validateSummary(engine.Identity{Name: a.cfg.Engine}, a.cfg.WorkingDirectories, findings, errs)); err != nil {
		return err
	}
	switch {
	case len(errs) > 0:
		return fail("validate-failed", errs[0])
	case errorCount > 0:
		_ = a.r.SetOutput("result", "failed")
		_ = a.r.SetOutput("failure-reason", "validate-failed")
		where := "each is annotated above and listed in the job summary"
		if !a.r.IsAction() {
			where = "each is listed above"
		}
		return fail("validate-failed", fmt.Errorf("validate found %d error(s); %s", errorCount, where))
	}
	return a.r.SetOutput("result", "success")
}

func validateDir(ctx context.Context, a *app, dir string) ([]finding, error) {
	eng, id, err := a.stackEngine(ctx, dir)
	if err != nil {
		return nil, err
	}
	var findings []finding

	cmd := id.Command()
	end := a.r.Group(cmd + " fmt -check in " + dir)
	files, err := eng.FormatCheck(ctx)
	end()
	if err != nil {
		return nil, fail("validate-failed", err)
	}
	for _, f := range files {
		findings = append(findings, finding{source: "fmt", annotation: actions.Annotation{
			Level:   "error",
			File:    a.repoPath(dir, f),
			Title:   id.Display() + " file is not formatted",
			Message: fmt.Sprintf("run `%s fmt` in %s to format %s", cmd, dir, f),
		}})
	}

	end = a.r.Group(cmd + " init -backend=false in " + dir)
	err = eng.Init(ctx, engine.InitOptions{NoBackend: true})
	end()
	if err != nil {
		return findings, fail("init-failed", err)
	}

	diags, err := eng.Validate(ctx)
	if err != nil {
		return findings, fail("validate-failed", err)
	}
	for _, d := range diags {
		findings = append(findings, finding{source: "validate", annotation: diagnosticAnnotation(a, dir, d)})
	}
	return findings, nil
}

// diagnosticAnnotation places an engine's diagnostic on its file and range.
func diagnosticAnnotation(a *app, dir string, d engine.Diagnostic) actions.Annotation {
	level := "error"
	if d.Warning {
		level = "warning"
	}
	an := actions.Annotation{Level: level, Title: d.Summary, Message: d.Detail}
	if an.Message == "" {
		an.Message = d.Summary
	}
	if d.File != "" {
		an.File = a.repoPath(dir, d.File)
		an.Line, an.Col = d.Line, d.Column
		an.EndLine, an.EndColumn = d.EndLine, d.EndColumn
	}
	return an
}

// validateSummary renders every finding as a Markdown table for the job
// summary.
func validateSummary(id engine.Identity, dirs []string, findings []finding, errs []error) string {
	var b strings.Builder
	where := comment.Code(strings.Join(dirs, ", "))
	errorCount, warnCount := 0, 0
	for _, f := range findings {
		if f.annotation.Level == "error" {
			errorCount++
		} else {
			warnCount++
		}
	}
	fmt.Fprintf(&b, "### %s validate · %s\n\n", id.Display(), where)
	// A check that could not run is never reported as a pass.
	for _, err := range errs {
		fmt.Fprintf(&b, "❌ **Could not validate:** %s\n\n", comment.EscapeText(firstLine(err.Error(), 500)))
	}
	if len(findings) == 0 && len(errs) > 0 {
		return b.String()
	}
	if len(findings) == 0 {
		b.WriteString(engine.TraitsOf(id.Name).ValidMarkdown + "\n\n")
		return b.String()
	}
	fmt.Fprintf(&b, "❌ **%d error(s), %d warning(s).**", errorCount, warnCount)
	if errorCount > 10 {
		b.WriteString(" GitHub shows only the first 10 error annotations of a step; all are listed here.")
	}
	b.WriteString("\n\n| | where | problem | detail |\n| --- | --- | --- | --- |\n")
	for _, f := range findings {
		an := f.annotation
		icon := "❌"
		if an.Level == "warning" {
			icon = "⚠️"
		}
		loc := an.File
		if an.Line > 0 {
			loc = fmt.Sprintf("%s:%d", an.File, an.Line)
		}
		detail := an.Message
		if f.source == "fmt" {
			detail = "not formatted: run " + id.Command() + " fmt"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", icon, comment.CellCode(loc), comment.EscapeText(an.Title), comment.EscapeText(detail))
	}
	b.WriteString("\n")
	return b.String()
}
