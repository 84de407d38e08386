package comment

import (
	"strings"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// DriftLabel is the label every drift issue carries; lockstep searches
// issues by it before matching their marker.
const DriftLabel = "lockstep:drift"

// DriftMarker returns the hidden first line that identifies the drift issue
// of one working directory and environment:
//
//	<!-- lockstep:drift dir=<dir> env=<env> -->
//
// dir and env are encoded as in [Marker].
func DriftMarker(dir, env string) string {
	return "<!-- lockstep:drift dir=" + markerValue(dir) + " env=" + markerValue(env) + " -->"
}

// ParseDriftMarker reads the encoded dir and env from the first line of a
// drift issue's body. ok is false when the first line is not a drift marker.
// The values stay encoded: compare them with those of [DriftMarker].
func ParseDriftMarker(body string) (dir, env string, ok bool) {
	first, _, _ := strings.Cut(body, "\n")
	first = strings.TrimSuffix(first, "\r")
	inner, found := strings.CutPrefix(first, "<!-- lockstep:drift dir=")
	if !found {
		return "", "", false
	}
	inner, found = strings.CutSuffix(inner, " -->")
	if !found {
		return "", "", false
	}
	dir, env, found = strings.Cut(inner, " env=")
	if !found || dir == "" || strings.ContainsAny(dir+env, " \t") {
		return "", "", false
	}
	return dir, env, true
}

// DriftTitle is the drift issue's title for a stack.
func DriftTitle(dir, env string) string {
	if dir == "" {
		dir = "."
	}
	t := "Drift: " + truncate(sanitize(dir, false), maxDir)
	if env = sanitize(env, false); env != "" {
		t += " (" + truncate(env, maxMeta) + ")"
	}
	return t
}

// DriftIssueBudget is the rune budget of a drift issue body, under GitHub's
// limit on issue bodies (the same as comments').
const DriftIssueBudget = DefaultCommentBudget

// maxDriftRows is how many rows each table of a drift issue lists before it
// points to the run's job summary.
const maxDriftRows = 200

// RenderDrift renders the body of a stack's drift issue: its marker, what
// changed outside the engine since the last apply (Summary.Drift with the
// changed attributes), what the checked-out code has that is not applied
// (the planned changes), their counts, and a footer with the commit, the
// run and the time. The footer is the last line and starts with "<sub>", so
// [SameContent] treats a re-run that found the same drift as unchanged.
//
// Addresses and attribute names are names, shown as they are (never
// redacted, like the plan comment's); values are never shown.
func RenderDrift(s *plan.Summary, m Meta) string {
	if s == nil {
		s = &plan.Summary{}
	}
	r := &renderer{s: s, m: m, p: profile{budget: DriftIssueBudget, measure: utf8.RuneCountInString, maxAttrs: 8}, runURL: safeURL(m.RunURL)}
	r.redactor = redact.New(s.Secrets, redacted)
	for rows := maxDriftRows; ; rows /= 2 {
		body := r.driftBody(rows)
		if utf8.RuneCountInString(body) <= DriftIssueBudget || rows == 0 {
			return cutTo(body, DriftIssueBudget, utf8.RuneCountInString)
		}
	}
}

func (r *renderer) driftBody(maxRows int) string {
	var b strings.Builder
	dir := r.m.Directory
	if dir == "" {
		dir = "."
	}
	eng := EscapeText(r.engine())
	b.WriteString(DriftMarker(r.m.Directory, r.m.Environment) + "\n")
	b.WriteString("### ⚠️ Drift · " + Code(truncate(dir, maxDir)))
	if env := sanitize(r.m.Environment, false); env != "" {
		b.WriteString(" → " + EscapeText(truncate(env, maxDir)))
	}
	b.WriteString("\n\n")
	b.WriteString("**The infrastructure does not match the default branch's code:** ")
	switch {
	case len(r.s.Drift) > 0:
		b.WriteString(plural(len(r.s.Drift), "resource", "resources") + " changed outside " + eng + " since the last apply; ")
	default:
		b.WriteString("no resource changed outside " + eng + " that a refresh can see; ")
	}
	b.WriteString(plural(len(r.s.Changes), "planned change is", "planned changes are") + " not applied.\n\n")

	b.WriteString("#### Changed outside " + eng + "\n\n")
	if len(r.s.Drift) == 0 {
		b.WriteString("Nothing: the real resources match the state.\n\n")
	} else {
		b.WriteString("| | resource | what changed |\n| --- | --- | --- |\n")
		for i, c := range r.s.Drift {
			if i == maxRows {
				b.WriteString("| … | " + plural(len(r.s.Drift)-i, "more resource", "more resources") + " in the run's job summary | |\n")
				break
			}
			why := ""
			switch c.Action {
			case plan.ActionUpdate:
				why = r.names(c.ChangedAttributes, cellCode)
			case plan.ActionDelete:
				why = "deleted outside " + eng
			}
			b.WriteString("| " + driftLabel(c.Action) + " | " + cellCode(r.address(c.Address)) + " | " + why + " |\n")
		}
		b.WriteString("\n")
	}

	b.WriteString("#### What applying the default branch would change\n\n")
	if len(r.s.Changes) == 0 {
		b.WriteString("Nothing: the code matches the state.\n\n")
	} else {
		if len(r.s.Drift) > 0 {
			b.WriteString("It reverts the changes made outside " + eng + " and applies the code not applied yet. ")
		}
		b.WriteString("**Plan:** " + num(r.s.Add) + " to add, " + num(r.s.Change) + " to change, " + num(r.s.Destroy) + " to destroy.\n\n")
		b.WriteString(tableHeader)
		for i, c := range r.s.Changes {
			if i == maxRows {
				b.WriteString("| … | " + plural(len(r.s.Changes)-i, "more change", "more changes") + " in the run's job summary | |\n")
				break
			}
			b.WriteString(r.row(c))
		}
		b.WriteString("\n")
	}
	if len(r.s.Outputs) > 0 {
		names := make([]string, len(r.s.Outputs))
		for i, o := range r.s.Outputs {
			names[i] = o.Name
		}
		b.WriteString("**Outputs that would change:** " + r.names(names, Code) + "\n\n")
	}
	b.WriteString("**What to do:** to make the infrastructure match the code again, run the pipeline on the default branch (its plan reverts the changes made outside " + eng + "); to keep them, change the code to match and merge it. lockstep updates this issue on every drift run and closes it once the stack is clean.\n\n")
	b.WriteString(r.driftFooter())
	return b.String()
}

// driftFooter is the last line: commit, run, versions, time. SameContent
// ignores it.
func (r *renderer) driftFooter() string {
	var parts []string
	if c := sanitize(r.m.Commit, false); c != "" {
		parts = append(parts, "commit "+Code(prefix(c, 7)))
	}
	if r.runURL != "" {
		parts = append(parts, r.runLink("run"))
	}
	if v := sanitize(r.m.LockstepVersion, false); v != "" {
		parts = append(parts, "lockstep "+EscapeText(truncate(v, maxMeta)))
	}
	tv := r.m.EngineVersion
	if tv == "" {
		tv = r.s.EngineVersion
	}
	if tv = sanitize(tv, false); tv != "" {
		parts = append(parts, EscapeText(r.engine())+" "+EscapeText(truncate(tv, maxMeta)))
	}
	if !r.m.Now.IsZero() {
		parts = append(parts, "updated "+r.m.Now.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return "<sub>" + strings.Join(parts, " · ") + "</sub>\n"
}

// RenderDriftClean is the comment that closes a drift issue once the stack
// is clean at commit.
func RenderDriftClean(commit, runURL string) string {
	s := "✅ No drift at " + Code(prefix(sanitize(commit, false), 7))
	if u := safeURL(runURL); u != "" {
		s += " ([run](" + u + "))"
	}
	return s + ": the infrastructure matches the default branch's code. Closing."
}
