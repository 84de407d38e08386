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
// step); then it caps even the delete and replace rows with a count.
// Before all of that, the first thing given up is the attribute values of
// updates and replaces (before → after): they show only while the whole
// plan text fits too. The
// marker, heading, headline and warnings are never dropped; the warning lists
// the first dangerous addresses and then says how many more there are.
//
// # Hostile content
//
// Everything that comes from the plan (addresses, for_each keys, attribute
// names, output names and values, the plan text) and the directory and
// environment names are untrusted. They are stripped of ANSI escape
// sequences, control characters and Unicode bidirectional overrides.
// Values are redacted with Summary.Secrets (a value that holds a secret is
// hidden whole; the plan text has each secret replaced), names never are:
// an address, type, attribute name, map key or output name is structural,
// and a sensitive value that happens to equal part of one ("bar" and
// null_resource.bar) must not blank it. Identifiers are shown in inline code spans
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
