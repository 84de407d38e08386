// Package pulumitest finds the real Pulumi CLI for tests and gives each test
// an offline Pulumi of its own: a file backend and PULUMI_HOME in temporary
// directories, no update checks, no plugin downloads. The CLI comes from
// LOCKSTEP_PULUMI, then the repository's .bin/pulumi (built by `make tools`),
// then PATH; the YAML language host and lockstep's test provider
// (pulumi-resource-lockstep) must sit in the same directory. Without them a
// test is skipped, or fails when LOCKSTEP_REQUIRE_PULUMI=1 (CI).
package pulumitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// Passphrase is the passphrase of the test stacks' secrets.
const Passphrase = "lockstep-test-passphrase"

// Path returns the pulumi binary tests must use.
func Path(t testing.TB) string {
	t.Helper()
	p := os.Getenv("LOCKSTEP_PULUMI")
	if p == "" {
		if bin := filepath.Join(tftest.RepoRoot(), ".bin", "pulumi"); isExecutable(bin) {
			p = bin
		} else if found, err := exec.LookPath("pulumi"); err == nil {
			p = found
		}
	}
	missing := ""
	if p == "" {
		missing = "pulumi"
	} else {
		for _, helper := range []string{"pulumi-language-yaml", "pulumi-resource-lockstep"} {
			if !isExecutable(filepath.Join(filepath.Dir(p), helper)) {
				missing = helper + " (beside " + p + ")"
				break
			}
		}
	}
	if missing != "" {
		msg := missing + " not found: run `scripts/install-tools.sh pulumi` (builds Pulumi into .bin/) or set LOCKSTEP_PULUMI"
		if os.Getenv("LOCKSTEP_REQUIRE_PULUMI") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// Env is the environment of an offline Pulumi for one test: the variables
// to add to the process's (they win over it).
func Env(t testing.TB, pulumi string) []string {
	t.Helper()
	dir := t.TempDir()
	backend := filepath.Join(dir, "backend")
	if err := os.MkdirAll(backend, 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=" + filepath.Dir(pulumi) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PULUMI_HOME=" + filepath.Join(dir, "home"),
		"PULUMI_BACKEND_URL=file://" + backend,
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_CONFIG_PASSPHRASE=" + Passphrase,
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true",
	}
}

// Run runs pulumi in dir with env added, failing the test on an error; it
// returns standard output.
func Run(t testing.TB, pulumi, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := Try(pulumi, dir, env, args...)
	if err != nil {
		t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs pulumi in dir with env added and returns its combined output.
func Try(pulumi, dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command(pulumi, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
