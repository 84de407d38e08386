package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// Promotion: with promote-from, a commit reaches this environment only
// after it was applied, deployed and verified on the one before it. The
// proof is the deployment ledger: the newest app deployment of this very
// commit to promote-from must have succeeded (a failed verify marks it
// failed; a later deployment that superseded it leaves it inactive, which
// still counts). Reading the ledger fails closed.

// promotion returns promote-from's deployment of this commit, nil when
// promote-from is not set, or a not-promoted refusal.
func (a *app) promotion(ctx context.Context) (*trace.Entry, error) {
	from := a.cfg.PromoteFrom
	if from == "" {
		return nil, nil
	}
	commit := a.gh.SHA
	if commit == "" {
		return nil, refuse("not-promoted", fmt.Errorf("promote-from: %s needs the commit being promoted, and this run has none (outside a git repository?)", from))
	}
	ledger, err := a.readLedger()
	if err != nil {
		return nil, err
	}
	entries, err := ledger.List(ctx, from)
	if err != nil {
		return nil, refuse("not-promoted", fmt.Errorf("reading the deployments to %s, to check promote-from: %w; nothing is promoted without them", from, err))
	}
	e, found, ok := trace.Promoted(entries, from, commit)
	to := a.cfg.Environment
	switch {
	case !found:
		return nil, refuse("not-promoted", fmt.Errorf("commit %s was never deployed to %s: with promote-from: %s it goes to %s only after it was applied, deployed and verified on %s; run the pipeline for %s first",
			short(commit), from, from, to, from, from))
	case !ok:
		what := e.Status
		if e.Description != "" {
			what += ": " + e.Description
		}
		return nil, refuse("not-promoted", fmt.Errorf("the latest deployment of commit %s to %s (app %s, deployment %s, %s UTC) did not succeed (%s): fix it there and run the pipeline again before promoting it to %s",
			short(commit), from, e.AppVersion, e.ID, e.CreatedAt.UTC().Format("2006-01-02 15:04"), what, to))
	}
	return &e, nil
}

// readLedger is the deployment ledger, for reading only: GitHub
// Deployments in Actions, the state directory's file locally.
func (a *app) readLedger() (trace.Ledger, error) {
	if a.local != nil {
		return &trace.FileLedger{Dir: stateDir(a), Now: a.env.Now}, nil
	}
	gh, err := a.github()
	if err != nil {
		return nil, &badInput{fmt.Errorf("reading deployments from GitHub for promote-from: %w", err)}
	}
	return gh.Ledger(github.LedgerOptions{Ref: a.gh.SHA}), nil
}

// promotedApp is the app version deploy ships under promote-from: the one
// that succeeded on promote-from, so the same build is promoted, never a
// rebuild. An app-version input that names another is refused.
func (a *app) promotedApp(p *trace.Entry, v deployVersion) (deployVersion, error) {
	if p == nil {
		return v, nil
	}
	if a.cfg.AppVersion != "" && a.cfg.AppVersion != p.AppVersion {
		return v, refuse("not-promoted", fmt.Errorf("app-version is %s, but %s verified app %s for commit %s: promote-from ships the app version that succeeded there (leave app-version empty, or pass %s's)",
			a.cfg.AppVersion, a.cfg.PromoteFrom, p.AppVersion, short(a.gh.SHA), a.cfg.PromoteFrom))
	}
	v.app = p.AppVersion
	return v, nil
}

// promotionNote tells the approver of this environment's plan whether the
// commit already succeeded on promote-from, for the job summary of a
// push; "" without promote-from or on pull requests (nothing deploys
// there).
func (a *app) promotionNote(ctx context.Context) string {
	if a.cfg.PromoteFrom == "" || a.gh.IsPullRequest() {
		return ""
	}
	p, err := a.promotion(ctx)
	from := comment.EscapeText(a.cfg.PromoteFrom)
	var r *refusal
	switch {
	case errors.As(err, &r):
		return "> [!WARNING]\n> **Not promoted yet:** " + comment.EscapeText(r.Err.Error()) + " Apply and deploy refuse (`not-promoted`) until it has.\n"
	case err != nil:
		return "> [!WARNING]\n> **Promotion not checked:** " + comment.EscapeText(err.Error()) + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "✅ **Promoted from %s:** this commit's app %s succeeded there (deployment %s, %s UTC",
		from, comment.Code(p.AppVersion), comment.EscapeText(p.ID), p.CreatedAt.UTC().Format("2006-01-02 15:04"))
	if p.Description != "" {
		b.WriteString(": " + comment.EscapeText(p.Description))
	}
	b.WriteString(")")
	if u := p.RunURL; strings.HasPrefix(u, "https://") {
		b.WriteString(", [run](" + u + ")")
	}
	b.WriteString(". Apply and deploy ship that same app version.\n")
	return b.String()
}
