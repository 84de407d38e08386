package comment

import (
	"strings"
	"unicode/utf8"
)

// PlainText turns the Markdown lockstep renders (a comment, a job summary,
// a drift issue) into text that reads well in a terminal: hidden lines
// (markers, fingerprints) dropped, headings underlined, alerts and quotes
// behind a bar, tables aligned in columns (a <br> in a cell starts a new
// line in it), collapsed sections opened with a ▸ title, fenced blocks
// indented as they are, and inline markup (code spans, emphasis,
// escapes, entities, links, <sub>) reduced to its text. It reads only the
// Markdown this package writes; other Markdown comes out readable but not
// necessarily exact.
func PlainText(md string) string {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	blank := true // the last line written was blank (or nothing yet)
	emit := func(s string) {
		if s == "" {
			if blank {
				return // one blank line at a time
			}
			blank = true
		} else {
			blank = false
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "<!--") && strings.HasSuffix(trimmed, "-->"):
			// The marker and the fingerprint: for machines.
		case fenceLen(line) >= 3:
			n := fenceLen(line)
			for i++; i < len(lines) && !isClosingFence(lines[i], n); i++ {
				emit("    " + stripControls(lines[i]))
			}
		case strings.HasPrefix(line, "#"):
			text := inline(strings.TrimSpace(strings.TrimLeft(line, "#")))
			emit(text)
			if strings.HasPrefix(line, "### ") || strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "# ") {
				emit(strings.Repeat("─", max(3, displayWidth(text))))
			}
		case strings.HasPrefix(line, ">"):
			q := strings.TrimSpace(strings.TrimPrefix(line, ">"))
			switch q {
			case "[!CAUTION]", "[!WARNING]", "[!NOTE]", "[!IMPORTANT]", "[!TIP]":
				emit("│ " + strings.Trim(q, "[]!"))
			default:
				emit(strings.TrimRight("│ "+listItem(q), " "))
			}
		case strings.HasPrefix(line, "|"):
			var rows []string
			for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
				rows = append(rows, lines[i])
			}
			i--
			for _, l := range table(rows) {
				emit(l)
			}
		case trimmed == "</details>":
		case strings.HasPrefix(trimmed, "<details>"):
			title := trimmed
			title = strings.TrimPrefix(title, "<details>")
			title = strings.TrimPrefix(title, "<summary>")
			title = strings.TrimSuffix(title, "</summary>")
			emit("")
			emit("▸ " + inline(title))
		default:
			emit(listItem(line))
		}
	}
	return strings.TrimRight(strings.TrimLeft(b.String(), "\n"), "\n") + "\n"
}

// listItem renders a line of text, its "- " list marker as a bullet.
func listItem(line string) string {
	indent := len(line) - len(strings.TrimLeft(line, " "))
	rest := line[indent:]
	if strings.HasPrefix(rest, "- ") {
		return strings.Repeat(" ", indent) + "• " + inline(rest[2:])
	}
	return inline(line)
}

// fenceLen is the length of the backtick run that opens a fenced block on
// line, or 0.
func fenceLen(line string) int {
	n := 0
	for n < len(line) && line[n] == '`' {
		n++
	}
	if n < 3 || strings.Contains(line[n:], "`") {
		return 0
	}
	return n
}

func isClosingFence(line string, n int) bool {
	t := strings.TrimRight(line, " ")
	return len(t) >= n && strings.Trim(t, "`") == ""
}

// table aligns the rows of a Markdown table in columns; the delimiter row
// becomes a rule under the header.
func table(rows []string) []string {
	var cells [][][]string // row, column, lines
	header := -1
	for _, r := range rows {
		cols := splitRow(r)
		if isDelimiterRow(cols) {
			header = len(cells) - 1
			continue
		}
		row := make([][]string, len(cols))
		for j, c := range cols {
			for _, part := range splitBreaks(c) {
				row[j] = append(row[j], inline(strings.TrimSpace(part)))
			}
		}
		cells = append(cells, row)
	}
	var widths []int
	for _, row := range cells {
		for j, c := range row {
			if j >= len(widths) {
				widths = append(widths, 0)
			}
			for _, l := range c {
				widths[j] = max(widths[j], displayWidth(l))
			}
		}
	}
	var out []string
	for ri, row := range cells {
		height := 1
		for _, c := range row {
			height = max(height, len(c))
		}
		for k := range height {
			var b strings.Builder
			for j, c := range row {
				l := ""
				if k < len(c) {
					l = c[k]
				}
				if j > 0 {
					b.WriteString("  ")
				}
				b.WriteString(l)
				if j < len(row)-1 {
					b.WriteString(strings.Repeat(" ", widths[j]-displayWidth(l)))
				}
			}
			out = append(out, strings.TrimRight(b.String(), " "))
		}
		if ri == header {
			total := 0
			for j, w := range widths {
				if j > 0 {
					total += 2
				}
				total += w
			}
			out = append(out, strings.Repeat("─", max(3, total)))
		}
	}
	return out
}

// splitBreaks splits a cell on its <br>s outside code spans.
func splitBreaks(c string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(c); {
		switch {
		case c[i] == '\\':
			i += 2
		case c[i] == '`':
			n := 0
			for i+n < len(c) && c[i+n] == '`' {
				n++
			}
			if end := closingRun(c, i+n, n); end >= 0 {
				i = end + n
			} else {
				i += n
			}
		case strings.HasPrefix(c[i:], "<br>"):
			parts = append(parts, c[start:i])
			i += len("<br>")
			start = i
		default:
			i++
		}
	}
	return append(parts, c[start:min(len(c), max(start, len(c)))])
}

// splitRow splits a table row on the | that are not escaped.
func splitRow(r string) []string {
	r = strings.TrimSpace(r)
	r = strings.TrimPrefix(r, "|")
	if strings.HasSuffix(r, "|") && !strings.HasSuffix(r, `\|`) {
		r = r[:len(r)-1]
	}
	var cols []string
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch {
		case r[i] == '\\' && i+1 < len(r) && r[i+1] == '|':
			b.WriteString(`\|`)
			i++
		case r[i] == '|':
			cols = append(cols, b.String())
			b.Reset()
		default:
			b.WriteByte(r[i])
		}
	}
	return append(cols, b.String())
}

func isDelimiterRow(cols []string) bool {
	for _, c := range cols {
		if strings.Trim(strings.TrimSpace(c), "-:") != "" || !strings.Contains(c, "-") {
			return false
		}
	}
	return len(cols) > 0
}

// inline reduces inline Markdown to its text.
func inline(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			b.WriteByte(s[i+1])
			i += 2
		case c == '`':
			n := 0
			for i+n < len(s) && s[i+n] == '`' {
				n++
			}
			end := closingRun(s, i+n, n)
			if end < 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
			code := s[i+n : end]
			if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
				code = code[1 : len(code)-1]
			}
			// In a table cell a | inside a code span is written \|.
			b.WriteString(strings.ReplaceAll(code, `\|`, "|"))
			i = end + n
		case c == '*':
			i++ // emphasis: a literal * is escaped
		case c == '&':
			done := false
			for _, e := range [...][2]string{{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", `"`}} {
				if strings.HasPrefix(s[i:], e[0]) {
					b.WriteString(e[1])
					i += len(e[0])
					done = true
					break
				}
			}
			if !done {
				b.WriteByte(c)
				i++
			}
		case c == '[':
			// [text](url) becomes text (url).
			if j := strings.Index(s[i:], "]("); j > 0 {
				if k := strings.IndexByte(s[i+j+2:], ')'); k >= 0 {
					b.WriteString(inline(s[i+1:i+j]) + " (" + s[i+j+2:i+j+2+k] + ")")
					i += j + 2 + k + 1
					continue
				}
			}
			b.WriteByte(c)
			i++
		case c == '<':
			tag := false
			for _, t := range [...]string{"<br>", "<sub>", "</sub>", "<details>", "</details>", "<summary>", "</summary>"} {
				if strings.HasPrefix(s[i:], t) {
					if t == "<br>" {
						b.WriteString("; ")
					}
					i += len(t)
					tag = true
					break
				}
			}
			if !tag {
				b.WriteByte(c)
				i++
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return stripControls(strings.ReplaceAll(b.String(), zwj, ""))
}

// closingRun finds the next run of exactly n backticks at or after i.
func closingRun(s string, i, n int) int {
	for i < len(s) {
		j := strings.IndexByte(s[i:], '`')
		if j < 0 {
			return -1
		}
		j += i
		k := j
		for k < len(s) && s[k] == '`' {
			k++
		}
		if k-j == n {
			return j
		}
		i = k
	}
	return -1
}

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

// stripControls drops what a terminal would interpret (escape sequences,
// control characters, bidi controls): the Markdown is sanitised already,
// and this holds for any other text too.
func stripControls(s string) string {
	if isClean(s, false) {
		return s
	}
	return strip(s, false)
}

// displayWidth estimates the columns s takes in a terminal: wide East Asian
// characters and emoji take two, joiners, variation selectors and combining
// marks none.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case r == 0x200d || (r >= 0xfe00 && r <= 0xfe0f) || (r >= 0x300 && r <= 0x36f):
		case r >= 0x1f000 || (r >= 0x2600 && r <= 0x27bf) || (r >= 0x1100 && r <= 0x115f) ||
			(r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) ||
			(r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6):
			w += 2
		case r == utf8.RuneError:
			w++
		default:
			w++
		}
	}
	return w
}
