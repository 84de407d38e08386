package comment

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// ApplyResource is one resource in an apply report.
type ApplyResource struct {
	Address string
	Action  string
	Error   string // Terraform's error, for failed resources
}

// ApplyResult is what an apply did, per resource.
type ApplyResult struct {
	Applied, Failed, NotReached []ApplyResource
	// Errors are Terraform errors not tied to one resource.
	Errors []string
}

// applyRowCaps are the row limits per list that RenderApply tries in turn
// until the report fits a comment; the rest of each list is counted.
var applyRowCaps = []int{200, 50, 10}

// RenderApply renders the result of an apply for the job summary and the PR
// comment: on success what was applied; on failure exactly which resources
// were applied, which failed with Terraform's error, which were never
// reached, and how to fix forward. Infrastructure is never rolled back, so
// the report says so.
func RenderApply(m Meta, r ApplyResult, failure string) string {
	var out string
	for _, rows := range applyRowCaps {
		out = renderApply(m, r, failure, rows)
		if utf8.RuneCountInString(out) <= DefaultCommentBudget {
			break
		}
	}
	return out
}

func renderApply(m Meta, r ApplyResult, failure string, maxRows int) string {
	var b strings.Builder
	where := Code(m.Directory)
	if m.Environment != "" {
		where += " → " + EscapeText(m.Environment)
	}
	fmt.Fprintf(&b, "### %s apply · %s\n\n", EscapeText(engineName(m.Engine)), where)
	if failure == "" {
		if len(r.Applied) == 0 {
			b.WriteString("✅ **Nothing to apply**: the saved plan had no changes.\n\n")
		} else {
			fmt.Fprintf(&b, "✅ **Apply complete:** %s, from the reviewed plan.\n\n", applyCounts(r.Applied))
		}
	} else {
		fmt.Fprintf(&b, "> [!CAUTION]\n> **The apply failed.** %s applied (%s), %s failed, %s not reached. "+
			"lockstep does not roll infrastructure back: it now stands as listed below.\n\n",
			num(len(r.Applied)), applyCounts(r.Applied), num(len(r.Failed)), num(len(r.NotReached)))
	}
	writeApprovals(&b, m.ApprovalMode, m.Approvals)
	writeApplyList(&b, "❌ Failed", r.Failed, true, maxRows)
	writeApplyList(&b, "✅ Applied", r.Applied, false, maxRows)
	writeApplyList(&b, "⏸️ Not reached", r.NotReached, false, maxRows)
	if len(r.Errors) > 0 {
		b.WriteString("**Errors**\n\n")
		for i, e := range r.Errors {
			if i == maxRows/10+1 {
				fmt.Fprintf(&b, "- and %s more in the run's log\n", num(len(r.Errors)-i))
				break
			}
			fmt.Fprintf(&b, "- %s\n", EscapeText(truncate(e, 1000)))
		}
		b.WriteString("\n")
	}
	if failure != "" {
		fmt.Fprintf(&b, "**Error:** %s\n\n", EscapeText(truncate(failure, 2000)))
		b.WriteString("**What to do:** fix the cause, then retry this commit: **Re-run all jobs** plans it again from the state above, " +
			"shows the reviewers what this attempt applied and what remains, and applies only after approval (this saved plan is never applied again). " +
			"Or fix forward in a new pull request, or revert the change and run the pipeline so that a reviewed plan brings the infrastructure back.\n\n")
	}
	b.WriteString(footerLine(m))
	return b.String()
}

// applyCounts is Terraform's "Apply complete! Resources: …" line for what
// was applied: a replace counts as one added and one destroyed; reads,
// moves, imports and forgets do not count.
func applyCounts(rs []ApplyResource) string {
	var add, change, destroy int
	for _, r := range rs {
		switch plan.Action(r.Action) {
		case plan.ActionCreate:
			add++
		case plan.ActionUpdate:
			change++
		case plan.ActionDelete:
			destroy++
		case plan.ActionReplace:
			add++
			destroy++
		}
	}
	return fmt.Sprintf("%s added, %s changed, %s destroyed", num(add), num(change), num(destroy))
}

func writeApplyList(b *strings.Builder, title string, rs []ApplyResource, withError bool, maxRows int) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(b, "**%s (%s)**\n\n", title, num(len(rs)))
	if withError {
		b.WriteString("| resource | action | error |\n| --- | --- | --- |\n")
	} else {
		b.WriteString("| resource | action |\n| --- | --- |\n")
	}
	for i, r := range rs {
		if i == maxRows {
			fmt.Fprintf(b, "\nand %s more.\n", num(len(rs)-maxRows))
			break
		}
		if withError {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cellCode(r.Address), label(plan.Action(r.Action)), EscapeText(truncate(r.Error, 500)))
		} else {
			fmt.Fprintf(b, "| %s | %s |\n", cellCode(r.Address), label(plan.Action(r.Action)))
		}
	}
	b.WriteString("\n")
}

// RenderRefusal renders why apply refused to touch the infrastructure.
// engine is as the `engine` input spells it; empty means Terraform.
func RenderRefusal(engine, dir, env, reason string) string {
	where := Code(dir)
	if env != "" {
		where += " → " + EscapeText(env)
	}
	return fmt.Sprintf("### %s apply · %s\n\n> [!CAUTION]\n> **Refused: nothing was applied.** %s\n\n", EscapeText(engineName(engine)), where, EscapeText(truncate(reason, 3000)))
}

// maxApprovalComment bounds each approval comment shown in a report.
const maxApprovalComment = 300

// writeApprovals names the gate and who approved the apply, each with a
// link to their review and their comment.
func writeApprovals(b *strings.Builder, mode string, approvals []Approval) {
	if len(approvals) == 0 {
		return
	}
	b.WriteString(ApprovalHeading(mode) + "\n\n")
	for _, a := range approvals {
		if u := safeURL(a.URL); u != "" {
			fmt.Fprintf(b, "- [%s](%s)", EscapeText(a.Login), u)
		} else {
			fmt.Fprintf(b, "- %s", EscapeText(a.Login))
		}
		if c := strings.TrimSpace(a.Comment); c != "" {
			fmt.Fprintf(b, ": “%s”", EscapeText(truncate(c, maxApprovalComment)))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// ApprovalHeading is the heading over an apply's approvers, naming the gate.
func ApprovalHeading(mode string) string {
	switch mode {
	case "pull-request":
		return "**Approved by** (pull-request mode: approving reviews of the merged pull request)"
	case "environment":
		return "**Approved by** (environment mode: the GitHub environment's required reviewers approved this run)"
	}
	return "**Approved by**"
}

// PlainSummary is the plan for a terminal prompt, in plain text: the counts
// line, then a table of the changes in the summary's order (deletes and
// replaces first), each with what changes, at most maxRows rows (the rest
// counted). Addresses and names are sanitised: a terminal sees no control
// sequences from them.
func PlainSummary(s *plan.Summary, maxRows int) string {
	if s == nil || len(s.Changes) == 0 && len(s.Outputs) == 0 {
		return "No changes."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy)
	if s.Replace > 0 {
		fmt.Fprintf(&b, " (%d replaced)", s.Replace)
	}
	b.WriteString("\n")
	width := 0
	for i, c := range s.Changes {
		if i == maxRows {
			break
		}
		width = max(width, utf8.RuneCountInString(sanitize(c.Address, false)))
	}
	for i, c := range s.Changes {
		if i == maxRows {
			fmt.Fprintf(&b, "  … and %d more (the full plan is above)\n", len(s.Changes)-maxRows)
			break
		}
		addr := sanitize(c.Address, false)
		what := ""
		switch {
		case len(c.ReplacePaths) > 0 && c.ActionReason == plan.ReasonMayReplace:
			what = strings.Join(c.ReplacePaths, ", ") + " may force replacement"
		case len(c.ReplacePaths) > 0:
			what = strings.Join(c.ReplacePaths, ", ") + " forces replacement"
		case len(c.ChangedAttributes) > 0:
			what = strings.Join(c.ChangedAttributes, ", ")
		}
		line := fmt.Sprintf("  %-8s %-*s  %s", c.Action, width, addr, sanitize(what, false))
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	if len(s.Outputs) > 0 {
		fmt.Fprintf(&b, "  and %d output change(s)\n", len(s.Outputs))
	}
	return strings.TrimRight(b.String(), "\n")
}

// CellCode renders s as inline code safe inside a table cell.
func CellCode(s string) string { return cellCode(s) }

func footerLine(m Meta) string {
	var parts []string
	if m.Commit != "" {
		parts = append(parts, "commit "+Code(prefix(m.Commit, 7)))
	}
	if m.EngineVersion != "" {
		parts = append(parts, EscapeText(engineName(m.Engine))+" "+EscapeText(m.EngineVersion))
	}
	if m.PlanSHA256 != "" {
		parts = append(parts, "plan "+Code("sha256:"+prefix(m.PlanSHA256, 12)))
	}
	if u := safeURL(m.RunURL); u != "" {
		parts = append(parts, "[run]("+u+")")
	}
	if len(parts) == 0 {
		return ""
	}
	return "<sub>" + strings.Join(parts, " · ") + "</sub>\n"
}
