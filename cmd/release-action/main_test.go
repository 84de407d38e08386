package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// copyAction copies the repository's own action.yml into a temporary folder.
func copyAction(t *testing.T) (path string, original []byte) {
	t.Helper()
	original, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "action.yml"))
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "action.yml")
	require.NoError(t, os.WriteFile(path, original, 0o644))
	return path, original
}

func runCmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestPinsTheRealActionYML: on a copy of action.yml, only the image line
// changes, to the pinned image; every other byte stays; a second run changes
// nothing.
func TestPinsTheRealActionYML(t *testing.T) {
	path, original := copyAction(t)
	ref := "ghcr.io/lockstep-ci/lockstep@" + digest
	require.Contains(t, string(original), "\n  image: Dockerfile\n", "main's action.yml builds the Dockerfile")

	code, stdout, stderr := runCmd("-file", path, ref)
	require.Equal(t, exitOK, code, stderr)
	require.Equal(t, path+": image: docker://"+ref+"\n", stdout)
	got, err := os.ReadFile(path)
	require.NoError(t, err)

	before := strings.SplitAfter(string(original), "\n")
	after := strings.SplitAfter(string(got), "\n")
	require.Len(t, after, len(before), "no line added or removed")
	changed := 0
	for i := range before {
		if before[i] == after[i] {
			continue
		}
		changed++
		require.Equal(t, "  image: Dockerfile\n", before[i])
		require.Equal(t, "  image: docker://"+ref+"\n", after[i])
	}
	require.Equal(t, 1, changed, "exactly one line changed")
	require.Equal(t, strings.Replace(string(original), "\n  image: Dockerfile\n", "\n  image: docker://"+ref+"\n", 1), string(got), "every other byte is kept")

	code, _, stderr = runCmd("-file", path, ref)
	require.Equal(t, exitOK, code, stderr)
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(got), string(again), "a second run is a no-op")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "the file keeps its mode")
	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".release-action-*"))
	require.NoError(t, err)
	require.Empty(t, leftovers)
}

// TestRefusesBadReferences: a bad digest or a reference without one is a
// clear error, and the file is left as it was.
func TestRefusesBadReferences(t *testing.T) {
	tests := []struct {
		name    string
		ref     string
		wantErr string
	}{
		{"no digest", "ghcr.io/lockstep-ci/lockstep", `image reference "ghcr.io/lockstep-ci/lockstep" has no digest: pin it as <name>@sha256:<64 hex digits>`},
		{"a tag", "ghcr.io/lockstep-ci/lockstep:v1.2.3", "has no digest"},
		{"a short digest", "ghcr.io/lockstep-ci/lockstep@sha256:0123", `digest "sha256:0123" is not "sha256:" followed by 64 lowercase hex digits`},
		{"not hex", "ghcr.io/lockstep-ci/lockstep@sha256:" + strings.Repeat("g", 64), "64 lowercase hex digits"},
		{"no algorithm", "ghcr.io/lockstep-ci/lockstep@" + digest[len("sha256:"):], `is not "sha256:"`},
		{"YAML in the name", "ghcr.io/x\n  using: node20\n  main: evil.js\n  x: y@" + digest, "is not a lower-case image name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, original := copyAction(t)
			code, stdout, stderr := runCmd("-file", path, tt.ref)
			require.Equal(t, exitError, code)
			require.Empty(t, stdout)
			require.Contains(t, stderr, "release-action: ")
			require.Contains(t, stderr, tt.wantErr)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(original), string(got), "a refused run leaves the file alone")
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"a@" + digest, "b@" + digest}, {"-nope"}} {
		code, _, stderr := runCmd(args...)
		require.Equal(t, exitUsage, code, "%q", args)
		require.Contains(t, stderr, "usage: release-action", "%q", args)
	}
	code, _, stderr := runCmd("-file", filepath.Join(t.TempDir(), "missing.yml"), "ghcr.io/o/lockstep@"+digest)
	require.Equal(t, exitError, code)
	require.Contains(t, stderr, "reading the action metadata")
}
