// Package comment renders a plan.Summary as GitHub-flavoured Markdown: the
// pull request comment (Render) and the fuller job summary (RenderSummary).
// Both are pure functions of their inputs and always fit their budget.
//
// # Budget
//
// The comment is measured in runes (GitHub rejects bodies over 65,536
// characters) and the job summary in bytes (over 1 MiB GitHub drops it). When
// the full rendering does not fit, the renderer degrades in order: it trims
// the full plan text, keeping its head and tail; then it compresses the table
// of changes, keeping every delete and replace row and summarising the rest
// per resource type and action (drift and outputs are summarised at the same
// step); then it caps even the delete and replace rows with a count. The
// marker, heading, headline and warnings are never dropped; the warning lists
// the first dangerous addresses and then says how many more there are.
//
// # Hostile content
//
// Everything that comes from the plan (addresses, for_each keys, attribute
// names, output names and values, the plan text) and the directory and
// environment names are untrusted. They are stripped of ANSI escape
// sequences, control characters and Unicode bidirectional overrides, and
// redacted with Summary.Secrets. Identifiers are shown in inline code spans
// delimited by a backtick run longer than any inside them (with | escaped in
// table cells); other text is escaped for Markdown and HTML, and @mentions
// and #123 references get a zero-width joiner so that GitHub links and
// notifies no one. The plan text sits in a fenced block whose fence is longer
// than any backtick run in it. No content can produce a line that starts with
// the marker prefix "<!-- lockstep:".
//
// Meta.Next is the caller's own Markdown: it is sanitised (control
// characters, bidi overrides, the marker prefix) but not escaped; build it
// with EscapeText and Code when it includes untrusted names.
package comment
