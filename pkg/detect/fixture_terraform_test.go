package detect

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// TestFixtureIsValidTerraform keeps the fixture monorepo honest: terraform
// fmt clean, and every stack initialises (local modules only, the built-in
// terraform provider) and validates. It runs the real binary, so -short
// skips it; without terraform it fails (test/tftest finds the project's).
func TestFixtureIsValidTerraform(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform; skipped with -short")
	}
	tf := tftest.Path(t) // the project's terraform; fails, never skips, without one
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(fixtureDir)))

	run := func(wd string, args ...string) {
		t.Helper()
		cmd := exec.Command(tf, args...)
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+os.DevNull)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "terraform %v in %s:\n%s", args, wd, out)
	}
	run(dir, "fmt", "-check", "-recursive", "-no-color")

	stacks, err := Discover(os.DirFS(dir), nil)
	require.NoError(t, err)
	require.Len(t, stacks, 3)
	for _, s := range stacks {
		wd := filepath.Join(dir, filepath.FromSlash(s.Dir))
		run(wd, "init", "-backend=false", "-input=false", "-no-color")
		run(wd, "validate", "-no-color")
	}
}
