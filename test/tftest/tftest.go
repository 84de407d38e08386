// Package tftest finds the real Terraform binary for tests: LOCKSTEP_TERRAFORM,
// then the repository's .bin/terraform (installed by make tools), then PATH.
// Tests never fake Terraform; without one they fail with instructions. It
// also writes the configurations and files those tests plan (WriteFiles).
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

// WriteFiles writes files (slash-separated paths relative to dir, parent
// directories made as needed) into dir; an empty content deletes the file.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
