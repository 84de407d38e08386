package deploy

import (
	"fmt"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"strings"
)

// Markdown renders the deployment for the job summary: a headline with the
// deployment version, the rollout's steps, and what the rollback did.
func (r Result) Markdown() string {
	var b strings.Builder
	where := ""
	if r.Entry.Environment != "" {
		where = " to " + escapeCell(r.Entry.Environment)
	}
	if r.OK() {
		fmt.Fprintf(&b, "### ✅ Deployed %s%s\n\n", code(r.Entry.DeploymentVersion), where)
	} else {
		fmt.Fprintf(&b, "### ❌ Deploying %s%s failed\n\n", code(r.Entry.DeploymentVersion), where)
	}
	b.WriteString(r.Outcome.Markdown())
	switch {
	case r.Rollback != nil:
		b.WriteString("\n")
		b.WriteString(r.Rollback.Markdown())
	case r.RollbackErr != nil:
		fmt.Fprintf(&b, "\n#### ↩️ No rollback\n\n%s\n", escapeCell(r.RollbackErr.Error()))
	}
	return b.String()
}

// Markdown renders the rollback for the job summary.
func (r RollbackResult) Markdown() string {
	var b strings.Builder
	from := ""
	if r.From != "" {
		from = " from " + code(r.From)
	}
	if r.OK() {
		fmt.Fprintf(&b, "#### ↩️ Rolled back%s to %s\n\n", from, code(r.Entry.DeploymentVersion))
	} else {
		fmt.Fprintf(&b, "#### ❌ Rolling back%s to %s failed\n\n", from, code(r.Entry.DeploymentVersion))
	}
	if r.To.ID != "" {
		fmt.Fprintf(&b, "Last good on this infra version: deployment %s, %s.\n\n",
			escapeCell(r.To.ID), r.To.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	b.WriteString(r.Outcome.Markdown())
	return b.String()
}

// code shows a value as inline code, safe inside a table cell.
func code(s string) string {
	if s == "" {
		return "(none)"
	}
	return comment.CellCode(s)
}
