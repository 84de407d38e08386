package release

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// binaries runs scripts/release-binaries.sh in the repository with env.
func binaries(t *testing.T, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(tftest.RepoRoot(), "scripts", "release-binaries.sh"))
	cmd.Dir = tftest.RepoRoot()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The release binaries: a static build per target named after the version,
// which reports that version, and SHA256SUMS that verify them. (The test
// builds the host's own target only, which Go's build cache mostly has;
// the workflow builds linux/amd64 and linux/arm64.)
func TestReleaseBinaries(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dist")
	target := runtime.GOOS + "/" + runtime.GOARCH
	log, err := binaries(t, "VERSION="+version, "OUT="+out, "TARGETS="+target)
	require.NoError(t, err, log)

	name := "lockstep_" + version + "_" + runtime.GOOS + "_" + runtime.GOARCH
	bin := filepath.Join(out, name)
	v, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	assert.Equal(t, "lockstep "+version+"\n", string(v))

	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:])+"  "+name+"\n", string(sums))

	if runtime.GOOS == "linux" {
		// Static: no dynamic section for a loader to resolve.
		f, err := exec.Command("file", bin).Output()
		if err == nil {
			assert.Contains(t, string(f), "statically linked", "%s", f)
		}
	}
}

// It builds nothing for a version that is no tag, into a non-empty
// directory, or from another commit than the tagged one.
func TestReleaseBinariesRefuse(t *testing.T) {
	full := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(full, "old"), nil, 0o644))
	for _, tc := range []struct {
		name string
		env  []string
		msg  string
	}{
		{"not a version", []string{"VERSION=main", "OUT=" + filepath.Join(t.TempDir(), "d")}, "VERSION must be a version tag like v1.2.3, not: main"},
		{"no output", []string{"VERSION=" + version, "OUT="}, "OUT is not set"},
		{"a used output", []string{"VERSION=" + version, "OUT=" + full}, "is not empty: refusing to mix builds"},
		{"another commit", []string{"VERSION=" + version, "OUT=" + filepath.Join(t.TempDir(), "d"), "SOURCE_SHA=" + strings.Repeat("0", 40)}, "not the tagged commit"},
		{"a bad target", []string{"VERSION=" + version, "OUT=" + filepath.Join(t.TempDir(), "d"), "TARGETS=linux/amd64;rm"}, "is not os/arch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := binaries(t, tc.env...)
			require.Error(t, err)
			assert.Contains(t, log, tc.msg)
		})
	}
}
