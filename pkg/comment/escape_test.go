package comment

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		multiline bool
		want      string
	}{
		{"clean ascii", "hello world", false, "hello world"},
		{"csi colour", "\x1b[1;31mred\x1b[0m", false, "red"},
		{"osc title with bel", "a\x1b]0;title\x07b", false, "ab"},
		{"osc hyperlink with st", "\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\", false, "link"},
		{"two-char escape", "a\x1bcb", false, "ab"},
		{"unterminated csi", "a\x1b[31", false, "a"},
		{"broken csi keeps the newline", "a\x1b[3\nb", true, "a\nb"},
		{"c1 csi", "a\u009b31mb", false, "ab"},
		{"c0 dropped", "a\x00b\x07c\x7fd", false, "abcd"},
		{"newline to space", "a\nb\r\nc\td", false, "a b  c d"},
		{"multiline keeps newline and tab, drops cr", "a\r\nb\tc", true, "a\nb\tc"},
		{"bidi overrides and isolates", "a\u202eb\u2066c\u2069d\u200fe", false, "abcde"},
		{"line separator", "a\u2028b", true, "a b"},
		{"invalid utf-8", "a\xffb", false, "a\ufffdb"},
		{"emoji kept", "🔁 ✏️", false, "🔁 ✏️"},
		{"marker prefix broken", "x <!-- lockstep:plan", false, "x <!-- lockstep" + zwj + ":plan"},
		{"marker hidden by escapes", "<!-- lock\x1b[0mstep:", false, "<!-- lockstep" + zwj + ":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sanitize(tt.in, tt.multiline))
		})
	}
}

func TestEscapeText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"production", "production"},
		{"pre-prod", "pre-prod"},
		{"- list", `\- list`},
		{"1. item", `1\. item`},
		{"1.2.3", "1.2.3"},
		{"+ x", `\+ x`},
		{"a|b", `a\|b`},
		{"**b** _i_ `c` ~s~ $m$", `\*\*b\*\* \_i\_ \` + "`c\\`" + ` \~s\~ \$m\$`},
		{"[l](u) ![i](u)", `\[l\](u) !\[i\](u)`},
		{"<b>&amp;", "&lt;b&gt;&amp;amp;"},
		{"@octocat", "@" + zwj + "octocat"},
		{"fixes #12", `fixes \#` + zwj + "12"},
		{`back\slash`, `back\\slash`},
		{"two\nlines", "two lines"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EscapeText(tt.in), "%q", tt.in)
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"aws_s3_bucket.logs", "`aws_s3_bucket.logs`"},
		{"a`b", "``a`b``"},
		{"`start", "`` `start ``"},
		{"end`", "`` end` ``"},
		{"x ``` y", "````x ``` y````"},
		{" padded ", "`  padded  `"},
		{"   ", "`   `"},
		{"", ""},
		{"a\nb", "`a b`"},
		{"a|b", "`a|b`"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Code(tt.in), "%q", tt.in)
	}
	assert.Equal(t, "`a\\|b`", cellCode("a|b"))
}

func TestMarker(t *testing.T) {
	tests := []struct {
		name, dir, env, want string
	}{
		{"plain", "infra", "production", "<!-- lockstep:plan dir=infra env=production -->"},
		{"path and hyphen", "stacks/us-east-1", "pre-prod", "<!-- lockstep:plan dir=stacks/us-east-1 env=pre-prod -->"},
		{"empty", "", "", "<!-- lockstep:plan dir= env= -->"},
		{"comment end", "a-->b", "x--!>", "<!-- lockstep:plan dir=a%2D%2D%3Eb env=x%2D%2D%21%3E -->"},
		{"spaces cannot fake a field", "a env=b", "c", "<!-- lockstep:plan dir=a%20env%3Db env=c -->"},
		{"newline", "a\nb", "", "<!-- lockstep:plan dir=a%0Ab env= -->"},
		{"percent is encoded", "%41", "", "<!-- lockstep:plan dir=%2541 env= -->"},
		{"non-ascii", "ü", "", "<!-- lockstep:plan dir=%C3%BC env= -->"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Marker(tt.dir, tt.env)
			assert.Equal(t, tt.want, got)
			inner := strings.TrimSuffix(strings.TrimPrefix(got, "<!--"), "-->")
			assert.NotContains(t, inner, "--", "-- inside the comment")
			assert.NotContains(t, inner, ">")
			assert.NotContains(t, inner, "\n")
		})
	}
	long := Marker(strings.Repeat("d", 1000), "e")
	assert.Less(t, len(long), 300)
	assert.NotEqual(t, long, Marker(strings.Repeat("d", 999), "e"), "shortened markers stay distinct")
	assert.Equal(t, long, Marker(strings.Repeat("d", 1000), "e"), "and deterministic")
}

func TestHasMarker(t *testing.T) {
	m := Marker("infra", "prod")
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"first line", m + "\n### plan", true},
		{"only line", m, true},
		{"crlf", m + "\r\nbody", true},
		{"not first", "hello\n" + m, false},
		{"prefix only", m + " extra\n", false},
		{"other env", Marker("infra", "production") + "\n", false},
		{"leading space", " " + m + "\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, HasMarker(tt.body, m), tt.name)
	}
	assert.False(t, HasMarker("", ""), "an empty marker matches nothing")
}

func TestDiffLine(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"  + resource \"a\" \"b\" {", "+   resource \"a\" \"b\" {"},
		{"      + id = (known after apply)", "+       id = (known after apply)"},
		{"      ~ input  = \"a\" -> \"b\"", "!       input  = \"a\" -> \"b\""},
		{"  - resource \"a\" \"b\" {", "-   resource \"a\" \"b\" {"},
		{"-/+ resource \"a\" \"b\" {", "-/+ resource \"a\" \"b\" {"},
		{"+/- resource \"a\" \"b\" {", "+/- resource \"a\" \"b\" {"},
		{"      -/+ nested", "!     -/+ nested"},
		{" <= data \"a\" \"b\" {", " <= data \"a\" \"b\" {"},
		{" . resource \"a\" \"b\" {", " . resource \"a\" \"b\" {"},
		{"~ top", "! top"},
		{"  # comment", "  # comment"},
		{"        id = \"x\"", "        id = \"x\""},
		{"  -> not a symbol", "  -> not a symbol"},
		{"      +", "+      "},
		{"", ""},
	}
	for _, tt := range tests {
		got := diffLine(tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
		assert.Equal(t, len(tt.in), len(got), "width kept for %q", tt.in)
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 4210: "4,210", 1234567: "1,234,567", -5: "-5"} {
		assert.Equal(t, want, num(in))
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/o/r/actions/runs/1", "https://github.com/o/r/actions/runs/1"},
		{"javascript:alert(1)", ""},
		{"ftp://x/y", ""},
		{"https://x/y) [a](b", "https://x/y%29%20%5Ba%5D%28b"},
		{"https://user@host/x", "https://user%40host/x"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, safeURL(tt.in), tt.in)
	}
	assert.Equal(t, "run 42", runName("https://github.com/o/r/actions/runs/42/attempts/1"))
	assert.Equal(t, "the run", runName("https://example.test/pipelines/x"))
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1234567 * time.Nanosecond:    "1ms",
		1549 * time.Millisecond:      "1.5s",
		59949 * time.Millisecond:     "59.9s",
		61500 * time.Millisecond:     "1m2s",
		2*time.Hour + 29*time.Second: "2h0m29s",
	} {
		assert.Equal(t, want, Duration(d), "%v", d)
	}
}
