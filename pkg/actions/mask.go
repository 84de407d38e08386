package actions

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/lockstep-ci/lockstep/pkg/redact"
)

// Redacted replaces a secret in everything lockstep prints or renders.
const Redacted = "***"

// Masker knows every secret seen in this run and removes them from text. It is
// the last line of defence behind the renderers, which never print sensitive
// values in the first place.
type Masker struct {
	mu      sync.RWMutex
	secrets map[string]bool
	r       *redact.Replacer
	// kept and keptFor are the names RedactRendered leaves whole, and the
	// secrets it keeps inside them (see Keep).
	kept, keptFor []string
	keep          *redact.Keep
}

// NewMasker returns an empty Masker.
func NewMasker() *Masker { return &Masker{secrets: map[string]bool{}} }

// Add registers secrets and returns those not seen before, which are all
// worth announcing to the runner (see redact.WorthMasking). A multi-line
// secret is also registered line by line, because logs are redacted a line
// at a time, but only the lines worth masking: the lines "{" and "}" of a
// JSON map would blank every brace of every output, while the whole value,
// which is registered whatever its lines, still replaces the map wherever
// it occurs. A secret's JSON-escaped form (a quote or a newline in it) is
// registered too, for the JSON bodies lockstep sends.
func (m *Masker) Add(secrets ...string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var added []string
	var all []string
	changed := false
	for _, s := range secrets {
		if !redact.WorthMasking(s) {
			continue
		}
		all = append(all, s)
		// The escaped form only ever appears in what lockstep itself
		// sends, which the redactor covers: the runner need not know it.
		if esc := jsonEscaped(s); esc != s && !m.secrets[esc] {
			m.secrets[esc] = true
			changed = true
		}
		if strings.Contains(s, "\n") {
			for _, line := range strings.Split(s, "\n") {
				if line = strings.TrimSpace(line); redact.WorthMasking(line) {
					all = append(all, line)
				}
			}
		}
	}
	for _, s := range all {
		if s == "" || m.secrets[s] {
			continue
		}
		m.secrets[s] = true
		added = append(added, s)
	}
	if len(added) > 0 || changed {
		// Longest first, so a secret that contains another is replaced whole.
		all = make([]string, 0, len(m.secrets))
		for s := range m.secrets {
			all = append(all, s)
		}
		sort.Slice(all, func(i, j int) bool {
			if len(all[i]) != len(all[j]) {
				return len(all[i]) > len(all[j])
			}
			return all[i] < all[j]
		})
		m.r = redact.New(all, Redacted)
	}
	return added
}

// jsonEscaped returns s as it appears inside a JSON string encoded as
// go-github encodes request bodies (HTML characters not escaped).
func jsonEscaped(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return s
	}
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// RedactTo writes s to w with every registered secret replaced by ***.
func (m *Masker) RedactTo(w io.Writer, s string) error {
	m.mu.RLock()
	r := m.r
	m.mu.RUnlock()
	return r.ReplaceTo(w, s)
}

// Redact returns s with every registered secret replaced by ***.
func (m *Masker) Redact(s string) string {
	m.mu.RLock()
	r := m.r
	m.mu.RUnlock()
	return r.Replace(s)
}

// lineWriter redacts whole lines (a secret can be split across two writes but
// not across a newline) and, in action mode, neutralises workflow commands in
// untrusted output so that Terraform's output cannot issue ::add-mask::,
// ::error:: or similar commands on lockstep's behalf.
type lineWriter struct {
	mu      sync.Mutex
	w       io.Writer
	m       *Masker
	buf     []byte
	bw      *bufio.Writer
	actions bool
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf = append(lw.buf, p...)
	i := bytes.LastIndexByte(lw.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	if err := lw.emit(string(lw.buf[:i+1])); err != nil {
		return 0, err
	}
	lw.buf = append(lw.buf[:0], lw.buf[i+1:]...)
	return len(p), nil
}

// WriteString is Write without copying s first: the plan text, a quarter
// of the plan JSON's size, is printed with it and copied at most once (when
// a secret is redacted from it).
func (lw *lineWriter) WriteString(s string) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	n := len(s)
	if len(lw.buf) > 0 {
		// Finish the line begun by an earlier write.
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lw.buf = append(lw.buf, s...)
			return n, nil
		}
		lw.buf = append(lw.buf, s[:i+1]...)
		if err := lw.emit(string(lw.buf)); err != nil {
			return 0, err
		}
		lw.buf = lw.buf[:0]
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		if err := lw.emit(s[:i+1]); err != nil {
			return 0, err
		}
		s = s[i+1:]
	}
	lw.buf = append(lw.buf, s...)
	return n, nil
}

// Flush writes a trailing partial line.
func (lw *lineWriter) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.buf) == 0 {
		return nil
	}
	err := lw.emit(string(append(lw.buf, '\n')))
	lw.buf = lw.buf[:0]
	return err
}

func (lw *lineWriter) emit(chunk string) error {
	if !lw.actions || !startsCommand(chunk) {
		// Nothing to neutralise (redacting cannot start one: *** is neither
		// blank nor a colon): write the redacted pieces through a small
		// buffer rather than build the redacted text (the plan text is a
		// quarter of the plan JSON's size).
		if lw.bw == nil {
			lw.bw = bufio.NewWriterSize(lw.w, 8<<10)
		}
		if err := lw.m.RedactTo(lw.bw, chunk); err != nil {
			return err
		}
		return lw.bw.Flush()
	}
	s := lw.m.Redact(chunk)
	if lw.actions {
		s = neutraliseCommands(s)
	}
	_, err := io.WriteString(lw.w, s)
	return err
}

// startsCommand reports whether a line of s starts with "::" after blanks.
func startsCommand(s string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], "::")
		if i < 0 {
			return false
		}
		j := off + i
		for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
			j--
		}
		if j == 0 || s[j-1] == '\n' {
			return true
		}
		off += i + 2
	}
}

// neutraliseCommands breaks "::" at the start of a line (after optional
// blanks), where the runner would read a workflow command, with a zero-width
// space that keeps the line readable.
func neutraliseCommands(s string) string {
	if !strings.Contains(s, "::") {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		line, rest, found := strings.Cut(s, "\n")
		trimmed := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(trimmed, "::") {
			b.WriteString(line[:len(line)-len(trimmed)])
			b.WriteString(":\u200b")
			b.WriteString(trimmed[1:])
		} else {
			b.WriteString(line)
		}
		if found {
			b.WriteByte('\n')
		}
		s = rest
	}
	return b.String()
}

// Keep registers names (resource addresses, resource headers) that
// RedactRendered leaves whole where one of secrets (the plan's sensitive
// values) happens to occur inside them: null_resource.bar stays as it is
// when a sensitive output's value is "bar". Every other secret, and every
// secret outside those names, is still replaced. Redact and the log are not
// affected.
func (m *Masker) Keep(secrets, names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		if n == "" {
			continue
		}
		m.kept = append(m.kept, n)
		// As they appear in the JSON bodies lockstep sends.
		if esc := jsonEscaped(n); esc != n {
			m.kept = append(m.kept, esc)
		}
	}
	for _, s := range secrets {
		m.keptFor = append(m.keptFor, s)
		if esc := jsonEscaped(s); esc != s {
			m.keptFor = append(m.keptFor, esc)
		}
	}
	m.keep = redact.NewKeepFor(m.kept, m.keptFor)
}

// RedactRendered is Redact for what lockstep renders (comments, job
// summaries, the bodies it sends to GitHub), where names are structural:
// it leaves the names registered with Keep whole.
func (m *Masker) RedactRendered(s string) string {
	m.mu.RLock()
	r, keep := m.r, m.keep
	m.mu.RUnlock()
	return r.ReplaceKeeping(s, keep)
}
