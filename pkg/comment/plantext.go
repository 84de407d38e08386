package comment

import (
	"math"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/plan"

	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// planText is Terraform's human plan output prepared for a ```diff fence.
// Its lines are sanitised, redacted and cut; diffLine, which keeps a line's
// size, is applied only to the lines written out (line), since a large plan
// has hundreds of thousands of lines and a comment shows a few hundred. The
// lines are not held: each is an offset into src, prepared again (prep) when
// it is written, which holds 8 bytes per line instead of a string and a size.
type planText struct {
	src    string
	starts []uint32 // where each line starts in src; it ends at the next newline
	sizes  []int32  // measured size of each prepared line plus its newline
	total  int      // sum of sizes
	fence  string
	prep   func(raw string) string
}

// count is the number of lines.
func (pt planText) count() int { return len(pt.starts) }

// prepared is line i sanitised, redacted and cut.
func (pt planText) prepared(i int) string {
	raw := pt.src[pt.starts[i]:]
	if j := strings.IndexByte(raw, '\n'); j >= 0 {
		raw = raw[:j]
	}
	return pt.prep(raw)
}

// line is line i as written in the fence.
func (pt planText) line(i int) string { return diffLine(pt.prepared(i)) }

// preparePlanText sanitises and redacts the plan text, cuts very long lines
// and moves Terraform's change symbols to the first column so that GitHub's
// diff highlighting colours them.
//
// Secrets are replaced except inside keep's words (the addresses and resource
// headers of the plan): an address is a name, not a value.
func preparePlanText(text string, r *redact.Replacer, keep *redact.Keep, maxLine int, measure func(string) int) planText {
	if pt, ok := prepareCleanPlanText(text, r, keep, maxLine, measure); ok {
		return pt
	}
	return splitPlanText(sanitize(r.ReplaceKeeping(text, keep), true), func(line string) string {
		return truncate(strings.TrimRight(line, " \t"), maxLine)
	}, measure)
}

// prepareCleanPlanText is preparePlanText for the usual plan text: printable
// ASCII without a marker, which sanitize leaves alone, where no secret spans
// lines, so that redacting line by line finds exactly what redacting the
// whole text does. Only the lines that hold a secret are copied, and only
// while they are measured or written, not the whole text (a quarter of the
// plan JSON's size). ok is false when the text is not like that or a
// redacted line is no longer clean.
func prepareCleanPlanText(text string, r *redact.Replacer, keep *redact.Keep, maxLine int, measure func(string) int) (pt planText, ok bool) {
	if strings.TrimSpace(text) == "" || !isClean(text, true) || r.SpansLines(text) {
		return planText{}, false
	}
	ok = true
	pt = splitPlanText(text, func(line string) string {
		redacted := r.ReplaceKeeping(line, keep)
		if len(redacted) != len(line) || redacted != line {
			ok = ok && isClean(redacted, true)
		}
		return truncate(strings.TrimRight(redacted, " \t"), maxLine)
	}, measure)
	return pt, ok
}

// splitPlanText cuts sanitised text into lines, each prepared with prep.
func splitPlanText(text string, prep func(string) string, measure func(string) int) planText {
	text = strings.Trim(text, "\n")
	if strings.TrimSpace(text) == "" {
		return planText{}
	}
	if len(text) > math.MaxUint32 {
		text = text[:math.MaxUint32] // 4 GiB of plan text: the rest is not counted
	}
	n := strings.Count(text, "\n") + 1
	pt := planText{src: text, starts: make([]uint32, 0, n), sizes: make([]int32, 0, n), prep: prep}
	longest, at := 0, 0
	for raw := range strings.SplitSeq(text, "\n") {
		line := prep(raw)
		longest = max(longest, longestRun(line, '`'))
		size := measure(line) + 1
		pt.starts = append(pt.starts, uint32(at))
		pt.sizes = append(pt.sizes, int32(min(size, math.MaxInt32)))
		pt.total += size
		at += len(raw) + 1
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

// planKeep is what the plan text's redaction leaves whole: every address the
// summary names and the resource headers Terraform prints for them
// (resource "null_resource" "bar"). Nil without secrets.
func planKeep(s *plan.Summary, r *redact.Replacer) *redact.Keep {
	if r == nil {
		return nil
	}
	return redact.NewKeep(s.Names())
}

// Names lists what a rendering of s shows as names, for a redactor behind
// the renderer to leave whole (actions.Masker.Keep): the summary's
// addresses and resource headers (plan.Summary.Names), and the code spans
// the comment writes resource types, attribute names, map keys and output
// names in. A secret can equal such a name exactly ("bar" as an output
// name); inside its code span it is a name, and stays.
func Names(s *plan.Summary) []string {
	if s == nil {
		return nil
	}
	words := s.Names()
	seen := map[string]bool{}
	add := func(name string) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		c := Code(truncate(name, maxName))
		words = append(words, c)
		if cc := cellCode(truncate(name, maxName)); cc != c {
			words = append(words, cc)
		}
	}
	for _, cs := range [][]plan.Change{s.Changes, s.Drift, s.Deferred} {
		for _, c := range cs {
			add(c.Type)
			for _, n := range c.ChangedAttributes {
				add(n)
			}
			for _, a := range c.Attributes {
				for _, keys := range [][]string{a.Added, a.Removed, a.Changed} {
					for _, k := range keys {
						add(k)
					}
				}
			}
		}
	}
	for _, o := range s.Outputs {
		add(o.Name)
	}
	return words
}
