package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// These tests kill mutants gremlins found alive or not covered (see
// test/README.md, "Mutation testing").

// required_version = "" is refused as empty, naming the file and line.
func TestResolveEmptyRequiredVersion(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "main.tf"), []byte("terraform {\n  required_version = \"\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: root, RepoRoot: root,
		Index:    fixedIndex{versions: []string{"1.9.8"}},
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound }})
	want := `main.tf:2: required_version empty, not a version (write an exact version such as 1.9.8 or a constraint such as "~> 1.9")`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

// An exact required_version joined with a constraint in another file:
// both apply, the exact one as "= 1.9.8".
func TestResolveExactAndConstraintRequiredVersions(t *testing.T) {
	root := t.TempDir()
	for name, v := range map[string]string{"a.tf": "1.9.8", "b.tf": ">= 1.9"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte("terraform {\n  required_version = \""+v+"\"\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: root, RepoRoot: root,
		Index:    fixedIndex{versions: []string{"1.9.7", "1.9.8", "1.10.2"}},
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound }})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version.String() != "1.9.8" || got.Requested != "1.9.8, >= 1.9" || got.Origin != "a.tf, b.tf" || got.Source != SourceRequiredVersion {
		t.Errorf("Resolve = %+v, want 1.9.8 from required_version \"1.9.8, >= 1.9\" in a.tf, b.tf", got)
	}
}

// A value is quoted whole up to 64 characters and cut after them.
func TestQuoteCutsAfter64Runes(t *testing.T) {
	at64 := "éxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" // 64 runes, 65 bytes
	if got := quote(at64); got != `"`+at64+`"` {
		t.Errorf("quote(64 runes) = %s, want it whole", got)
	}
	if got := quote(at64 + "y"); got != `"`+at64+`"…` {
		t.Errorf("quote(65 runes) = %s, want the first 64 and …", got)
	}
	_, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Requested: at64, Dir: t.TempDir(), RepoRoot: "/",
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound }})
	want := `terraform-version input: "` + at64 + `" is not a version or a version constraint (write an exact version such as 1.9.8 or a constraint such as "~> 1.9")`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

// A binary on PATH that also satisfies a version file is named in the log
// line.
func TestResolutionStringNamesTheBinaryOnPATH(t *testing.T) {
	r := Resolution{Engine: Terraform, Version: version.Must(version.NewVersion("1.9.8")), Requested: "1.9.8",
		Source: SourceVersionFile, Origin: ".terraform-version", Path: "/usr/local/bin/terraform"}
	if got, want := r.String(), "terraform 1.9.8 (from .terraform-version; the one on PATH: /usr/local/bin/terraform)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// PATH may name a relative directory: the binary found there is recorded
// by its absolute path, so that a later change of directory still runs it.
func TestResolveMakesARelativePATHBinaryAbsolute(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tftest.Path(t), filepath.Join(dir, "bin", "terraform")); err != nil {
		t.Fatal(err)
	}
	stack := filepath.Join(dir, "stack")
	if err := os.Mkdir(stack, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	got, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: stack, RepoRoot: stack,
		LookPath: func(string) (string, error) { return "bin/terraform", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "bin", "terraform"); got.Path != want || got.Source != SourcePath {
		t.Errorf("Resolve = %+v, want Path %s from PATH", got, want)
	}
	if !strings.HasPrefix(got.String(), "terraform 1.") {
		t.Errorf("String() = %q", got.String())
	}
}

// A stack directory whose name has two characters is inside the root (the
// check for ".." must not read past them).
func TestResolveTwoCharacterStackDirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "ab", ".terraform-version"), []byte("1.9.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: "ab", RepoRoot: root,
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound }})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version.String() != "1.9.8" || got.Origin != "ab/.terraform-version" {
		t.Errorf("Resolve = %+v, want 1.9.8 from ab/.terraform-version", got)
	}
}

// A version file of exactly 1024 bytes is read; one byte more is refused.
func TestVersionFileSizeLimit(t *testing.T) {
	root := t.TempDir()
	body := "1.9.8\n#" + strings.Repeat("x", 1024-8) + "\n" // 1024 bytes
	if len(body) != 1024 {
		t.Fatalf("the test's file is %d bytes", len(body))
	}
	resolve := func() (Resolution, error) {
		return Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: root, RepoRoot: root,
			LookPath: func(string) (string, error) { return "", exec.ErrNotFound }})
	}
	if err := os.WriteFile(filepath.Join(root, ".terraform-version"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := resolve()
	if err != nil || got.Version.String() != "1.9.8" {
		t.Fatalf("Resolve of a 1024-byte file = %+v, %v; want 1.9.8", got, err)
	}
	if err := os.WriteFile(filepath.Join(root, ".terraform-version"), []byte(body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = resolve()
	if want := ".terraform-version is larger than 1024 bytes: a version file holds one version"; err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

// A repository reached through a symlinked path (macOS's /tmp, a runner's
// work directory link) still follows a version file's link that stays
// inside it.
func TestVersionFileLinkInsideASymlinkedRoot(t *testing.T) {
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	if err := os.MkdirAll(filepath.Join(repo, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "shared-version"), []byte("1.9.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared-version", filepath.Join(repo, "app", ".terraform-version")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "checkout")
	if err := os.Symlink(repo, link); err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: "app", RepoRoot: link,
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound }})
	if err != nil || got.Version.String() != "1.9.8" || got.Origin != "app/.terraform-version" {
		t.Fatalf("Resolve = %+v, %v; want 1.9.8 from app/.terraform-version", got, err)
	}
}
