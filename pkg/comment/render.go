package comment

import (
	"cmp"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// profile is what differs between the comment and the job summary.
type profile struct {
	budget    int
	measure   func(string) int
	marker    bool
	inSummary bool // rendering the job summary, which has nowhere else to point
	maxWarn   int  // dangerous changes listed in the warning
	maxAttrs  int  // attribute names per row
	maxLine   int  // runes per plan text line
	maxGroups int  // type/action groups in a compressed table
	maxRows   int  // delete/replace rows once even those are capped
	maxOuts   int  // output rows once outputs are capped
	cutNote   func(r *renderer, cut int) string
}

// detail is how much a section shows.
type detail int

const (
	full    detail = iota // every row
	grouped               // table: dangerous rows plus groups; drift: groups; outputs: capped
	capped                // table: capped dangerous rows plus fewer groups; drift and outputs: one line
	counts                // table: one row per action
)

type level struct {
	table, drift, outputs detail
	warn                  int
	// values shows, in the table's rows, how each changed attribute of an
	// update or replace changes: the first thing given up for room.
	values bool
}

// Display limits for untrusted names, in runes.
const (
	maxAddress = 300
	maxName    = 120
	maxMeta    = 60
	maxDir     = 200
	maxNext    = 4000
)

const redacted = "(sensitive value)"

type renderer struct {
	s         *plan.Summary
	m         Meta
	p         profile
	redactor  *redact.Replacer
	dangerous []plan.Change
	runURL    string
	values    bool // the level being rendered shows attribute values
}

func render(s *plan.Summary, text string, m Meta, p profile) string {
	if s == nil {
		s = &plan.Summary{}
	}
	r := &renderer{s: s, m: m, p: p, dangerous: s.Dangerous(), runURL: safeURL(m.RunURL)}
	r.redactor = redact.New(s.Secrets, redacted)
	pt := preparePlanText(text, r.redactor, planKeep(s, r.redactor), p.maxLine, p.measure)

	head, next, foot := r.head(), r.next(), r.footer()
	levels := []level{
		{full, full, full, p.maxWarn, true},
		{full, full, full, p.maxWarn, false},
		{grouped, grouped, grouped, p.maxWarn, false},
		{capped, capped, capped, p.maxWarn, false},
		{counts, capped, capped, min(p.maxWarn, 5), false},
		{counts, capped, capped, 0, false},
	}
	stub := r.planStub(pt)
	for _, lv := range levels {
		if lv.values && !hasAttributes(s.Changes) {
			continue // the same as the next level
		}
		r.values = lv.values
		room := 0
		if lv.table == capped {
			// Even delete and replace rows are capped now, and the plan text
			// is down to its stub: give the rows all the room there is.
			base, _ := r.table(capped, 0)
			others, _ := r.drift(lv.drift)
			outs, _ := r.outputs(lv.outputs)
			acts, _ := r.actions(lv.outputs)
			later, _ := r.deferred(lv.outputs)
			room = p.budget - r.size([]string{head, r.warning(lv.warn), base, acts, later, others, outs, next, foot}) - 2 - p.measure(stub)
		}
		table, ok1 := r.table(lv.table, room)
		drift, ok2 := r.drift(lv.drift)
		outputs, ok3 := r.outputs(lv.outputs)
		actions, ok4 := r.actions(lv.outputs)
		deferred, ok5 := r.deferred(lv.outputs)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
			continue
		}
		before := []string{head, r.warning(lv.warn), table, actions, deferred, drift, outputs}
		after := []string{next, foot}
		used := r.size(before) + r.size(after) + 2 // the separators around the plan section
		if used+p.measure(stub) > p.budget {
			continue
		}
		if lv.values && !r.planWhole(pt, p.budget-used) {
			// Values fold before a single plan line is cut.
			continue
		}
		planSec := textBlock(stub)
		if lv.table < capped {
			planSec = r.planSection(pt, p.budget-used)
		}
		// Once delete and replace rows are capped, no plan line may take
		// their place: the plan text is only pointed to.
		return join(before, planSec, after)
	}
	// Last resort: the mandatory parts alone, cut hard if even they do not
	// fit (only with budgets far below any GitHub limit).
	return cutTo(join([]string{head, r.warning(0), foot}, block{}, nil), p.budget, p.measure)
}

// join joins the non-empty sections, before, the plan section and after,
// with a blank line between them; every section ends with a newline. The
// body is built once, at its final size: the plan lines (most of a job
// summary) are copied straight into it.
func join(before []string, plan block, after []string) string {
	n := plan.size() + 1
	for _, p := range before {
		n += len(p) + 1
	}
	for _, p := range after {
		n += len(p) + 1
	}
	var b strings.Builder
	b.Grow(n)
	first := true
	sep := func() {
		if !first {
			b.WriteByte('\n')
		}
		first = false
	}
	for _, p := range before {
		if p != "" {
			sep()
			b.WriteString(p)
		}
	}
	if len(plan.pieces) > 0 {
		sep()
		plan.writeTo(&b)
	}
	for _, p := range after {
		if p != "" {
			sep()
			b.WriteString(p)
		}
	}
	return b.String()
}

// size is the measured size of join(parts), except that empty sections cost
// nothing and each non-empty one counts its separator.
func (r *renderer) size(parts []string) int {
	n := 0
	for _, p := range parts {
		if p != "" {
			n += r.p.measure(p) + 1
		}
	}
	return n
}

// cutTo keeps the whole lines of s that fit in budget; if not even the first
// line fits, it cuts that line.
func cutTo(s string, budget int, measure func(string) int) string {
	if measure(s) <= budget {
		return s
	}
	var b strings.Builder
	used := 0
	for line := range strings.Lines(s) {
		n := measure(line)
		if used+n > budget {
			break
		}
		b.WriteString(line)
		used += n
	}
	if b.Len() > 0 {
		return b.String()
	}
	first, _, _ := strings.Cut(s, "\n")
	for budget > 0 && measure(first) > budget {
		// Drop a rune at a time from the end; only reached with absurd
		// budgets, so simplicity wins over speed.
		_, size := lastRune(first)
		first = first[:len(first)-size]
	}
	return first
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xc0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, len(s)
}

// Redaction replaces values, never names: addresses (for_each keys
// included), resource types, attribute names, map keys and output names are
// structural, and a sensitive value that happens to equal one of them ("bar"
// and null_resource.bar) must not blank it. Values are hidden whole when a
// secret occurs in them (hidden); the plan text is redacted except inside
// the addresses and resource headers it names (planKeep).

// hidden reports whether a secret occurs in the value v.
func (r *renderer) hidden(v string) bool { return r.redactor.Contains(v) }

// address returns a change's address ready for code().
func (r *renderer) address(addr string) string {
	if addr == "" {
		return "(no address)"
	}
	return truncate(addr, maxAddress)
}

func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return num(n) + " " + many
}

// safeURL keeps http(s) URLs only and percent-encodes what could end a
// Markdown link destination or look like a mention.
func safeURL(raw string) string {
	raw = sanitize(strings.TrimSpace(raw), false)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case ' ', '(', ')', '<', '>', '"', '\'', '`', '\\', '@', '[', ']', '|', '*', '_':
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c), 16)))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// runLink is a Markdown link to the run, or "the run" without a URL.
func (r *renderer) runLink(text string) string {
	if r.runURL == "" {
		return text
	}
	return "[" + text + "](" + r.runURL + ")"
}

// head is the marker, heading and headline.
func (r *renderer) head() string {
	var b strings.Builder
	if r.p.marker {
		b.WriteString(Marker(r.m.Directory, r.m.Environment))
		b.WriteByte('\n')
	}
	dir := r.m.Directory
	if dir == "" {
		dir = "."
	}
	b.WriteString("### " + EscapeText(r.engine()) + " " + engine.PlanNoun(r.engineID()) + " · ")
	b.WriteString(Code(truncate(dir, maxDir)))
	if env := sanitize(r.m.Environment, false); env != "" {
		b.WriteString(" → ")
		b.WriteString(EscapeText(truncate(env, maxDir)))
	}
	b.WriteString("\n\n")
	b.WriteString(r.headline())
	b.WriteByte('\n')
	return b.String()
}

func (r *renderer) headline() string {
	s := r.s
	var parts []string
	if !s.HasResourceChanges() && s.Add+s.Change+s.Destroy == 0 {
		switch {
		case s.RefreshOnly && len(s.Drift) > 0:
			// Terraform's own words for a refresh-only plan with drift.
			parts = append(parts, "**Refresh-only plan:** "+plural(len(s.Drift), "resource", "resources")+" changed outside "+
				EscapeText(r.engine())+"; applying records the new values in the state without changing any real resource")
		case len(s.Deferred) > 0:
			parts = append(parts, "**No current changes.** This plan requires another plan to be applied first; "+
				plural(len(s.Deferred), "change is", "changes are")+" deferred (see below)")
		case len(s.Outputs) > 0:
			saves := "; applying saves the new values to the state"
			if len(s.Outputs) == 1 {
				saves = "; applying saves the new value to the state"
			}
			parts = append(parts, "**No resource changes.** "+plural(len(s.Outputs), "output changes", "outputs change")+saves)
		default:
			parts = append(parts, "**No changes.** Your infrastructure matches the configuration")
		}
		if len(s.Drift) > 0 && !s.RefreshOnly {
			parts = append(parts, plural(len(s.Drift), "resource", "resources")+" changed outside "+EscapeText(r.engine())+" (see below)")
		}
	} else {
		parts = append(parts, "**"+num(s.Add)+" to add, "+num(s.Change)+" to change, "+num(s.Destroy)+" to destroy**")
		if s.Replace > 0 {
			parts[0] += " (" + plural(s.Replace, "replacement", "replacements") + " counted in both)"
		}
		if s.Import > 0 {
			parts = append(parts, num(s.Import)+" to import")
		}
		if s.Move > 0 {
			parts = append(parts, num(s.Move)+" moved")
		}
		if s.Forget > 0 {
			parts = append(parts, num(s.Forget)+" to forget")
		}
		if s.Read > 0 {
			parts = append(parts, plural(s.Read, "data source", "data sources")+" read during apply")
		}
		if n := len(s.Actions); n > 0 {
			parts = append(parts, plural(n, "action", "actions")+" to invoke")
		}
		if n := len(s.Deferred); n > 0 {
			parts = append(parts, plural(n, "change", "changes")+" deferred to a later plan")
		}
	}
	if c := sanitize(r.m.Commit, false); c != "" {
		parts = append(parts, "commit "+Code(prefix(c, 7)))
	}
	if r.runURL != "" {
		parts = append(parts, r.runLink(runName(r.runURL)))
	}
	return strings.Join(parts, " · ")
}

// runName is "run 4211" for .../actions/runs/4211, else "the run".
func runName(u string) string {
	u = strings.TrimRight(u, "/")
	if i := strings.Index(u, "/runs/"); i >= 0 {
		id, _, _ := strings.Cut(u[i+len("/runs/"):], "/")
		if _, err := strconv.ParseUint(id, 10, 64); err == nil {
			return "run " + id
		}
	}
	return "the run"
}

// warning is the GitHub alert listing deletes and replaces first.
func (r *renderer) warning(maxItems int) string {
	d := r.dangerous
	if len(d) == 0 {
		return ""
	}
	deletes := 0
	for _, c := range d {
		if c.Action == plan.ActionDelete {
			deletes++
		}
	}
	replaces := len(d) - deletes
	var b strings.Builder
	var what string
	switch {
	case deletes > 0 && replaces > 0:
		b.WriteString("> [!CAUTION]\n")
		what = "This plan destroys " + plural(deletes, "resource", "resources") + " and replaces " + num(replaces) +
			" (destroyed and created again)."
	case deletes > 0:
		b.WriteString("> [!CAUTION]\n")
		what = "This plan destroys " + plural(deletes, "resource", "resources") + "."
	default:
		b.WriteString("> [!WARNING]\n")
		what = "This plan replaces " + plural(replaces, "resource", "resources") + ": destroyed and created again."
	}
	b.WriteString("> **" + what + "** ")
	if len(d) == 1 {
		b.WriteString("Its data is lost unless it is backed up first.\n")
	} else {
		b.WriteString("Their data is lost unless it is backed up first.\n")
	}
	verdict := r.destroyVerdict()
	if maxItems <= 0 {
		return b.String() + verdict
	}
	b.WriteString(">\n")
	// Deletes sort before replaces; when the list is capped, give each kind
	// its share so that a replaced database is not hidden behind deletes.
	var dels, reps []plan.Change
	for _, c := range d {
		if c.Action == plan.ActionDelete {
			dels = append(dels, c)
		} else {
			reps = append(reps, c)
		}
	}
	nd := min(len(dels), (maxItems+1)/2)
	nr := min(len(reps), maxItems-nd)
	nd = min(len(dels), maxItems-nr)
	for _, c := range append(dels[:nd:nd], reps[:nr]...) {
		b.WriteString("> - " + actionEmoji(c.Action) + " " + Code(r.address(c.Address)))
		if why := r.why(c, Code); why != "" {
			b.WriteString(" — " + why)
		}
		b.WriteByte('\n')
	}
	if more := len(d) - nd - nr; more > 0 {
		var kinds []string
		if n := len(dels) - nd; n > 0 {
			kinds = append(kinds, plural(n, "more delete", "more deletes"))
		}
		if n := len(reps) - nr; n > 0 {
			kinds = append(kinds, plural(n, "more replace", "more replaces"))
		}
		b.WriteString("> - … and " + strings.Join(kinds, " and ") + "\n")
	}
	return b.String() + verdict
}

// maxRefusedListed caps the refused addresses named in the verdict when the
// policy allows some of the plan's deletes and replaces but not all.
const maxRefusedListed = 5

// destroyVerdict says, inside the warning, whether apply will refuse the
// deletes and replaces and exactly how to allow them.
func (r *renderer) destroyVerdict() string {
	v := r.m.Destroys
	if v == nil {
		return ""
	}
	env := "this environment"
	if e := sanitize(r.m.Environment, false); e != "" {
		env = EscapeText(truncate(e, maxMeta))
	}
	var b strings.Builder
	b.WriteString(">\n")
	if len(v.Refused) == 0 {
		by := "the policy"
		if a := sanitize(v.AllowedBy, false); a != "" {
			by = EscapeText(truncate(a, maxName))
		}
		b.WriteString("> ✅ **Apply to " + env + " allows these deletes and replaces:** " + by + " allows them.\n")
		return b.String()
	}
	label := sanitize(v.Label, false)
	file := sanitize(v.PolicyFile, false)
	which := "them"
	if len(v.Refused) < len(r.dangerous) {
		names := make([]string, 0, maxRefusedListed)
		for i, a := range v.Refused {
			if i == maxRefusedListed {
				names = append(names, "… and "+num(len(v.Refused)-maxRefusedListed)+" more")
				break
			}
			names = append(names, Code(r.address(a)))
		}
		which = num(len(v.Refused)) + " of them (" + strings.Join(names, ", ") + ")"
	}
	b.WriteString("> ⛔ **Apply to " + env + " will refuse this plan** (`destroy-not-allowed`): the policy does not allow " + which + ". To allow it:\n")
	b.WriteString("> - someone with write permission adds the label " + Code(label) + " to the pull request after lockstep's plan comment on it last changed " +
		"(a label added before does not count: remove it and add it again), or\n")
	b.WriteString("> - list the addresses under `allow-destroy` for the environment in " + Code(file) + ", e.g. `allow-destroy: [aws_db_instance.main, module.db.*]`.\n")
	return b.String()
}

func actionEmoji(a plan.Action) string {
	switch a {
	case plan.ActionCreate:
		return "➕"
	case plan.ActionUpdate:
		return "✏️"
	case plan.ActionDelete:
		return "🗑️"
	case plan.ActionReplace:
		return "🔁"
	case plan.ActionImport:
		return "📥"
	case plan.ActionMove:
		return "🚚"
	case plan.ActionForget:
		return "👋"
	case plan.ActionRead:
		return "📖"
	default:
		return "❔"
	}
}

// label is the emoji and word of an action, for the table.
func label(a plan.Action) string {
	switch a {
	case plan.ActionCreate, plan.ActionUpdate, plan.ActionDelete, plan.ActionReplace,
		plan.ActionImport, plan.ActionMove, plan.ActionForget, plan.ActionRead:
		return actionEmoji(a) + " " + string(a)
	default:
		return actionEmoji(a) + " " + EscapeText(truncate(string(a), 20))
	}
}

// why explains a change in a few words. code formats names: Code outside
// tables, cellCode inside.
func (r *renderer) why(c plan.Change, code func(string) string) string {
	var parts []string
	switch c.Action {
	case plan.ActionDelete:
		switch c.ActionReason {
		case "delete_because_no_resource_config":
			parts = append(parts, "no longer in the configuration")
		case "delete_because_wrong_repetition":
			parts = append(parts, "count or for_each changed")
		case "delete_because_count_index":
			parts = append(parts, "count index out of range")
		case "delete_because_each_key":
			parts = append(parts, "key no longer in for_each")
		case "delete_because_no_module":
			parts = append(parts, "its module is gone")
		case "delete_because_no_move_target":
			parts = append(parts, "moved to an address that does not exist")
		}
		if c.Deposed != "" {
			parts = append(parts, "deposed object "+code(truncate(c.Deposed, maxName))+" left by an earlier replacement")
		}
	case plan.ActionReplace:
		switch {
		case c.ActionReason == "replace_because_tainted":
			parts = append(parts, "tainted")
		case c.ActionReason == "replace_by_request":
			parts = append(parts, "requested with "+code("-replace"))
		case c.ActionReason == "replace_by_triggers":
			parts = append(parts, "triggered by "+code("replace_triggered_by"))
		case c.ActionReason == plan.ReasonMayReplace:
			what := "may be replaced"
			if len(c.ReplacePaths) > 0 {
				what = r.names(c.ReplacePaths, code) + " may force replacement"
			}
			parts = append(parts, what+" (decided while applying; counted as a replace)")
		case len(c.ReplacePaths) > 0:
			verb := " forces replacement"
			if len(c.ReplacePaths) > 1 {
				verb = " force replacement"
			}
			parts = append(parts, r.names(c.ReplacePaths, code)+verb)
		}
		if c.KeepsOld {
			parts = append(parts, "the old object is kept, no longer managed")
		} else if c.CreateBeforeDestroy {
			parts = append(parts, "the new one is created first")
		}
	case plan.ActionUpdate:
		if c.Moved() {
			parts = append(parts, "moved from "+code(r.address(c.PreviousAddress)))
		}
		if c.Importing {
			parts = append(parts, "imported")
		}
		if len(c.ChangedAttributes) > 0 {
			parts = append(parts, r.names(c.ChangedAttributes, code))
		}
	case plan.ActionImport:
		parts = append(parts, "imported as it is")
	case plan.ActionMove:
		parts = append(parts, "moved from "+code(r.address(c.PreviousAddress)))
	case plan.ActionForget:
		parts = append(parts, "removed from the state, not destroyed")
	case plan.ActionRead:
		switch c.ActionReason {
		case "read_because_config_unknown":
			parts = append(parts, "read during apply: its configuration is not known yet")
		case "read_because_dependency_pending":
			parts = append(parts, "read during apply: it depends on pending changes")
		case "read_because_check_nested":
			parts = append(parts, "read during apply, for a check block")
		default:
			parts = append(parts, "read during apply")
		}
	}
	return strings.Join(parts, "; ")
}

// names lists attribute names or paths, up to maxAttrs.
func (r *renderer) names(names []string, code func(string) string) string {
	var b strings.Builder
	for i, n := range names {
		if i == r.p.maxAttrs {
			b.WriteString(" and " + num(len(names)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(code(truncate(n, maxName)))
	}
	return b.String()
}

// section builds one section and gives up as soon as it alone is larger than
// the whole budget: such a section cannot be used at this level, and building
// all of it for 50,000 long rows would only waste time and memory.
type section struct {
	b       strings.Builder
	size    int
	limit   int
	measure func(string) int
	over    bool
}

func (r *renderer) newSection() *section {
	return &section{limit: r.p.budget, measure: r.p.measure}
}

func (s *section) add(text string) {
	if s.over {
		return
	}
	s.size += s.measure(text)
	if s.size > s.limit {
		s.over = true
		s.b.Reset()
		return
	}
	s.b.WriteString(text)
}

// result is the section and whether it stayed within the budget.
func (s *section) result() (string, bool) {
	if s.over {
		return "", false
	}
	return s.b.String(), true
}

const tableHeader = "| action | resource | what changes |\n| --- | --- | --- |\n"

func (r *renderer) row(c plan.Change) string {
	why := r.why(c, cellCode)
	if r.values && len(c.Attributes) > 0 {
		why = r.whyWithValues(c)
	}
	return "| " + label(c.Action) + " | " + cellCode(r.address(c.Address)) + " | " + why + " |\n"
}

// whyWithValues is why for an update or replace, with each changed
// attribute on a line of its own and how it changes.
func (r *renderer) whyWithValues(c plan.Change) string {
	var lines []string
	if c.Action == plan.ActionUpdate {
		if c.Moved() {
			lines = append(lines, "moved from "+cellCode(r.address(c.PreviousAddress)))
		}
		if c.Importing {
			lines = append(lines, "imported")
		}
	} else if why := r.why(c, cellCode); why != "" {
		lines = append(lines, why)
	}
	// What the configuration changes first; values merely not known until
	// apply (ids and other computed attributes) after them.
	attrs := slices.Clone(c.Attributes)
	slices.SortStableFunc(attrs, func(a, b plan.AttributeChange) int {
		return cmp.Compare(unknownRank(a), unknownRank(b))
	})
	for i, a := range attrs {
		if i == r.p.maxAttrs {
			lines = append(lines, "… and "+plural(len(attrs)-i, "more attribute", "more attributes"))
			break
		}
		lines = append(lines, r.attribute(a))
	}
	return strings.Join(lines, "<br>")
}

func unknownRank(a plan.AttributeChange) int {
	if a.Kind == plan.KindValue && a.After == plan.ValueUnknown {
		return 1
	}
	return 0
}

// attribute renders how one attribute changes, for a table cell: every name
// and value in a code span (which GitHub renders as text, whatever it
// holds), placeholders in italics, a value that holds a secret hidden.
func (r *renderer) attribute(a plan.AttributeChange) string {
	name := cellCode(truncate(a.Name, maxName))
	switch a.Kind {
	case plan.KindSensitive:
		return name + ": *" + EscapeText(redacted) + "*"
	case plan.KindValue:
		if a.Before == "" {
			return name + " → " + r.attrValue(a.After)
		}
		return name + ": " + r.attrValue(a.Before) + " → " + r.attrValue(a.After)
	case plan.KindMap:
		var parts []string
		shown := map[string]bool{}
		for _, kv := range a.Values {
			parts = append(parts, cellCode(truncate(kv.Key, maxName))+": "+r.attrValue(kv.Before)+" → "+r.attrValue(kv.After))
			shown[kv.Key] = true
		}
		changed := make([]string, 0, len(a.Changed))
		for _, k := range a.Changed {
			if !shown[k] {
				changed = append(changed, k)
			}
		}
		for _, kind := range []struct {
			what string
			keys []string
		}{{"changed", changed}, {"added", a.Added}, {"removed", a.Removed}} {
			if len(kind.keys) == 0 {
				continue
			}
			keys := make([]string, len(kind.keys))
			for i, k := range kind.keys {
				keys[i] = cellCode(truncate(k, maxName))
			}
			parts = append(parts, kind.what+" "+strings.Join(keys, ", "))
		}
		if a.KeysLeft > 0 {
			parts = append(parts, "and "+plural(a.KeysLeft, "more key", "more keys"))
		}
		if len(parts) == 0 {
			return name
		}
		return name + ": " + strings.Join(parts, "; ")
	case plan.KindList:
		return name + ": " + plural(a.Elements, "element", "elements") + " changed (" + num(a.Length) + " now)"
	default:
		return name
	}
}

// attrValue renders one attribute value for a table cell.
func (r *renderer) attrValue(v string) string {
	switch {
	case v == plan.ValueUnknown || v == plan.ValueSensitive:
		return "*" + EscapeText(v) + "*"
	case r.hidden(v):
		return "*" + EscapeText(redacted) + "*"
	}
	return cellCode(truncate(v, plan.MaxAttributeValueRunes))
}

// group is the changes of one action and resource type.
type group struct {
	action plan.Action
	typ    string
	n      int
	first  plan.Change
}

// groups groups changes by action and type, largest first within an action.
func groups(cs []plan.Change) []group {
	index := map[string]int{}
	var gs []group
	for _, c := range cs {
		typ := c.Type
		if c.Mode == "data" {
			typ = "data." + typ
		}
		key := string(c.Action) + "\x00" + typ
		i, ok := index[key]
		if !ok {
			i = len(gs)
			index[key] = i
			gs = append(gs, group{action: c.Action, typ: typ, first: c})
		}
		gs[i].n++
	}
	slices.SortStableFunc(gs, func(a, b group) int {
		return cmp.Or(
			cmp.Compare(plan.ActionOrder(a.action), plan.ActionOrder(b.action)),
			cmp.Compare(a.action, b.action),
			cmp.Compare(b.n, a.n),
			cmp.Compare(a.typ, b.typ),
		)
	})
	return gs
}

func (r *renderer) groupRows(sec *section, cs []plan.Change, maxGroups int) {
	gs := groups(cs)
	for i, g := range gs {
		if i == maxGroups {
			rest := 0
			for _, g := range gs[i:] {
				rest += g.n
			}
			sec.add("| … | " + plural(rest, "more resource", "more resources") + " of " +
				plural(len(gs)-i, "other type", "other types") + " | |\n")
			return
		}
		if g.n == 1 {
			sec.add(r.row(g.first))
			continue
		}
		typ := g.typ
		if typ == "" {
			typ = "(no type)"
		}
		sec.add("| " + label(g.action) + " | " + num(g.n) + " × " + cellCode(truncate(typ, maxName)) + " | |\n")
	}
}

// table is the table of resource changes at the given detail. When capped,
// delete and replace rows take up to room and a count line says how many
// more there are.
func (r *renderer) table(d detail, room int) (string, bool) {
	cs := r.s.Changes
	if len(cs) == 0 {
		return "", true
	}
	sec := r.newSection()
	sec.add(tableHeader)
	// Dangerous changes sort first; the rest follow.
	nd := 0
	for nd < len(cs) && plan.IsDangerous(cs[nd]) {
		nd++
	}
	switch d {
	case full:
		for _, c := range cs {
			sec.add(r.row(c))
		}
	case grouped:
		for _, c := range cs[:nd] {
			sec.add(r.row(c))
		}
		r.groupRows(sec, nonDangerous(cs, nd), r.p.maxGroups)
	case capped:
		shown, used := 0, 0
		for _, c := range cs[:nd] {
			row := r.row(c)
			if used += r.p.measure(row); used > room {
				break
			}
			sec.add(row)
			shown++
		}
		if shown < nd {
			sec.add("| ⚠️ | " + plural(nd-shown, "more delete or replace", "more deletes and replaces") + " | |\n")
		}
		r.groupRows(sec, nonDangerous(cs, nd), r.p.maxGroups/4)
	default:
		byAction := map[plan.Action]int{}
		var order []plan.Action
		for _, c := range cs {
			if byAction[c.Action] == 0 {
				order = append(order, c.Action)
			}
			byAction[c.Action]++
		}
		if len(order) > 10 {
			order = order[:10] // only hand-built summaries invent actions
		}
		for _, a := range order {
			sec.add("| " + label(a) + " | " + plural(byAction[a], "resource", "resources") + " | |\n")
		}
	}
	return sec.result()
}

// nonDangerous returns the changes after the first nd, skipping dangerous
// ones (which sort first in a Summary, but a hand-built one may mix them).
func nonDangerous(cs []plan.Change, nd int) []plan.Change {
	out := make([]plan.Change, 0, len(cs)-nd)
	for _, c := range cs[nd:] {
		if !plan.IsDangerous(c) {
			out = append(out, c)
		}
	}
	return out
}

// seeSummary points a comment reader to the job summary for what was left
// out; the job summary itself has nowhere else to point.
func (r *renderer) seeSummary() string {
	if r.p.inSummary {
		return ""
	}
	return " The full list is in the job summary of " + r.runLink("the run") + "."
}

func driftLabel(a plan.Action) string {
	switch a {
	case plan.ActionUpdate:
		return "✏️ changed"
	case plan.ActionDelete:
		return "🗑️ deleted"
	default:
		return label(a)
	}
}

// drift is the collapsed section of changes made outside Terraform.
func (r *renderer) drift(d detail) (string, bool) {
	ds := r.s.Drift
	if len(ds) == 0 {
		return "", true
	}
	what := plural(len(ds), "resource", "resources") + " changed outside " + EscapeText(r.engine()) + " since the last apply"
	if d >= capped {
		return "**Drift:** " + what + "." + r.seeSummary() + "\n", true
	}
	sec := r.newSection()
	sec.add("<details><summary>Drift: " + what + "</summary>\n\n")
	sec.add("| | resource | what changed |\n| --- | --- | --- |\n")
	if d == full {
		for _, c := range ds {
			why := ""
			switch c.Action {
			case plan.ActionUpdate:
				why = r.names(c.ChangedAttributes, cellCode)
			case plan.ActionDelete:
				why = "deleted outside " + EscapeText(r.engine())
			}
			sec.add("| " + driftLabel(c.Action) + " | " + cellCode(r.address(c.Address)) + " | " + why + " |\n")
		}
	} else {
		gs := groups(ds)
		for i, g := range gs {
			if i == r.p.maxGroups {
				sec.add("| … | " + plural(len(gs)-i, "more type", "more types") + " | |\n")
				break
			}
			sec.add("| " + driftLabel(g.action) + " | " + num(g.n) + " × " + cellCode(truncate(g.typ, maxName)) + " | |\n")
		}
	}
	sec.add("\n</details>\n")
	return sec.result()
}

// actions is the list of actions the plan invokes on apply: not collapsed,
// since they do things. Capped like outputs.
func (r *renderer) actions(d detail) (string, bool) {
	as := r.s.Actions
	if len(as) == 0 {
		return "", true
	}
	what := plural(len(as), "action", "actions") + " to invoke"
	if d >= capped {
		return "**Actions:** " + what + "." + r.seeSummary() + "\n", true
	}
	sec := r.newSection()
	sec.add("**Actions:** " + what + " on apply\n\n| | action | when |\n| --- | --- | --- |\n")
	for i, a := range as {
		if d == grouped && i == r.p.maxOuts {
			sec.add("| … | " + plural(len(as)-i, "more action", "more actions") + " | |\n")
			break
		}
		when := "invoked by this apply"
		if a.Trigger != "" {
			when = EscapeText(truncate(strings.ReplaceAll(a.Event, "_", " "), maxName)) + " of " + cellCode(r.address(a.Trigger))
		}
		sec.add("| ⚡ | " + cellCode(r.address(a.Address)) + " | " + when + " |\n")
	}
	return sec.result()
}

// deferredReason says why Terraform deferred a change, in a few words.
func deferredReason(reason string) string {
	switch reason {
	case "instance_count_unknown":
		return "its count or for_each is not known yet"
	case "resource_config_unknown":
		return "its configuration is not known yet"
	case "provider_config_unknown":
		return "its provider's configuration is not known yet"
	case "absent_prereq":
		return "something it depends on does not exist yet"
	case "deferred_prereq":
		return "something it depends on is deferred"
	case "":
		return ""
	default:
		return EscapeText(truncate(reason, maxName))
	}
}

// deferred is the collapsed list of changes Terraform deferred to a later
// plan (a partial plan).
func (r *renderer) deferred(d detail) (string, bool) {
	ds := r.s.Deferred
	if len(ds) == 0 {
		return "", true
	}
	what := plural(len(ds), "change", "changes") + " deferred: this is a partial plan, they can only be planned in the next plan and apply"
	if d >= capped {
		return "**Deferred:** " + what + "." + r.seeSummary() + "\n", true
	}
	sec := r.newSection()
	sec.add("<details><summary>Deferred: " + what + "</summary>\n\n| action | resource | why deferred |\n| --- | --- | --- |\n")
	for i, c := range ds {
		if d == grouped && i == r.p.maxOuts {
			sec.add("| … | " + plural(len(ds)-i, "more change", "more changes") + " | |\n")
			break
		}
		sec.add("| " + label(c.Action) + " | " + cellCode(r.address(c.Address)) + " | " + deferredReason(c.DeferredReason) + " |\n")
	}
	sec.add("\n</details>\n")
	return sec.result()
}

func outputLabel(a plan.Action) string {
	switch a {
	case plan.ActionCreate:
		return "➕ new"
	case plan.ActionUpdate:
		return "✏️ changed"
	case plan.ActionDelete:
		return "🗑️ removed"
	default:
		return label(a)
	}
}

// value renders an OutputChange value for a table cell.
func (r *renderer) value(v string) string {
	switch v {
	case plan.ValueSensitive, plan.ValueUnknown:
		return "*" + EscapeText(v) + "*"
	case plan.ValueAbsent, "":
		return plan.ValueAbsent
	}
	if r.hidden(v) {
		return "*" + EscapeText(plan.ValueSensitive) + "*"
	}
	return cellCode(truncate(v, plan.MaxValueRunes))
}

// outputs is the collapsed section of changed outputs.
func (r *renderer) outputs(d detail) (string, bool) {
	outs := r.s.Outputs
	if len(outs) == 0 {
		return "", true
	}
	what := num(len(outs)) + " changed"
	if d >= capped {
		return "**Outputs:** " + what + "." + r.seeSummary() + "\n", true
	}
	sec := r.newSection()
	sec.add("<details><summary>Outputs: " + what + "</summary>\n\n")
	sec.add("| | output | before | after |\n| --- | --- | --- | --- |\n")
	for i, o := range outs {
		if d == grouped && i == r.p.maxOuts {
			sec.add("| … | " + plural(len(outs)-i, "more output", "more outputs") + " | | |\n")
			break
		}
		before, after := r.value(o.Before), r.value(o.After)
		if o.Sensitive {
			// The plan package already hides sensitive parts; a sensitive
			// output shows nothing of its value at all.
			if before != plan.ValueAbsent {
				before = "*" + EscapeText(plan.ValueSensitive) + "*"
			}
			if after != plan.ValueAbsent {
				after = "*" + EscapeText(plan.ValueSensitive) + "*"
			}
		}
		sec.add("| " + outputLabel(o.Action) + " | " + cellCode(truncate(o.Name, maxName)) + " | " + before + " | " + after + " |\n")
	}
	sec.add("\n</details>\n")
	return sec.result()
}

func cutNoteComment(r *renderer, cut int) string {
	return "✂️ **" + plural(cut, "line", "lines") + " cut here** to fit the comment. The full plan is in the job summary of " +
		r.runLink("the run") + "."
}

func cutNoteSummary(r *renderer, cut int) string {
	return "✂️ **" + plural(cut, "line", "lines") + " cut here** to fit the 1 MiB job summary. The full plan is in the log of the plan step."
}

// planStub stands in for the plan text when no line of it fits.
func (r *renderer) planStub(pt planText) string {
	if pt.count() == 0 {
		return ""
	}
	where := "the job summary of " + r.runLink("the run")
	if r.p.inSummary {
		where = "the log of the plan step"
	}
	return "📄 The full plan (" + plural(pt.count(), "line", "lines") + ") does not fit here; it is in " + where + ".\n"
}

// block is the plan section as it is written: pieces of text, each followed
// by a run of plan lines, so that join copies the lines once, into the body.
type block struct {
	pt     planText
	pieces []piece
}

type piece struct {
	text     string
	from, to int // the plan lines written after text
}

func textBlock(s string) block {
	if s == "" {
		return block{}
	}
	return block{pieces: []piece{{text: s}}}
}

// size is about the block's length in bytes: exact when the plan text is
// measured in bytes (the job summary), at most the length when in runes.
func (b block) size() int {
	n := 0
	for _, p := range b.pieces {
		n += len(p.text)
		for i := p.from; i < p.to; i++ {
			n += int(b.pt.sizes[i])
		}
	}
	return n
}

func (b block) writeTo(w *strings.Builder) {
	for _, p := range b.pieces {
		w.WriteString(p.text)
		for i := p.from; i < p.to; i++ {
			w.WriteString(b.pt.line(i))
			w.WriteByte('\n')
		}
	}
}

// hasAttributes reports whether any change describes its attributes.
func hasAttributes(cs []plan.Change) bool {
	for _, c := range cs {
		if len(c.Attributes) > 0 {
			return true
		}
	}
	return false
}

// planWhole reports whether the whole plan text fits in room.
func (r *renderer) planWhole(pt planText, room int) bool {
	if pt.count() == 0 {
		return true
	}
	total := plural(pt.count(), "line", "lines")
	fullWrap := "<details><summary>Full plan · " + total + "</summary>\n\n" + pt.fence + "diff\n" + pt.fence + "\n" + "\n</details>\n"
	return r.p.measure(fullWrap)+pt.total <= room
}

// planSection is the collapsed full plan, trimmed to room if needed.
func (r *renderer) planSection(pt planText, room int) block {
	if pt.count() == 0 {
		return block{}
	}
	total := plural(pt.count(), "line", "lines")
	open := pt.fence + "diff\n"
	closeFence := pt.fence + "\n"
	if r.planWhole(pt, room) {
		return block{pt: pt, pieces: []piece{
			{text: "<details><summary>Full plan · " + total + "</summary>\n\n" + open, from: 0, to: pt.count()},
			{text: closeFence + "\n</details>\n"},
		}}
	}

	// Measure the wrapper with the widest numbers it can show.
	wrap := func(shown, cut int) string {
		return "<details><summary>Full plan · " + total + ", " + num(shown) + " shown</summary>\n\n" +
			open + closeFence + "\n" + r.p.cutNote(r, cut) + "\n\n" + open + closeFence + "\n</details>\n"
	}
	content := room - r.p.measure(wrap(pt.count(), pt.count()))
	// Too little room for a useful excerpt: point elsewhere instead.
	const minExcerpt = 6
	minSize := 0
	for i := 0; i < minExcerpt && i < pt.count(); i++ {
		minSize += int(pt.sizes[i])
	}
	if content < minSize {
		if stub := r.planStub(pt); r.p.measure(stub) <= room {
			return textBlock(stub)
		}
		return block{}
	}
	headRoom := content * 2 / 3
	head, used := 0, 0
	for head < pt.count() && used+int(pt.sizes[head]) <= headRoom {
		used += int(pt.sizes[head])
		head++
	}
	tail := pt.count()
	for tail > head && used+int(pt.sizes[tail-1]) <= content {
		tail--
		used += int(pt.sizes[tail])
	}
	cut := tail - head
	return block{pt: pt, pieces: []piece{
		{text: "<details><summary>Full plan · " + total + ", " + num(pt.count()-cut) + " shown</summary>\n\n" + open, from: 0, to: head},
		{text: closeFence + "\n" + r.p.cutNote(r, cut) + "\n\n" + open, from: tail, to: pt.count()},
		{text: closeFence + "\n</details>\n"},
	}}
}

// engineID is the engine that made the plan, as the engine input spells
// it.
func (r *renderer) engineID() string {
	if r.m.Engine != "" {
		return r.m.Engine
	}
	return r.s.Engine
}

// engine is the name of the engine that made the plan, for people.
func (r *renderer) engine() string {
	if r.m.Engine != "" {
		return engineName(r.m.Engine)
	}
	return engineName(r.s.Engine)
}

// next is the caller's "what happens next", sanitised.
func (r *renderer) next() string {
	n := strings.TrimSpace(sanitize(r.m.Next, true))
	if n == "" {
		return ""
	}
	return "**What happens next:** " + truncate(n, maxNext) + "\n"
}

// footer is the small print: versions, checksum, fingerprint, time, and
// the hidden line with the full fingerprint.
func (r *renderer) footer() string {
	var parts []string
	if v := sanitize(r.m.LockstepVersion, false); v != "" {
		parts = append(parts, "lockstep "+EscapeText(truncate(v, maxMeta)))
	}
	name, tv := r.m.Engine, r.m.EngineVersion
	if name == "" {
		name = r.s.Engine
	}
	if tv == "" {
		tv = r.s.EngineVersion
	}
	if tv = sanitize(tv, false); tv != "" {
		parts = append(parts, EscapeText(engineName(name))+" "+EscapeText(truncate(tv, maxMeta)))
	}
	if sum := sanitize(r.m.PlanSHA256, false); sum != "" {
		short := prefix(sum, 12)
		if short != sum {
			short += "…"
		}
		parts = append(parts, "plan "+Code("sha256:"+short))
	}
	if fp := sanitize(r.m.Fingerprint, false); fp != "" {
		parts = append(parts, "fingerprint "+Code(prefix(fp, 16)))
	}
	if !r.m.Now.IsZero() {
		parts = append(parts, "updated "+r.m.Now.UTC().Format("2006-01-02 15:04 UTC"))
	}
	// The full fingerprint goes on a hidden line of its own, before the
	// <sub> line that SameContent ignores: a new fingerprint is new content,
	// and the push plan compares against exactly this value.
	hidden := ""
	if line := fingerprintLine(r.m.Fingerprint); line != "" {
		hidden = line + "\n"
	}
	if len(parts) == 0 {
		return hidden
	}
	return hidden + "<sub>" + strings.Join(parts, " · ") + "</sub>\n"
}
