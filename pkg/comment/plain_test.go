package comment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlainTextGolden: the comment of a real plan, and one with hostile
// values, read as plain text in a terminal.
func TestPlainTextGolden(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("testdata", "medium.golden.md"))
	require.NoError(t, err)
	cases := map[string]string{
		"medium": string(md),
		"values": Render(valuesSummary(), "  # x\n", Meta{Directory: "infra"}, Options{Marker: true}),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			got := PlainText(body)
			path := filepath.Join("testdata", name+".plain.golden.txt")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./pkg/comment -update")
			assert.Equal(t, string(want), got)
		})
	}
}

func TestPlainText(t *testing.T) {
	md := "<!-- lockstep:plan dir=infra env= -->\n### Terraform plan · `infra`\n\n" +
		"**1 to add** · [run 9](https://github.com/o/r/actions/runs/9)\n\n" +
		"> [!CAUTION]\n> **This plan destroys 1 resource.** Data\n>\n> - 🗑️ `a.b` — gone\n\n" +
		"| action | resource | what changes |\n| --- | --- | --- |\n" +
		"| ✏️ update | `x.y[\"k\"]` | `n`: `1` → `2`<br>`m`: ``\"a<br>b\\|c` d\"`` |\n\n" +
		"<details><summary>Full plan · 2 lines</summary>\n\n````diff\n+ a = \"`b`\"\n````\n\n</details>\n" +
		"\\#\u200d12 @\u200dadmin &lt;b&gt; <sub>lockstep 1.0</sub>\n"
	want := "Terraform plan · infra\n" +
		"──────────────────────\n\n" +
		"1 to add · run 9 (https://github.com/o/r/actions/runs/9)\n\n" +
		"│ CAUTION\n│ This plan destroys 1 resource. Data\n│\n│ • 🗑️ a.b — gone\n\n" +
		"action     resource  what changes\n" +
		"─────────────────────────────────────\n" +
		"✏️ update  x.y[\"k\"]  n: 1 → 2\n" +
		"                     m: \"a<br>b|c` d\"\n\n" +
		"▸ Full plan · 2 lines\n\n" +
		"    + a = \"`b`\"\n\n" +
		"#12 @admin <b> lockstep 1.0\n"
	assert.Equal(t, want, PlainText(md))
	assert.NotContains(t, PlainText("a \x1b[31mred\x1b[0m b"), "\x1b")
	assert.False(t, strings.Contains(PlainText("x\u202ey"), "\u202e"))
}
