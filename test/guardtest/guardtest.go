// Package guardtest finds the real cfn-guard for tests: LOCKSTEP_CFNGUARD,
// then the repository's .bin/cfn-guard (`make tools` fetches it with npm),
// then PATH. Without it a test is skipped, or fails when
// LOCKSTEP_REQUIRE_CFNGUARD=1 (CI).
package guardtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// EnvRequire makes a missing cfn-guard a test failure instead of a skip.
const EnvRequire = "LOCKSTEP_REQUIRE_CFNGUARD"

// EnvBinary names the cfn-guard binary tests run.
const EnvBinary = "LOCKSTEP_CFNGUARD"

// Path returns the cfn-guard binary tests must use, as an absolute path.
func Path(t testing.TB) string {
	t.Helper()
	p := os.Getenv(EnvBinary)
	if p == "" {
		if bin := filepath.Join(tftest.RepoRoot(), ".bin", "cfn-guard"); isExecutable(bin) {
			p = bin
		} else if found, err := exec.LookPath("cfn-guard"); err == nil {
			p = found
		}
	}
	if p != "" {
		if found, err := exec.LookPath(p); err == nil {
			if abs, err := filepath.Abs(found); err == nil {
				return abs
			}
		}
	}
	msg := "cfn-guard not found: run `scripts/install-tools.sh cfn-guard` (puts it in .bin/) or set " + EnvBinary
	if p != "" {
		msg = EnvBinary + "=" + p + " is not an executable"
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
