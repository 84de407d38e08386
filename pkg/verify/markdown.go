package verify

import (
	"context"
	"fmt"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"strconv"
	"strings"
	"time"
)

// Markdown renders the report for the job summary: a headline and one table
// row per URL. Every cell is escaped; response bodies are never shown.
func (r Report) Markdown() string {
	var b strings.Builder
	if r.Kind == KindWatch {
		r.watchMarkdown(&b)
	} else {
		r.smokeMarkdown(&b)
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> %s\n", escapeCell(r.Err.Error()))
	}
	return b.String()
}

func (r Report) smokeMarkdown(b *strings.Builder) {
	if len(r.Results) == 0 {
		b.WriteString("### Smoke checks\n\nNo smoke URLs configured.\n")
		return
	}
	failed := len(r.Failed())
	if failed == 0 && r.Err == nil {
		fmt.Fprintf(b, "### ✅ Smoke checks passed\n\n%s answered %s.\n\n", countURLs(len(r.Results)), escapeCell(r.Expect))
	} else {
		fmt.Fprintf(b, "### ❌ Smoke checks failed\n\n%d of %s did not answer %s within %s.\n\n",
			failed, countURLs(len(r.Results)), escapeCell(r.Expect), comment.Duration(r.Timeout))
	}
	b.WriteString("| URL | Result | Attempts | Last answer | Took |\n| --- | --- | ---: | --- | ---: |\n")
	for _, res := range r.Results {
		fmt.Fprintf(b, "| %s | %s | %d | %s | %s |\n",
			code(res.URL), verdict(res.OK), res.Attempts, escapeCell(answer(res)), comment.Duration(res.Duration))
	}
}

func (r Report) watchMarkdown(b *strings.Builder) {
	if len(r.Results) == 0 {
		b.WriteString("### Watch\n\nNo URLs to watch.\n")
		return
	}
	limit := formatPercent(r.MaxErrorRate)
	if len(r.Failed()) == 0 && r.Err == nil {
		fmt.Fprintf(b, "### ✅ Watch passed\n\nEvery %s over %s stayed at or under a %s error rate.\n\n",
			comment.Duration(r.Interval), comment.Duration(r.Window), limit)
	} else {
		fmt.Fprintf(b, "### ❌ Watch failed\n\n%d of %s went over a %s error rate (probed every %s over %s).\n\n",
			len(r.Failed()), countURLs(len(r.Results)), limit, comment.Duration(r.Interval), comment.Duration(r.Window))
	}
	b.WriteString("| URL | Result | Probes | Errors | Error rate | Last answer |\n| --- | --- | ---: | ---: | ---: | --- |\n")
	for _, res := range r.Results {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %s | %s |\n",
			code(res.URL), verdict(res.OK), res.Probes, res.Failures, formatPercent(res.ErrorRate()), escapeCell(answer(res)))
	}
}

// Summary is the report in one line, for logs, deployment status
// descriptions and canary step details: which URLs failed and how.
func (r Report) Summary() string {
	failed := r.Failed()
	var parts []string
	switch {
	case len(r.Results) == 0 && r.Err == nil:
		return "no URLs to check"
	case len(failed) == 0 && r.Err == nil:
		return fmt.Sprintf("%s: %s healthy", r.Kind, countURLs(len(r.Results)))
	}
	for _, res := range failed {
		if r.Kind == KindWatch {
			parts = append(parts, fmt.Sprintf("%s: %s errors (%d of %d), last %s", res.URL, formatPercent(res.ErrorRate()), res.Failures, res.Probes, answer(res)))
		} else {
			parts = append(parts, fmt.Sprintf("%s: %s after %d attempts", res.URL, answer(res), res.Attempts))
		}
	}
	if r.Err != nil {
		parts = append(parts, r.Err.Error())
	}
	return fmt.Sprintf("%s failed for %d of %s: %s", r.Kind, len(failed), countURLs(len(r.Results)), strings.Join(parts, "; "))
}

// SmokeCheck adapts Smoke to a deploy check: ok and the one-line Summary.
// report, when not nil, receives each full Report for the job summary.
func (c *Checker) SmokeCheck(urls []string, timeout time.Duration, report func(Report)) func(ctx context.Context) (bool, string) {
	return func(ctx context.Context) (bool, string) {
		r := c.Smoke(ctx, urls, timeout)
		if report != nil {
			report(r)
		}
		return r.OK(), r.Summary()
	}
}

func answer(res Result) string {
	switch {
	case res.Err != "":
		return res.Err
	case res.Status != 0:
		return strconv.Itoa(res.Status)
	}
	return "none"
}

func verdict(ok bool) string {
	if ok {
		return "✅ healthy"
	}
	return "❌ failed"
}

func countURLs(n int) string {
	if n == 1 {
		return "1 URL"
	}
	return strconv.Itoa(n) + " URLs"
}

func formatPercent(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// code shows a value as inline code, safe inside a table cell.
func code(s string) string { return comment.CellCode(s) }

// escapeCell makes text safe inside one Markdown table cell, with the same
// rules as every other table lockstep renders.
func escapeCell(s string) string { return comment.EscapeText(s) }
