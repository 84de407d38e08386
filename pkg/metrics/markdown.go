package metrics

import (
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/comment"
)

// Markdown renders the report for the job summary: a headline, one row per
// query, and the samples of each query that fired, with their labels.
func (r Report) Markdown() string {
	var b strings.Builder
	window := "once"
	if r.Window > 0 {
		window = fmt.Sprintf("every %s over %s", dur(r.Interval), dur(r.Window))
	}
	failed := r.Failed()
	switch {
	case len(r.Results) == 0:
		b.WriteString("### Metrics gate\n\nNo `metrics-queries` given.\n")
		return b.String()
	case len(failed) == 0 && r.Err == nil:
		fmt.Fprintf(&b, "### ✅ Metrics gate passed\n\n%s returned no sample from Prometheus at %s (evaluated %s).\n\n",
			countQueries(len(r.Results)), comment.Code(r.Address), window)
	case len(failed) == 0:
		fmt.Fprintf(&b, "### ⚠️ Metrics gate interrupted\n\n%s returned no sample from Prometheus at %s until the gate stopped (evaluated %s).\n\n",
			countQueries(len(r.Results)), comment.Code(r.Address), window)
	default:
		fmt.Fprintf(&b, "### ❌ Metrics gate failed\n\n%d of %s failed against Prometheus at %s (evaluated %s; a query that returns any sample fails).\n\n",
			len(failed), countQueries(len(r.Results)), comment.Code(r.Address), window)
	}
	b.WriteString("| Query | Result | Rounds | Details |\n| --- | --- | ---: | --- |\n")
	for _, q := range r.Results {
		fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", comment.CellCode(q.Query), verdict(q), q.Rounds, comment.EscapeText(details(q)))
	}
	for _, q := range r.Results {
		if !q.Fired {
			continue
		}
		when := ""
		if q.FiredAt > 0 {
			when = " after " + dur(q.FiredAt)
		}
		fmt.Fprintf(&b, "\nSamples of %s%s:\n\n```\n", comment.Code(q.Query), when)
		for _, s := range q.Samples {
			b.WriteString(fence(s.String()) + "\n")
		}
		if q.Total > len(q.Samples) {
			fmt.Fprintf(&b, "… and %d more\n", q.Total-len(q.Samples))
		}
		b.WriteString("```\n")
	}
	for _, w := range r.NoDataWarnings() {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> %s\n", comment.EscapeText(w))
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> %s\n", comment.EscapeText(r.Err.Error()))
	}
	return b.String()
}

// Summary is the report in one line, for logs, deployment status
// descriptions and canary step details.
func (r Report) Summary() string {
	failed := r.Failed()
	switch {
	case len(failed) == 0 && r.Err == nil:
		return fmt.Sprintf("metrics: %s clean", countQueries(len(r.Results)))
	case len(failed) == 0:
		return r.Err.Error()
	}
	return fmt.Sprintf("metrics gate failed for %d of %s: %s", len(failed), countQueries(len(r.Results)), r.Details())
}

// Details say how each failed query failed, in one line: what a canary
// step's failure shows after "metrics gate failed:". "" when none failed.
func (r Report) Details() string {
	var parts []string
	for _, q := range r.Failed() {
		parts = append(parts, fmt.Sprintf("%s: %s", q.Query, details(q)))
	}
	if r.Err != nil {
		parts = append(parts, r.Err.Error())
	}
	return strings.Join(parts, "; ")
}

func verdict(q QueryResult) string {
	switch {
	case q.OK:
		return "✅ no samples"
	case q.Fired:
		return "❌ fired"
	case q.Bad:
		return "❌ bad query"
	case q.Err != "":
		return "❌ not evaluated"
	case q.NoData:
		return "❌ no data"
	}
	return "❌ not evaluated"
}

func details(q QueryResult) string {
	switch {
	case q.Fired:
		shown := make([]string, len(q.Samples))
		for i, s := range q.Samples {
			shown[i] = s.String()
		}
		more := ""
		if q.Total > len(q.Samples) {
			more = fmt.Sprintf(" (and %d more)", q.Total-len(q.Samples))
		}
		return fmt.Sprintf("%d sample(s): %s%s", q.Total, strings.Join(shown, ", "), more)
	case q.Bad:
		return "Prometheus rejected it: " + q.Err
	case q.Err != "":
		return q.Err
	case q.NoData:
		return fmt.Sprintf("no data: %s returned nothing in %d round(s), and metrics-require-data is true", q.DataQuery, q.Rounds)
	case q.Rounds == 0:
		return "not evaluated"
	}
	return ""
}

// fence keeps a sample line from closing the code block around it.
func fence(s string) string { return strings.ReplaceAll(s, "```", "` ` `") }

func dur(d time.Duration) string { return comment.Duration(d) }
