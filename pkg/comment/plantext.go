package comment

import (
	"strings"
)

// planText is Terraform's human plan output prepared for a ```diff fence.
// Its lines are sanitised, redacted and cut; diffLine, which keeps a line's
// size, is applied only to the lines written out (line), since a large plan
// has hundreds of thousands of lines and a comment shows a few hundred.
type planText struct {
	lines []string
	sizes []int // measured size of each line plus its newline
	total int   // sum of sizes
	fence string
}

// line is line i as written in the fence.
func (pt planText) line(i int) string { return diffLine(pt.lines[i]) }

// preparePlanText sanitises and redacts the plan text, cuts very long lines
// and moves Terraform's change symbols to the first column so that GitHub's
// diff highlighting colours them.
func preparePlanText(text string, redact func(string) string, maxLine int, measure func(string) int) planText {
	text = sanitize(redact(text), true)
	text = strings.Trim(text, "\n")
	if strings.TrimSpace(text) == "" {
		return planText{}
	}
	n := strings.Count(text, "\n") + 1
	pt := planText{lines: make([]string, 0, n), sizes: make([]int, 0, n)}
	longest := 0
	for line := range strings.SplitSeq(text, "\n") {
		line = truncate(strings.TrimRight(line, " \t"), maxLine)
		longest = max(longest, longestRun(line, '`'))
		size := measure(line) + 1
		pt.lines = append(pt.lines, line)
		pt.sizes = append(pt.sizes, size)
		pt.total += size
	}
	pt.fence = strings.Repeat("`", max(3, longest+1))
	return pt
}

// diffLine moves the change symbol of one line of Terraform's plan to column
// 0, where a diff fence looks for it: "      + id = ..." becomes
// "+       id = ...", "  ~ resource" becomes "!   resource" (a diff colours
// "!" as changed). The width is kept so that alignment survives. Replace
// headers ("-/+ ", "+/- ") already start in column 0; read ("<=") and forget
// (".") lines are left alone.
func diffLine(line string) string {
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	rest := line[i:]
	if len(rest) == 0 {
		return line
	}
	sym := rest[0]
	switch sym {
	case '+', '-', '~':
	default:
		return line
	}
	if len(rest) > 1 && rest[1] != ' ' {
		// "-/+", "+/-", "->" or just text that starts with a sign.
		if (strings.HasPrefix(rest, "-/+ ") || strings.HasPrefix(rest, "+/- ")) && i > 0 {
			return "!" + line[1:]
		}
		return line
	}
	mark := sym
	if sym == '~' {
		mark = '!'
	}
	if i == 0 {
		return string(mark) + line[1:]
	}
	return string(mark) + line[1:i] + " " + line[i+1:]
}
