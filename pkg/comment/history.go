package comment

import (
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// Attempt is an earlier apply of the same commit that failed part way, as
// the retry's reviewers and its apply report show it. Addresses and errors
// are untrusted text (they come from the engine, and in Actions through an
// artifact).
type Attempt struct {
	Number                      int
	At                          time.Time
	Applied, Failed, NotReached []ApplyResource
	Error                       string
}

// History caps: the newest attempts and the rows of each that are shown.
const (
	historyAttempts = 3
	historyRows     = 10
)

// RenderHistory tells the reviewers of a retry that earlier applies of this
// commit failed part way, and what each one applied, failed and never
// reached: the plan below starts from where they left the infrastructure.
// It is empty without attempts.
func RenderHistory(attempts []Attempt) string {
	return renderHistory(attempts, "This plan starts from where the last attempt left the infrastructure: it holds only what remains.")
}

// RenderApplyHistory is RenderHistory for the apply report of a retry.
func RenderApplyHistory(attempts []Attempt) string {
	return renderHistory(attempts, "This apply was the retry: its reviewed plan started from where the last attempt left the infrastructure.")
}

func renderHistory(attempts []Attempt, lead string) string {
	if len(attempts) == 0 {
		return ""
	}
	var b strings.Builder
	times := "once"
	if len(attempts) > 1 {
		times = num(len(attempts)) + " times"
	}
	fmt.Fprintf(&b, "> [!WARNING]\n> **Retry after a failed apply.** The apply of this commit failed part way %s. %s\n\n", times, lead)
	shown := attempts
	if len(shown) > historyAttempts {
		fmt.Fprintf(&b, "%s older attempts are in the binding record.\n\n", num(len(shown)-historyAttempts))
		shown = shown[len(shown)-historyAttempts:]
	}
	for _, a := range shown {
		when := ""
		if !a.At.IsZero() {
			when = " · " + a.At.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(&b, "<details><summary>Attempt %s%s: %s applied, %s failed, %s not reached</summary>\n\n",
			num(a.Number), when, num(len(a.Applied)), num(len(a.Failed)), num(len(a.NotReached)))
		rows := 0
		b.WriteString("| resource | action | result |\n| --- | --- | --- |\n")
		write := func(rs []ApplyResource, result func(ApplyResource) string) {
			for _, r := range rs {
				if rows == historyRows {
					return
				}
				rows++
				fmt.Fprintf(&b, "| %s | %s | %s |\n", cellCode(r.Address), label(plan.Action(r.Action)), result(r))
			}
		}
		write(a.Failed, func(r ApplyResource) string {
			if r.Error == "" {
				return "❌ failed"
			}
			return "❌ failed: " + EscapeText(truncate(r.Error, 300))
		})
		write(a.Applied, func(ApplyResource) string { return "✅ applied" })
		write(a.NotReached, func(ApplyResource) string { return "⏸️ not reached" })
		if total := len(a.Failed) + len(a.Applied) + len(a.NotReached); total > rows {
			fmt.Fprintf(&b, "\nand %s more.\n", num(total-rows))
		}
		if a.Error != "" {
			fmt.Fprintf(&b, "\n**Error:** %s\n", EscapeText(truncate(a.Error, 500)))
		}
		b.WriteString("\n</details>\n\n")
	}
	return b.String()
}
