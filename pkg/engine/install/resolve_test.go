package install

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/lockstep-ci/lockstep/test/releaseserver"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// fixedIndex is an Index listing fixed versions; it counts its calls.
type fixedIndex struct {
	versions []string
	err      error
	calls    *int
}

func (f fixedIndex) Versions(_ context.Context, _ Engine) ([]*version.Version, error) {
	if f.calls != nil {
		*f.calls++
	}
	if f.err != nil {
		return nil, f.err
	}
	var out []*version.Version
	for _, s := range f.versions {
		out = append(out, version.Must(version.NewVersion(s)))
	}
	return out, nil
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantExact string
		wantErr   string
	}{
		{raw: "1.9.8", wantExact: "1.9.8"},
		{raw: " v1.9.8\t", wantExact: "1.9.8"},
		{raw: "1.10.0-rc1", wantExact: "1.10.0-rc1"},
		{raw: "~> 1.9"},
		{raw: ">= 1.5, < 2.0.0"},
		{raw: "= 1.9.8"},
		{raw: "", wantErr: "empty, not a version"},
		{raw: "latest", wantErr: `"latest" is not a version or a version constraint (write an exact version such as 1.9.8 or a constraint such as "~> 1.9")`},
		{raw: "latest:^1.9", wantErr: `"latest:^1.9" is not a version`},
		{raw: "^1.9", wantErr: `"^1.9" is not a version`},
		{raw: "1.9", wantErr: `"1.9" is not an exact version: write major.minor.patch such as 1.9.0, or a constraint such as "~> 1.9.0"`},
		{name: "long hostile value", raw: strings.Repeat("x", 500), wantErr: `…`},
	}
	for _, tt := range tests {
		name := tt.name
		if name == "" {
			name = tt.raw
		}
		t.Run(name, func(t *testing.T) {
			got, err := parseRequest(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if len(err.Error()) > 200 {
					t.Errorf("error is %d characters long: a hostile value must be cut short", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantExact != "" && (got.exact == nil || got.exact.String() != tt.wantExact) {
				t.Errorf("exact = %v, want %s", got.exact, tt.wantExact)
			}
			if tt.wantExact == "" && (got.exact != nil || len(got.constraints) == 0) {
				t.Errorf("got %+v, want constraints", got)
			}
		})
	}
}

func TestRequestSatisfiedBy(t *testing.T) {
	tests := []struct {
		raw  string
		v    string
		want bool
	}{
		{"1.9.8", "1.9.8", true},
		{"1.9.8", "1.9.9", false},
		{"1.10.0-rc1", "1.10.0", false},
		{"1.10.0", "1.10.0-rc1", false},
		{"~> 1.9", "1.12.3", true},
		{"~> 1.9", "2.0.0", false},
		{"~> 1.9", "1.13.0-beta1", false},
		{">= 1.9.0-rc1", "1.9.0-rc2", true},
	}
	for _, tt := range tests {
		r, err := parseRequest(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.satisfiedBy(version.Must(version.NewVersion(tt.v))); got != tt.want {
			t.Errorf("%q satisfied by %s = %v, want %v", tt.raw, tt.v, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	tfPath := tftest.Path(t)
	tfVersion := binaryVersionOf(t, tfPath)
	index := []string{"1.5.7", "1.9.0", "1.9.8", "1.10.0", "1.10.4", "1.11.0-rc1", "1.11.0", "1.12.0-alpha20250101"}
	tests := []struct {
		name      string
		engine    Engine
		requested string
		files     map[string]string // relative to the repository root
		dir       string            // the stack, relative to the root; "stacks/app" when empty
		onPath    bool              // the real terraform is on PATH (as tofu for OpenTofu)
		indexErr  error

		want       Resolution // Path is compared as "PATH" when set
		wantIndex  bool       // the index was consulted
		wantErr    string
		wantString string
	}{
		{
			name: "exact input", requested: "1.9.8",
			want:       Resolution{Version: v("1.9.8"), Requested: "1.9.8", Source: SourceInput, Origin: "terraform-version"},
			wantString: `terraform 1.9.8 (from the terraform-version input "1.9.8")`,
		},
		{
			name: "input constraint picks the newest matching release", requested: "~> 1.9.0",
			want:      Resolution{Version: v("1.9.8"), Requested: "~> 1.9.0", Source: SourceInput, Origin: "terraform-version"},
			wantIndex: true,
		},
		{
			name: "a constraint skips pre-releases", requested: ">= 1.10, < 1.12.1",
			want:      Resolution{Version: v("1.11.0"), Requested: ">= 1.10, < 1.12.1", Source: SourceInput, Origin: "terraform-version"},
			wantIndex: true,
		},
		{
			name: "the input wins over a version file", requested: "1.9.0",
			files: map[string]string{"stacks/app/.terraform-version": "1.5.7\n"},
			want:  Resolution{Version: v("1.9.0"), Requested: "1.9.0", Source: SourceInput, Origin: "terraform-version"},
		},
		{
			name:       "version file in the stack",
			files:      map[string]string{"stacks/app/.terraform-version": "# pinned\n\n1.9.8\n", "stacks/app/main.tf": `terraform { required_version = ">= 1.10" }`},
			want:       Resolution{Version: v("1.9.8"), Requested: "1.9.8", Source: SourceVersionFile, Origin: "stacks/app/.terraform-version"},
			wantString: "terraform 1.9.8 (from stacks/app/.terraform-version)",
		},
		{
			name:  "version file in a parent directory",
			files: map[string]string{".terraform-version": "1.9.8"},
			want:  Resolution{Version: v("1.9.8"), Requested: "1.9.8", Source: SourceVersionFile, Origin: ".terraform-version"},
		},
		{
			name:  "the nearest version file wins",
			files: map[string]string{".terraform-version": "1.5.7", "stacks/.terraform-version": "1.9.0"},
			want:  Resolution{Version: v("1.9.0"), Requested: "1.9.0", Source: SourceVersionFile, Origin: "stacks/.terraform-version"},
		},
		{
			name:       "a constraint in a version file",
			files:      map[string]string{".terraform-version": "~> 1.10.0"},
			want:       Resolution{Version: v("1.10.4"), Requested: "~> 1.10.0", Source: SourceVersionFile, Origin: ".terraform-version"},
			wantIndex:  true,
			wantString: `terraform 1.10.4 (from "~> 1.10.0" in .terraform-version)`,
		},
		{
			name: "terraform ignores .opentofu-version",
			files: map[string]string{
				"stacks/app/.opentofu-version": "1.8.0", ".terraform-version": "1.9.0",
			},
			want: Resolution{Version: v("1.9.0"), Requested: "1.9.0", Source: SourceVersionFile, Origin: ".terraform-version"},
		},
		{
			name: "opentofu prefers .opentofu-version", engine: OpenTofu,
			files: map[string]string{
				"stacks/app/.opentofu-version": "1.8.0", "stacks/app/.terraform-version": "1.9.0",
			},
			want:       Resolution{Engine: OpenTofu, Version: v("1.8.0"), Requested: "1.8.0", Source: SourceVersionFile, Origin: "stacks/app/.opentofu-version"},
			wantString: "opentofu 1.8.0 (from stacks/app/.opentofu-version)",
		},
		{
			name: "opentofu reads .terraform-version", engine: OpenTofu,
			files: map[string]string{".terraform-version": "1.9.0"},
			want:  Resolution{Engine: OpenTofu, Version: v("1.9.0"), Requested: "1.9.0", Source: SourceVersionFile, Origin: ".terraform-version"},
		},
		{
			name: "no version file above the repository root", dir: "app",
			files: map[string]string{"../.terraform-version": "1.9.0"},
			want:  Resolution{Version: v(tfVersion), Source: SourcePath, Path: "PATH"}, onPath: true,
		},
		{
			name: "required_version settings all apply",
			files: map[string]string{
				"stacks/app/main.tf":       "terraform {\n  required_version = \">= 1.9\"\n}\n",
				"stacks/app/versions.tf":   "terraform {\n  required_providers {}\n}\nterraform {\n  required_version = \"< 1.10.3\"\n}\n",
				"stacks/app/extra.tf.json": `{"terraform": {"required_version": "!= 1.10.1"}}`,
				"stacks/app/.#lock.tf":     "not hcl",
			},
			want:       Resolution{Version: v("1.10.0"), Requested: "!= 1.10.1, >= 1.9, < 1.10.3", Source: SourceRequiredVersion, Origin: "stacks/app/extra.tf.json, stacks/app/main.tf, stacks/app/versions.tf"},
			wantIndex:  true,
			wantString: `terraform 1.10.0 (from required_version "!= 1.10.1, >= 1.9, < 1.10.3" in stacks/app/extra.tf.json, stacks/app/main.tf, stacks/app/versions.tf)`,
		},
		{
			name:      "a bare major.minor in required_version means that .0, as the engine reads it",
			files:     map[string]string{"stacks/app/main.tf": `terraform { required_version = "1.9" }`},
			want:      Resolution{Version: v("1.9.0"), Requested: "1.9", Source: SourceRequiredVersion, Origin: "stacks/app/main.tf"},
			wantIndex: true,
		},
		{
			name: "opentofu: a .tofu file hides the .tf file of its name", engine: OpenTofu,
			files: map[string]string{
				"stacks/app/main.tf":   `terraform { required_version = "~> 1.5.0" }`,
				"stacks/app/main.tofu": `terraform { required_version = "~> 1.9.0" }`,
			},
			want:      Resolution{Engine: OpenTofu, Version: v("1.9.8"), Requested: "~> 1.9.0", Source: SourceRequiredVersion, Origin: "stacks/app/main.tofu"},
			wantIndex: true,
		},
		{
			name:  "required_version the PATH binary satisfies: no download, no index",
			files: map[string]string{"stacks/app/main.tf": `terraform { required_version = ">= 1.5" }`}, onPath: true,
			want: Resolution{Version: v(tfVersion), Requested: ">= 1.5", Source: SourceRequiredVersion, Origin: "stacks/app/main.tf", Path: "PATH"},
		},
		{
			name: "exact input the PATH binary is", requested: tfVersion, onPath: true,
			want: Resolution{Version: v(tfVersion), Requested: tfVersion, Source: SourceInput, Origin: "terraform-version", Path: "PATH"},
		},
		{
			name: "exact input the PATH binary is not", requested: "1.9.8", onPath: true,
			want: Resolution{Version: v("1.9.8"), Requested: "1.9.8", Source: SourceInput, Origin: "terraform-version"},
		},
		{
			name: "nothing asked: the binary on PATH", onPath: true,
			files: map[string]string{"stacks/app/main.tf": `terraform {}`},
			want:  Resolution{Version: v(tfVersion), Source: SourcePath, Path: "PATH"},
		},

		{name: "nothing asked and nothing on PATH", files: map[string]string{"stacks/app/main.tf": ""},
			wantErr: "no terraform version asked for (no terraform-version input, no .terraform-version in stacks/app or a parent, no required_version) and no terraform on PATH"},
		{name: "bad input", requested: "latest", wantErr: `terraform-version input: "latest" is not a version or a version constraint`},
		{name: "bad version file", files: map[string]string{".terraform-version": "latest:^1.9\n"},
			wantErr: `.terraform-version:1: "latest:^1.9" is not a version`},
		{name: "empty version file", files: map[string]string{"stacks/.terraform-version": "\n# nothing\n"},
			wantErr: "stacks/.terraform-version is empty"},
		{name: "two versions in a file", files: map[string]string{".terraform-version": "1.9.8\n1.10.0\n"},
			wantErr: `.terraform-version:2: a second version "1.10.0" after the one on line 1`},
		{name: "huge version file", files: map[string]string{".terraform-version": strings.Repeat("1", 5000)},
			wantErr: ".terraform-version is larger than 1024 bytes"},
		{name: "required_version not a literal", files: map[string]string{"stacks/app/main.tf": "terraform {\n  required_version = var.v\n}\n"},
			wantErr: `stacks/app/main.tf:2: required_version must be a literal string`},
		{name: "required_version not a constraint", files: map[string]string{"stacks/app/main.tf": "\nterraform {\n  required_version = \"newest\"\n}\n"},
			wantErr: `stacks/app/main.tf:3: required_version "newest" is not a version or a version constraint`},
		{name: "configuration that does not parse", files: map[string]string{"stacks/app/main.tf": "terraform {\n  required_version = \n"},
			wantErr: `reading required_version: stacks/app/main.tf:`},
		{name: "no release satisfies", requested: "~> 3.0",
			wantErr: `no terraform release satisfies the terraform-version input "~> 3.0" (the newest release is 1.11.0)`, wantIndex: true},
		{name: "the index fails", requested: "~> 1.9", indexErr: errors.New("index down"),
			wantErr: `choosing the terraform release for the terraform-version input "~> 1.9": index down`, wantIndex: true},
		{name: "stack outside the repository", dir: "../elsewhere", requested: "1.9.8",
			wantErr: "is outside the repository root"},
		{name: "unknown engine", engine: "pulumi", requested: "1.9.8", wantErr: `engine "pulumi" is not terraform or opentofu`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "repo")
			dir := tt.dir
			if dir == "" {
				dir = "stacks/app"
			}
			if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil && !strings.HasPrefix(dir, "..") {
				t.Fatal(err)
			}
			for name, content := range tt.files {
				p := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			engine := tt.engine
			if engine == "" {
				engine = Terraform
			}
			calls := 0
			got, err := Resolve(t.Context(), ResolveOptions{
				Engine: engine, Requested: tt.requested, Dir: dir, RepoRoot: root,
				Index: fixedIndex{versions: index, err: tt.indexErr, calls: &calls},
				LookPath: func(string) (string, error) {
					if tt.onPath {
						return tfPath, nil
					}
					return "", exec.ErrNotFound
				},
			})
			if (calls > 0) != tt.wantIndex {
				t.Errorf("index consulted %d times, want it consulted: %v", calls, tt.wantIndex)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want.Engine == "" {
				want.Engine = Terraform
			}
			if want.Path == "PATH" {
				want.Path = tfPath
			}
			if got.Engine != want.Engine || !got.Version.Equal(want.Version) || got.Version.String() != want.Version.String() ||
				got.Requested != want.Requested || got.Source != want.Source || got.Origin != want.Origin || got.Path != want.Path {
				t.Errorf("Resolve =\n %+v\nwant\n %+v", got, want)
			}
			if tt.wantString != "" && got.String() != tt.wantString {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantString)
			}
		})
	}
}

func TestResolveRefusesVersionFileLinkingOutsideTheRepository(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "repo")
	secret := filepath.Join(base, "credentials")
	if err := os.WriteFile(secret, []byte("hunter2-secret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(root, "app", ".terraform-version")); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: "app", RepoRoot: root, Index: fixedIndex{}})
	if err == nil || !strings.Contains(err.Error(), "app/.terraform-version links outside the repository") {
		t.Fatalf("error = %v, want a refusal of the link", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the linked file's content: %v", err)
	}

	// A link that stays inside the repository is followed.
	if err := os.WriteFile(filepath.Join(root, "shared-version"), []byte("1.9.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "app", ".terraform-version")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shared-version", filepath.Join(root, "app", ".terraform-version")); err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: "app", RepoRoot: root, Index: fixedIndex{},
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound }})
	if err != nil || got.Version.String() != "1.9.8" {
		t.Fatalf("Resolve through an inner link = %v, %v; want 1.9.8", got, err)
	}
}

func TestResolveConstraintFromTheVendorIndex(t *testing.T) {
	// The release server speaks the vendors' index formats, read by
	// hc-install (Terraform) and this package (OpenTofu); a malformed entry
	// is skipped, not a panic.
	srv := releaseserver.Start(t, releaseserver.Options{Versions: []string{"1.8.0", "1.9.0", "1.9.8", "1.10.0-rc1", "1.10.0", "2.0.0", "not-a-version"}})
	for _, e := range []Engine{Terraform, OpenTofu} {
		t.Run(string(e), func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, "main.tf"), []byte(`terraform { required_version = "~> 1.9" }`), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Resolve(t.Context(), ResolveOptions{
				Engine: e, Dir: ".", RepoRoot: root, Index: releasesOf(srv),
				LookPath: func(string) (string, error) { return "", exec.ErrNotFound },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Version.String() != "1.10.0" || got.Source != SourceRequiredVersion || got.Path != "" {
				t.Errorf("Resolve = %+v, want 1.10.0 from required_version, to install", got)
			}
			// A second stack in the same process reuses the listing.
			before := srv.Requests()
			if _, err := Resolve(t.Context(), ResolveOptions{Engine: e, Requested: "~> 1.8.0", Dir: ".", RepoRoot: root, Index: releasesOf(srv),
				LookPath: func(string) (string, error) { return "", exec.ErrNotFound }}); err != nil {
				t.Fatal(err)
			}
			if n := srv.Requests() - before; n != 0 {
				t.Errorf("the second resolution made %d requests, want 0", n)
			}
		})
	}
}

func TestResolveWithTheRealPATH(t *testing.T) {
	// No LookPath injected: exec.LookPath finds the terraform tests use.
	tfPath := tftest.Path(t)
	t.Setenv("PATH", filepath.Dir(tfPath))
	root := t.TempDir()
	got, err := Resolve(t.Context(), ResolveOptions{Engine: Terraform, Dir: root, RepoRoot: root, Index: fixedIndex{}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != SourcePath || got.Path != filepath.Join(filepath.Dir(tfPath), "terraform") || got.Version == nil {
		t.Errorf("Resolve = %+v, want the PATH binary", got)
	}
	if want := "terraform " + got.Version.String() + " (the one on PATH: " + got.Path + ")"; got.String() != want {
		t.Errorf("String() = %q, want %q", got.String(), want)
	}
}

func TestResolutionStringOfTheZeroValue(t *testing.T) {
	if got := (Resolution{Engine: Terraform}).String(); got != "terraform (no version resolved)" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseEngine(t *testing.T) {
	for in, want := range map[string]Engine{"": Terraform, "terraform": Terraform, " opentofu ": OpenTofu} {
		if got, err := ParseEngine(in); err != nil || got != want {
			t.Errorf("ParseEngine(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseEngine("tofu"); err == nil || !strings.Contains(err.Error(), `engine input: "tofu" is not an engine`) {
		t.Errorf("ParseEngine(tofu) error = %v", err)
	}
}

func v(s string) *version.Version { return version.Must(version.NewVersion(s)) }
