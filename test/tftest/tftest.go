// Package tftest finds the real Terraform binary for tests: LOCKSTEP_TERRAFORM,
// then the repository's .bin/terraform (installed by make tools), then PATH.
// Tests never fake Terraform; without one they fail with instructions.
package tftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Path returns the Terraform binary tests must use.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LOCKSTEP_TERRAFORM"); p != "" {
		return p
	}
	if p := filepath.Join(RepoRoot(), ".bin", "terraform"); isExecutable(p) {
		return p
	}
	if p, err := exec.LookPath("terraform"); err == nil {
		return p
	}
	t.Fatal("terraform not found: run `make tools` (installs Terraform into .bin/) or set LOCKSTEP_TERRAFORM")
	return ""
}

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
