package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
)

// DefaultGrace is how long a canceled deploy command has between SIGTERM and
// SIGKILL.
const DefaultGrace = 10 * time.Second

// stderrTailLines is how many of the last stderr lines an error quotes.
const stderrTailLines = 10

// CommandTarget deploys by running a shell command (the deploy-command
// input) with `sh -c` in its own process group. The command gets the
// request's environment (see Request.Env) on top of Environ.
//
// When ctx is canceled the whole process group gets SIGTERM, then SIGKILL
// after Grace. A command that starts a long-running process in the
// background (a demo server, say) should redirect that process's output
// (`app >app.log 2>&1 &`): lockstep stops reading the command's output Grace
// after the command exits, and a background process still writing to it
// then gets SIGPIPE.
type CommandTarget struct {
	Command string
	// Dir is the working directory; "" means lockstep's.
	Dir string
	// Stdout and Stderr receive the command's output; the caller passes
	// writers that mask secrets. nil discards.
	Stdout, Stderr io.Writer
	// Environ is the base environment; nil means lockstep's own filtered by
	// childenv (no INPUT_* variables, runner credentials or GitHub token:
	// lockstep's inputs are not the deploy command's business).
	Environ []string
	// Grace is the time between SIGTERM and SIGKILL on cancel, and how long
	// lockstep keeps reading output after the command exits; zero means
	// DefaultGrace.
	Grace time.Duration
	// Redact masks secrets in the stderr lines quoted by errors; nil quotes
	// them as they are.
	Redact func(string) string
}

var _ Target = (*CommandTarget)(nil)

// CommandError is a deploy command that failed: its exit code (or signal)
// and the last lines it wrote to stderr.
type CommandError struct {
	// Code is the exit code, -1 when a signal ended the command.
	Code   int
	Signal string
	// StderrTail is the last lines of stderr, already redacted.
	StderrTail string
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("deploy command exited with code %d", e.Code)
	if e.Signal != "" {
		msg = "deploy command was stopped by a signal (" + e.Signal + ")"
	}
	if e.StderrTail != "" {
		msg += "; last lines of stderr:\n" + e.StderrTail
	}
	return msg
}

// Deploy runs the command and waits for it.
func (t *CommandTarget) Deploy(ctx context.Context, req Request) error {
	if strings.TrimSpace(t.Command) == "" {
		return errors.New("running the deploy command: no command given")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("running the deploy command: %w", err)
	}
	grace := t.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	base := t.Environ
	if base == nil {
		base = childenv.Environ()
	}
	tail := &tailBuffer{}
	cmd := exec.Command("sh", "-c", t.Command)
	cmd.Dir = t.Dir
	// exec keeps the last value of a duplicated key, so the request's values
	// override inherited ones.
	cmd.Env = append(append([]string{}, base...), req.Env()...)
	cmd.Stdout = t.Stdout
	cmd.Stderr = tail
	if t.Stderr != nil {
		cmd.Stderr = io.MultiWriter(t.Stderr, tail)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = grace
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the deploy command: %w", err)
	}
	pgid := cmd.Process.Pid
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	var err error
	select {
	case err = <-waited:
	case <-ctx.Done():
		stopGroup(pgid, grace, waited)
		return fmt.Errorf("running the deploy command: stopped it: %w", context.Cause(ctx))
	}
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		// ErrWaitDelay: the command succeeded and left a background process
		// holding its output.
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("running the deploy command: %w", err)
	}
	ce := &CommandError{Code: ee.ExitCode(), StderrTail: tail.Lines(stderrTailLines)}
	if t.Redact != nil {
		ce.StderrTail = t.Redact(ce.StderrTail)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		ce.Signal = ws.Signal().String()
	}
	return ce
}

// stopGroup sends SIGTERM to the process group, waits until every process
// in it has exited or grace has passed, then sends SIGKILL to what is left.
func stopGroup(pgid int, grace time.Duration, waited <-chan error) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	leaderDone := false
	for {
		select {
		case <-waited:
			leaderDone = true
			waited = nil
		case <-tick.C:
			if leaderDone && !groupAlive(pgid) {
				return // the whole group is gone
			}
			continue
		case <-deadline.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			if !leaderDone {
				<-waited
			}
			return
		}
	}
}

// groupAlive reports whether a process of the group is still running.
// Zombies do not count: orphans are reaped by PID 1, which in a container may
// be slow to do it or never do it, and a zombie holds nothing.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return true // no /proc: trust kill(2)
	}
	for _, p := range procs {
		if p.Name()[0] < '0' || p.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + p.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces and parens.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			return true
		}
	}
	return false
}

// tailBuffer keeps the end of what is written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 4096

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*tailBytes {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-tailBytes:]...)
	}
	return len(p), nil
}

// Lines returns the last n non-empty lines, indented by two spaces.
func (b *tailBuffer) Lines(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := b.buf
	if len(data) > tailBytes {
		data = data[len(data)-tailBytes:]
	}
	var lines []string
	for _, l := range strings.Split(string(bytes.ToValidUTF8(data, []byte("?"))), "\n") {
		if l = strings.TrimRight(l, "\r \t"); l != "" {
			lines = append(lines, "  "+l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
