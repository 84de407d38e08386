package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// runHistory shows the deployment ledger: which app version ran on which
// infra version, where, when, by whom and how it ended, newest first, for
// one environment (environment) or all. Locally it reads the file ledger in
// --state-dir and prints a table (or --json) to stdout; in a workflow it
// reads GitHub Deployments and writes the table to the log and the job
// summary.
func runHistory(ctx context.Context, a *app) error {
	entries, where, err := readHistory(ctx, a)
	if err != nil {
		return err
	}
	if a.local != nil {
		a.r.Printf("Deployment history%s from %s:", toEnvironment(a.cfg.Environment), where)
		if a.local.json {
			data, err := trace.RenderHistoryJSON(entries)
			if err != nil {
				return fmt.Errorf("rendering the history as JSON: %w", err)
			}
			_, err = io.WriteString(a.env.Stdout, a.r.Masker().Redact(string(data)))
			return err
		}
		_, err := io.WriteString(a.env.Stdout, a.r.Masker().Redact(trace.RenderHistory(entries)))
		return err
	}
	table := trace.RenderHistory(entries)
	_, _ = io.WriteString(a.r.Log(), table)
	title := "all environments"
	if a.cfg.Environment != "" {
		title = "`" + a.cfg.Environment + "`"
	}
	if err := a.r.Summary(fmt.Sprintf("### Deployment history · %s\n\n%s\n", title, fenced(table))); err != nil {
		return err
	}
	return a.r.SetOutput("result", "success")
}

// readHistory lists the ledger's entries for the environment ("" for all).
func readHistory(ctx context.Context, a *app) ([]trace.Entry, string, error) {
	var ledger trace.Ledger
	where := "GitHub Deployments"
	if a.local != nil {
		l := &trace.FileLedger{Dir: stateDir(a), Now: a.env.Now}
		ledger, where = l, l.Path()
	} else {
		gh, err := a.github()
		if err != nil {
			return nil, "", &badInput{fmt.Errorf("reading deployments from GitHub: %w", err)}
		}
		ledger = gh.Ledger(github.LedgerOptions{Ref: a.gh.SHA})
	}
	entries, err := ledger.List(ctx, a.cfg.Environment)
	if err != nil {
		return nil, where, fail("ledger-failed", err)
	}
	return entries, where, nil
}

// fenced puts text in a Markdown code block whose fence no backtick run in
// the text can close.
func fenced(text string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fence + "text\n" + strings.TrimRight(text, "\n") + "\n" + fence + "\n"
}
