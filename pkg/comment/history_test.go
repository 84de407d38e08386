package comment

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRenderHistory(t *testing.T) {
	assert.Empty(t, RenderHistory(nil))
	at := time.Date(2026, 12, 3, 8, 5, 0, 0, time.UTC)
	got := RenderHistory([]Attempt{{
		Number:     1,
		At:         at,
		Applied:    []ApplyResource{{Address: "terraform_data.ok", Action: "create"}},
		Failed:     []ApplyResource{{Address: "terraform_data.migrate", Action: "create", Error: "database migration failed"}},
		NotReached: []ApplyResource{{Address: "terraform_data.after", Action: "create"}},
		Error:      "exit status 1",
	}})
	want := "> [!WARNING]\n> **Retry after a failed apply.** The apply of this commit failed part way once. " +
		"This plan starts from where the last attempt left the infrastructure: it holds only what remains.\n\n" +
		"<details><summary>Attempt 1 · 2026-12-03 08:05 UTC: 1 applied, 1 failed, 1 not reached</summary>\n\n" +
		"| resource | action | result |\n| --- | --- | --- |\n" +
		"| `terraform_data.migrate` | ➕ create | ❌ failed: database migration failed |\n" +
		"| `terraform_data.ok` | ➕ create | ✅ applied |\n" +
		"| `terraform_data.after` | ➕ create | ⏸️ not reached |\n" +
		"\n**Error:** exit status 1\n\n</details>\n\n"
	assert.Equal(t, want, got)
}

// Addresses and errors come through an artifact and from the engine:
// they must not close the details, break the table, mention or link.
func TestRenderHistoryEscapesUntrustedText(t *testing.T) {
	got := RenderHistory([]Attempt{{
		Number: 1,
		Failed: []ApplyResource{{Address: "a.b | x</details>", Action: "create", Error: "</details><img src=x> @octocat #1 | [x](http://e)"}},
		Error:  "</summary>@admins",
	}})
	// The only raw </details> is lockstep's own (the address's is inside a
	// code span, where GitHub renders it as text).
	assert.Equal(t, 1, strings.Count(got, "\n</details>"), got)
	assert.Contains(t, got, "| `a.b \\| x</details>` |")
	assert.NotContains(t, got, "<img")
	assert.NotContains(t, got, "@octocat")
	assert.NotContains(t, got, "@admins")
	assert.Contains(t, got, `\[x\](http://e)`, "no link")
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "| `a.b") {
			unescaped := strings.Count(line, "|") - strings.Count(line, `\|`)
			assert.Equal(t, 4, unescaped, "three cells: %s", line)
		}
	}
}

func TestRenderHistoryCaps(t *testing.T) {
	var attempts []Attempt
	for i := 1; i <= historyAttempts+2; i++ {
		a := Attempt{Number: i}
		for j := 0; j < historyRows+5; j++ {
			a.Applied = append(a.Applied, ApplyResource{Address: "x.y", Action: "create"})
		}
		attempts = append(attempts, a)
	}
	got := RenderHistory(attempts)
	assert.Contains(t, got, "failed part way 5 times")
	assert.Contains(t, got, "2 older attempts are in the binding record.")
	assert.Equal(t, historyAttempts, strings.Count(got, "<details>"))
	assert.Equal(t, historyAttempts*historyRows, strings.Count(got, "| `x.y` |"))
	assert.Equal(t, historyAttempts, strings.Count(got, "and 5 more."))
	assert.NotContains(t, got, "Attempt 1 ", "the oldest are not shown")
}
