package actions

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	githubactions "github.com/sethvargo/go-githubactions"

	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// Annotation is a message attached to a file and line of the pull request
// (or to the run when File is empty).
type Annotation struct {
	Level     string // "error", "warning" or "notice"
	File      string // relative to the repository root
	Line      int
	Col       int
	EndLine   int
	EndColumn int
	Title     string
	Message   string
}

// Reporter is how lockstep talks to whoever runs it: the GitHub runner (workflow
// commands on stdout, file commands for outputs, summary and env) or a person
// at a terminal (logs on stderr, the summary on stdout or a file). Everything
// it prints passes through its Masker.
type Reporter struct {
	action bool
	gha    *githubactions.Action
	getenv func(string) string

	stdout  io.Writer // workflow commands (action) or the summary (local)
	log     *lineWriter
	summary io.Writer // local mode only
	masker  *Masker

	// delimiter makes the heredoc delimiter of each GITHUB_OUTPUT and
	// GITHUB_ENV write (random; tests fix it).
	delimiter func() (string, error)

	mu      sync.Mutex
	outputs map[string]string
	env     map[string]string
}

// NewActionReporter reports to the GitHub runner: stdout carries the log and
// workflow commands; getenv finds the file commands (GITHUB_OUTPUT, ...).
func NewActionReporter(stdout io.Writer, getenv func(string) string) *Reporter {
	m := NewMasker()
	return &Reporter{
		action:    true,
		delimiter: newDelimiter,
		gha:       githubactions.New(githubactions.WithWriter(stdout), githubactions.WithGetenv(getenv)),
		getenv:    getenv,
		stdout:    stdout,
		log:       &lineWriter{w: stdout, m: m, actions: true},
		masker:    m,
		outputs:   map[string]string{},
		env:       map[string]string{},
	}
}

// NewLocalReporter reports to a terminal: logs and annotations go to stderr,
// the Markdown summary to summary (stdout or a --summary-file).
func NewLocalReporter(stderr, summary io.Writer) *Reporter {
	m := NewMasker()
	return &Reporter{
		log:     &lineWriter{w: stderr, m: m},
		summary: summary,
		masker:  m,
		outputs: map[string]string{},
		env:     map[string]string{},
	}
}

// IsAction reports whether the reporter talks to the GitHub runner.
func (r *Reporter) IsAction() bool { return r.action }

// Masker returns the reporter's masker, for redacting rendered text.
func (r *Reporter) Masker() *Masker { return r.masker }

// Mask registers secrets. In action mode each new secret is announced with
// ::add-mask:: (line by line, as the runner masks per line) before anything
// else can print it.
func (r *Reporter) Mask(secrets ...string) {
	added := r.masker.Add(secrets...)
	if !r.action {
		return
	}
	for _, s := range added {
		// The masker already split multi-line secrets into their lines worth
		// masking; the runner masks a line at a time, so it gets only single
		// lines, and never one that is too short or only punctuation.
		if !strings.ContainsAny(s, "\r\n") && redact.WorthMasking(s) {
			r.issue(func() { r.gha.AddMask(s) })
		}
	}
}

// Log is a writer for untrusted streamed output such as Terraform's: masked,
// line by line, with workflow commands neutralised.
func (r *Reporter) Log() io.Writer { return r.log }

// Flush writes any partial line left in the log.
func (r *Reporter) Flush() { _ = r.log.Flush() }

// Printf writes one line to the log.
func (r *Reporter) Printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	_, _ = io.WriteString(r.log, msg)
}

// Group starts a collapsible log group; call the returned func to end it.
func (r *Reporter) Group(title string) func() {
	r.Flush()
	title = r.masker.Redact(title)
	if !r.action {
		r.Printf("==> %s", title)
		return func() { r.Flush() }
	}
	r.issue(func() { r.gha.Group(title) })
	return func() {
		r.Flush()
		r.issue(func() { r.gha.EndGroup() })
	}
}

// Annotate prints an annotation: a workflow command in action mode, a
// "file:line:col: level: title: message" line locally.
func (r *Reporter) Annotate(a Annotation) {
	r.Flush()
	msg := r.masker.Redact(a.Message)
	title := r.masker.Redact(a.Title)
	level := a.Level
	if level == "" {
		level = "error"
	}
	if !r.action {
		var loc string
		if a.File != "" {
			loc = a.File
			if a.Line > 0 {
				loc += ":" + strconv.Itoa(a.Line)
				if a.Col > 0 {
					loc += ":" + strconv.Itoa(a.Col)
				}
			}
			loc += ": "
		}
		text := msg
		if title != "" && msg != "" {
			text = title + ": " + msg
		} else if title != "" {
			text = title
		}
		r.Printf("%s%s: %s", loc, level, text)
		return
	}
	props := githubactions.CommandProperties{}
	if a.File != "" {
		props["file"] = a.File
	}
	for k, v := range map[string]int{"line": a.Line, "col": a.Col, "endLine": a.EndLine, "endColumn": a.EndColumn} {
		if v > 0 {
			props[k] = strconv.Itoa(v)
		}
	}
	if title != "" {
		props["title"] = title
	}
	if msg == "" {
		msg = title
	}
	r.issue(func() {
		r.gha.IssueCommand(&githubactions.Command{Name: level, Message: msg, Properties: props})
	})
}

// Errorf annotates an error that belongs to no file.
func (r *Reporter) Errorf(format string, args ...any) {
	r.Annotate(Annotation{Level: "error", Message: fmt.Sprintf(format, args...)})
}

// Warnf annotates a warning that belongs to no file.
func (r *Reporter) Warnf(format string, args ...any) {
	r.Annotate(Annotation{Level: "warning", Message: fmt.Sprintf(format, args...)})
}

// SetOutput sets a step output. Outputs are kept in memory too (Outputs), for
// the local pipeline and tests.
func (r *Reporter) SetOutput(name, value string) error {
	value = r.masker.Redact(value)
	r.mu.Lock()
	r.outputs[name] = value
	r.mu.Unlock()
	if !r.action {
		return nil
	}
	return r.appendFileCommand("GITHUB_OUTPUT", "setting output "+name, name, value)
}

// Outputs returns a copy of the outputs set so far.
func (r *Reporter) Outputs() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.outputs))
	for k, v := range r.outputs {
		out[k] = v
	}
	return out
}

// OutputNames lists the outputs set so far, sorted.
func (r *Reporter) OutputNames() []string {
	names := make([]string, 0, len(r.outputs))
	for k := range r.Outputs() {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// SetEnv exports a variable to later steps (GITHUB_ENV); locally it is only
// remembered.
func (r *Reporter) SetEnv(name, value string) error {
	value = r.masker.Redact(value)
	r.mu.Lock()
	r.env[name] = value
	r.mu.Unlock()
	if !r.action {
		return nil
	}
	return r.appendFileCommand("GITHUB_ENV", "exporting "+name, name, value)
}

// Summary appends Markdown to the job summary (GITHUB_STEP_SUMMARY), or writes
// it to the local summary writer.
func (r *Reporter) Summary(markdown string) error {
	markdown = r.masker.RedactRendered(markdown)
	if !r.action {
		if r.summary == nil {
			return nil
		}
		_, err := io.WriteString(r.summary, markdown)
		return err
	}
	return r.fileCommand("GITHUB_STEP_SUMMARY", "writing the job summary", func() { r.gha.AddStepSummary(markdown) })
}

// fileCommand runs a go-githubactions file command, which panics when its
// file variable is unset or the file cannot be written; lockstep returns an
// error instead.
func (r *Reporter) fileCommand(variable, doing string, f func()) (err error) {
	if r.getenv(variable) == "" {
		return fmt.Errorf("%s: %s is not set; is this running as a GitHub Action?", doing, variable)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v", doing, p)
		}
	}()
	f()
	return nil
}

// issue runs a workflow command, which go-githubactions panics on when stdout
// fails; a closed stdout is not worth crashing for.
func (r *Reporter) issue(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() { _ = recover() }()
	f()
}
