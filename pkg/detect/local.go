package detect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
)

// SplitByExistence sorts repository-relative paths into files present
// under root and files gone from it (a listed file missing from the
// checkout was deleted), each sorted and without duplicates.
func SplitByExistence(root string, paths []string) *ChangeSet {
	cs := &ChangeSet{}
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			cs.Files = append(cs.Files, p)
		} else {
			cs.Deleted = append(cs.Deleted, p)
		}
	}
	slices.Sort(cs.Files)
	slices.Sort(cs.Deleted)
	cs.Files = slices.Compact(cs.Files)
	cs.Deleted = slices.Compact(cs.Deleted)
	return cs
}

// LocalChanges is CLI mode's change: the last commit (HEAD~1..HEAD, or every
// file of a repository's first commit) plus uncommitted changes (staged or
// not) and untracked files that are not ignored, from dir down, relative to
// it. Whether a file is changed or deleted is decided by the working tree,
// which is what plan and apply will see. Outside a git repository every
// stack counts as changed.
func LocalChanges(ctx context.Context, dir string) *ChangeSet {
	source := "git: the last commit (HEAD~1..HEAD), uncommitted and untracked changes"
	run := func(args ...string) ([]string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "core.quotePath=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(childenv.Environ(), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return nil, fmt.Errorf("git %s: %s", args[0], msg)
			}
			return nil, fmt.Errorf("git %s: %w", args[0], err)
		}
		s := strings.TrimSuffix(stdout.String(), "\x00")
		if s == "" {
			return nil, nil
		}
		return strings.Split(s, "\x00"), nil
	}
	if _, err := run("rev-parse", "--is-inside-work-tree"); err != nil {
		return &ChangeSet{Source: "git", Everything: "this is not a git repository, so nothing tells what changed"}
	}
	var paths []string
	add := func(args ...string) error {
		p, err := run(args...)
		paths = append(paths, p...)
		return err
	}
	var err error
	if _, headErr := run("rev-parse", "--verify", "-q", "HEAD"); headErr == nil {
		if _, parentErr := run("rev-parse", "--verify", "-q", "HEAD~1"); parentErr == nil {
			err = add("diff", "--name-only", "--no-renames", "--relative", "-z", "HEAD~1", "HEAD", "--")
		} else {
			err = add("ls-tree", "-r", "-z", "--name-only", "HEAD") // the first commit: all of it
		}
		if err == nil {
			err = add("diff", "--name-only", "--no-renames", "--relative", "-z", "HEAD", "--")
		}
	}
	if err == nil {
		err = add("ls-files", "--others", "--exclude-standard", "-z")
	}
	if err != nil {
		return &ChangeSet{Source: "git", Everything: err.Error()}
	}
	cs := SplitByExistence(dir, paths)
	cs.Source = source
	return cs
}
