// Package tftest finds the real Terraform binary for tests: LOCKSTEP_TERRAFORM,
// then the repository's .bin/terraform (installed by make tools), then PATH.
// Tests never fake Terraform; without one they fail with instructions. Tofu
// finds OpenTofu the same way for the tests that run it beside Terraform. It
// also writes the configurations and files those tests plan (WriteFiles).
package tftest

import (
	"bytes"
	"fmt"
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

// Tofu returns the OpenTofu binary for tests that run OpenTofu whatever
// LOCKSTEP_TERRAFORM says: LOCKSTEP_TOFU, else the repository's .bin/tofu
// (built by `make test-opentofu`). Without one the test is skipped, since
// building OpenTofu takes minutes; with LOCKSTEP_REQUIRE_TOFU=1 (set by
// `make test-opentofu`, and for CI) it fails instead.
func Tofu(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LOCKSTEP_TOFU"); p != "" {
		return p
	}
	if p := filepath.Join(RepoRoot(), ".bin", "tofu"); isExecutable(p) {
		return p
	}
	const msg = "tofu not found: run `make test-opentofu` (builds OpenTofu into .bin/tofu) or set LOCKSTEP_TOFU"
	if os.Getenv("LOCKSTEP_REQUIRE_TOFU") == "1" {
		t.Fatal(msg + " (LOCKSTEP_REQUIRE_TOFU=1 forbids skipping)")
	}
	t.Skip(msg)
	return ""
}

// VersionStub writes an executable that answers `version -json` and
// `version` as product ("Terraform" or "OpenTofu") at version does, and
// nothing else: for the version checks of versions not installed here.
// It returns its path.
func VersionStub(t testing.TB, product, version string) string {
	t.Helper()
	outdated := `,"terraform_outdated":false`
	if product == "OpenTofu" {
		outdated = "" // OpenTofu's version -json has no terraform_outdated
	}
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = version ] && [ "$2" = -json ]; then
  echo '{"terraform_version":"%[2]s","platform":"linux_amd64","provider_selections":{}%[3]s}'
elif [ "$1" = version ]; then
  printf '%%s v%%s\non linux_amd64\n' '%[1]s' '%[2]s'
else
  echo "this stub only answers version" >&2
  exit 1
fi
`, product, version, outdated)
	p := filepath.Join(t.TempDir(), "stub-"+product)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
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

// DropMissingCLIConfig unsets TF_CLI_CONFIG_FILE and TERRAFORM_CONFIG in this
// process when they name a file that cannot be opened, for a TestMain to
// call before any test runs: OpenTofu warns about such a file on stdout
// before every output, JSON included (lockstep refuses it, see
// terraform.Product), while Terraform warns only on stderr, so an
// environment that sets one (as this machine does) would fail only the
// OpenTofu runs.
func DropMissingCLIConfig() {
	for _, name := range []string{"TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG"} {
		p := os.Getenv(name)
		if p == "" {
			continue
		}
		if f, err := os.Open(p); err == nil {
			_ = f.Close()
			continue
		}
		_ = os.Unsetenv(name)
	}
}

// Engine is the engine input naming the binary at path: "opentofu" when
// its `version` output says OpenTofu, else "terraform". The e2e harness
// passes it with terraform-path, so that `make test-opentofu` runs the
// same tests as engine opentofu.
func Engine(t testing.TB, path string) string {
	t.Helper()
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		t.Fatalf("running %s version: %v", path, err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(out), []byte("OpenTofu")) {
		return "opentofu"
	}
	return "terraform"
}

// EngineName is the engine's name as lockstep's reports spell it.
func EngineName(engine string) string {
	if engine == "opentofu" {
		return "OpenTofu"
	}
	return "Terraform"
}
