package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// DefaultStateDir is where the CLI keeps its state, relative to the
// directory lockstep runs in.
const DefaultStateDir = ".lockstep"

// LedgerFileName is the file ledger's name inside the state directory.
const LedgerFileName = "ledger.jsonl"

// FileLedger is the CLI-mode Ledger: a JSON-lines file, ledger.jsonl in Dir.
// Every change appends the entry's full new state as one line; when reading,
// the last line for an ID wins.
//
// Why appending rather than rewriting the file through a temporary file and a
// rename: a change never rewrites history, so a crash, a full disk or a bug
// can damage at most the line being written, never earlier entries, and a
// change costs one write instead of copying the whole file. The damage is
// contained this way:
//   - each line is written with one write(2) on an O_APPEND descriptor and
//     then fsync'ed before the change is reported done;
//   - readers skip lines that are not complete JSON entries, so a line torn by
//     a crash is ignored;
//   - a writer that finds the file not ending in a newline starts its line
//     with one, so a torn line never swallows the next entry;
//   - every read and write holds flock(2) on the file (shared to read,
//     exclusive to write), so concurrent lockstep processes never interleave
//     lines or hand out the same ID.
type FileLedger struct {
	// Dir is the state directory; "" means DefaultStateDir.
	Dir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ Ledger = (*FileLedger)(nil)

// Path is the ledger file's path.
func (l *FileLedger) Path() string {
	dir := l.Dir
	if dir == "" {
		dir = DefaultStateDir
	}
	return filepath.Join(dir, LedgerFileName)
}

func (l *FileLedger) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

// Record appends a new entry with the next ID.
func (l *FileLedger) Record(ctx context.Context, e Entry) (Entry, error) {
	if e.Status == "" {
		e.Status = StatusInProgress
	}
	if !ValidStatus(e.Status) {
		return Entry{}, fmt.Errorf("recording a deployment in %s: %q is not a deployment status", l.Path(), e.Status)
	}
	err := l.update(ctx, func(entries map[string]Entry) (Entry, error) {
		var max int64
		for id := range entries {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > max {
				max = n
			}
		}
		e.ID = strconv.FormatInt(max+1, 10)
		now := l.now()
		if e.CreatedAt.IsZero() {
			e.CreatedAt = now
		}
		e.UpdatedAt = now
		return e, nil
	})
	if err != nil {
		return Entry{}, fmt.Errorf("recording a deployment in %s: %w", l.Path(), err)
	}
	return e, nil
}

// SetStatus appends the entry's new state.
func (l *FileLedger) SetStatus(ctx context.Context, id, status, description string) error {
	if !ValidStatus(status) {
		return fmt.Errorf("setting the status of deployment %s in %s: %q is not a deployment status", id, l.Path(), status)
	}
	err := l.update(ctx, func(entries map[string]Entry) (Entry, error) {
		e, ok := entries[id]
		if !ok {
			return Entry{}, fmt.Errorf("no deployment with ID %q", id)
		}
		e.Status = status
		e.Description = description
		e.UpdatedAt = l.now()
		return e, nil
	})
	if err != nil {
		return fmt.Errorf("setting the status of deployment %s in %s: %w", id, l.Path(), err)
	}
	return nil
}

// List returns the environment's entries (all when environment is ""),
// newest first. A missing ledger file is an empty ledger.
func (l *FileLedger) List(ctx context.Context, environment string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading the deployment ledger %s: %w", l.Path(), err)
	}
	f, err := os.Open(l.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return []Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the deployment ledger: %w", err)
	}
	defer f.Close()
	if err := flock(f, syscall.LOCK_SH); err != nil {
		return nil, fmt.Errorf("reading the deployment ledger %s: %w", l.Path(), err)
	}
	defer flock(f, syscall.LOCK_UN) //nolint:errcheck // closing releases it anyway
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading the deployment ledger %s: %w", l.Path(), err)
	}
	out := []Entry{}
	for _, e := range parseLedger(data) {
		if environment == "" || e.Environment == environment {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return newer(out[i], out[j]) })
	return out, nil
}

// update appends the entry change returns, holding the exclusive lock while
// it reads the current state and writes.
func (l *FileLedger) update(ctx context.Context, change func(map[string]Entry) (Entry, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path := l.Path()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	created := false
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		created = true
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if created {
		// Make the new file's directory entry durable too.
		syncDir(dir)
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		return err
	}
	defer flock(f, syscall.LOCK_UN) //nolint:errcheck // closing releases it anyway

	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<62))
	if err != nil {
		return err
	}
	entries := map[string]Entry{}
	for _, e := range parseLedger(data) {
		entries[e.ID] = e
	}
	e, err := change(entries)
	if err != nil {
		return err
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if len(data) > 0 && data[len(data)-1] != '\n' {
		// The last write was torn by a crash: seal it off.
		buf.WriteByte('\n')
	}
	buf.Write(line)
	buf.WriteByte('\n')
	if _, err := f.Write(buf.Bytes()); err != nil {
		return err
	}
	return f.Sync()
}

// parseLedger folds the ledger's lines into the latest state of each entry,
// in the order entries first appeared. Lines that are not complete entries
// (torn by a crash) are skipped.
func parseLedger(data []byte) []Entry {
	latest := map[string]int{}
	var out []Entry
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.ID == "" {
			continue
		}
		if i, ok := latest[e.ID]; ok {
			out[i] = e
			continue
		}
		latest[e.ID] = len(out)
		out = append(out, e)
	}
	return out
}

// flock locks f, retrying when a signal interrupts the wait.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return fmt.Errorf("locking %s: %w", f.Name(), err)
			}
			return nil
		}
	}
}

func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	_ = d.Sync() // best effort: some file systems cannot sync directories
}
