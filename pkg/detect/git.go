package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
)

// PushChangedFiles lists the files a push changed, from before to after, in
// the git repository at repoRoot: `git diff --name-status -z` between the two
// commits. A rename counts as deleting the old path and adding the new one.
// An all-zero before (the push that created a branch) or an empty one has no
// base, so every file at after counts as changed (`git ls-tree`). Both lists
// are repository-relative, sorted and without duplicates. A before commit
// missing from the clone (shallow checkout, force push) is an error that says
// how to fetch it.
func PushChangedFiles(ctx context.Context, repoRoot, before, after string) (changed, deleted []string, err error) {
	if after == "" {
		return nil, nil, errors.New("listing the push's changed files: no after commit given")
	}
	if isZeroSHA(before) {
		out, err := git(ctx, repoRoot, "ls-tree", "-r", "-z", "--name-only", "--full-tree", after)
		if err != nil {
			return nil, nil, fmt.Errorf("listing the files of %s for a new branch: %w", short(after), err)
		}
		changed = splitNUL(out)
		slices.Sort(changed)
		return slices.Compact(changed), nil, nil
	}
	for _, c := range []struct{ rev, role string }{{before, "before"}, {after, "after"}} {
		if _, err := git(ctx, repoRoot, "cat-file", "-e", c.rev+"^{commit}"); err != nil {
			return nil, nil, fmt.Errorf("listing the push's changed files: commit %s (the push's %s) is not in this clone; check out with fetch-depth: 0 or fetch it first: %w", short(c.rev), c.role, err)
		}
	}
	out, err := git(ctx, repoRoot, "diff", "--name-status", "-z", "--find-renames", "--no-color", "--no-ext-diff", before, after, "--")
	if err != nil {
		return nil, nil, fmt.Errorf("listing the files changed from %s to %s: %w", short(before), short(after), err)
	}
	changed, deleted, err = parseNameStatus(out)
	if err != nil {
		return nil, nil, fmt.Errorf("listing the files changed from %s to %s: %w", short(before), short(after), err)
	}
	return changed, deleted, nil
}

// parseNameStatus reads `git diff --name-status -z`: a status, then one
// path, or two for renames (R) and copies (C), each NUL-terminated.
func parseNameStatus(out []byte) (changed, deleted []string, err error) {
	fields := splitNUL(out)
	for i := 0; i < len(fields); {
		status := fields[i]
		i++
		paths := 1
		if status != "" && (status[0] == 'R' || status[0] == 'C') {
			paths = 2
		}
		if status == "" || i+paths > len(fields) {
			return nil, nil, fmt.Errorf("unexpected git diff output near %q", strings.Join(fields[i-1:], " "))
		}
		switch status[0] {
		case 'D':
			deleted = append(deleted, fields[i])
		case 'R':
			deleted = append(deleted, fields[i])
			changed = append(changed, fields[i+1])
		case 'C':
			changed = append(changed, fields[i+1])
		default: // A, M, T, U, X and anything newer: the path changed
			changed = append(changed, fields[i])
		}
		i += paths
	}
	slices.Sort(changed)
	slices.Sort(deleted)
	return slices.Compact(changed), slices.Compact(deleted), nil
}

func splitNUL(out []byte) []string {
	s := strings.TrimSuffix(string(out), "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// isZeroSHA reports whether sha is git's null object ID (SHA-1 or SHA-256),
// which a push event gives as before when it created the branch, or empty.
func isZeroSHA(sha string) bool {
	return strings.Trim(sha, "0") == ""
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "-c", "core.quotePath=false"}, args...)...)
	cmd.Env = append(childenv.Environ(), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
		}
		return nil, fmt.Errorf("git %s: %w", args[0], err)
	}
	return stdout.Bytes(), nil
}
