package install

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/lockstep-ci/lockstep/test/releaseserver"
)

func TestEnsureInstallsVerifiedRunnableBinaryAndReusesIt(t *testing.T) {
	for _, e := range []Engine{Terraform, OpenTofu} {
		t.Run(string(e), func(t *testing.T) {
			content, v := engineBinary(t, e)
			srv := releaseserver.Start(t, releaseserver.Options{Binary: content, Versions: []string{"1.0.0", v}})
			cache := t.TempDir()
			var log strings.Builder
			opts := EnsureOptions{Engine: e, Version: version.Must(version.NewVersion(v)), CacheDir: cache, Releases: releasesOf(srv), Log: &log}

			path, err := Ensure(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(cache, string(e), v, toolArch(), e.Binary())
			if path != want {
				t.Errorf("path = %s, want %s", path, want)
			}
			out, err := exec.Command(path, "version").CombinedOutput()
			if err != nil {
				t.Fatalf("%s version: %v\n%s", path, err, out)
			}
			if !strings.Contains(string(out), " v"+v) {
				t.Errorf("%s version says %q, want v%s", path, out, v)
			}
			if !strings.Contains(log.String(), "Installing "+string(e)+" "+v+" from "+srv.URL) {
				t.Errorf("log = %q, want the install line", log.String())
			}
			if _, err := os.Stat(filepath.Join(cache, string(e), v, toolArch()+".complete")); err != nil {
				t.Errorf("no tool-cache marker: %v", err)
			}
			if srv.Archives() != 1 {
				t.Errorf("archive downloaded %d times, want 1", srv.Archives())
			}
			leftovers, _ := filepath.Glob(filepath.Join(cache, string(e), v, ".*tmp*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary install directories left behind: %v", leftovers)
			}

			before := srv.Requests()
			log.Reset()
			again, err := Ensure(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if again != path {
				t.Errorf("second Ensure = %s, want %s", again, path)
			}
			if n := srv.Requests() - before; n != 0 {
				t.Errorf("second Ensure made %d requests, want none (reuse the cache)", n)
			}
			if log.Len() != 0 {
				t.Errorf("second Ensure logged %q, want nothing", log.String())
			}
		})
	}
}

func TestResolutionBinary(t *testing.T) {
	tfPath, content, v := terraformBinary(t)
	srv := releaseserver.Start(t, releaseserver.Options{Binary: content, Versions: []string{v}})
	cache := t.TempDir()
	opts := EnsureOptions{CacheDir: cache, Releases: releasesOf(srv)}

	onPath := Resolution{Engine: Terraform, Version: version.Must(version.NewVersion(v)), Source: SourcePath, Path: tfPath}
	if got, err := onPath.Binary(t.Context(), opts); err != nil || got != tfPath {
		t.Errorf("Binary of a PATH resolution = %q, %v; want %s", got, err, tfPath)
	}
	if n := srv.Requests(); n != 0 {
		t.Errorf("a PATH resolution made %d requests, want 0", n)
	}

	pinned := Resolution{Engine: Terraform, Version: version.Must(version.NewVersion(v)), Requested: v, Source: SourceVersionFile, Origin: ".terraform-version"}
	got, err := pinned.Binary(t.Context(), opts)
	if want := filepath.Join(cache, "terraform", v, toolArch(), "terraform"); err != nil || got != want {
		t.Errorf("Binary of a pinned resolution = %q, %v; want %s", got, err, want)
	}
}

func TestEnsureRefusesWhatDoesNotVerify(t *testing.T) {
	other := releaseserver.NewKey(t)
	// Archives refused before they are unpacked hold a small file instead of
	// the 90 MB binary: their content never matters, only its checksum.
	small := []byte("#!/bin/sh\necho this must never run\nexit 1\n")
	tests := []struct {
		name    string
		opts    releaseserver.Options
		small   bool
		version func(real string) string
		wantErr string
	}{
		{name: "checksum mismatch", opts: releaseserver.Options{CorruptArchive: true}, small: true, wantErr: "checksum does not match"},
		{name: "bad signature", opts: releaseserver.Options{CorruptSignature: true}, small: true, wantErr: "signature does not verify"},
		{name: "signed by another key", opts: releaseserver.Options{Signer: &other}, small: true, wantErr: "signature does not verify"},
		{name: "archive download fails", opts: releaseserver.Options{ArchiveFails: true}, small: true, wantErr: "500"},
		{name: "binary of another version", version: func(string) string { return "1.0.0" }, wantErr: "the binary reports version"},
		{name: "release the index lacks", small: true, version: func(string) string { return "9.9.9" }, wantErr: "no such release"},
	}
	for _, e := range []Engine{Terraform, OpenTofu} {
		content, real := engineBinary(t, e)
		for _, tt := range tests {
			t.Run(string(e)+"/"+tt.name, func(t *testing.T) {
				served := content
				if tt.small {
					served = small
				}
				opts := tt.opts
				opts.Binary, opts.Versions = served, []string{"1.0.0", real}
				srv := releaseserver.Start(t, opts)
				v := real
				if tt.version != nil {
					v = tt.version(real)
				}
				cache := t.TempDir()
				_, err := Ensure(t.Context(), EnsureOptions{Engine: e, Version: version.Must(version.NewVersion(v)), CacheDir: cache, Releases: releasesOf(srv)})
				if err == nil {
					t.Fatal("Ensure succeeded, want an error")
				}
				t.Log(err)
				prefix := string(e) + " " + v + " from " + srv.URL
				if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %q, want it to start with %q and say %q", err, prefix, tt.wantErr)
				}
				// Nothing unverified may stay behind, let alone where Ensure
				// would find it next time.
				var files []string
				filepath.Walk(cache, func(p string, info os.FileInfo, err error) error {
					if err == nil && !info.IsDir() {
						files = append(files, p)
					}
					return nil
				})
				if len(files) > 0 {
					t.Errorf("files left in the cache after a refused install: %v", files)
				}
			})
		}
	}
}

func TestEnsureReplacesAnInstallItDidNotVerify(t *testing.T) {
	_, content, v := terraformBinary(t)
	srv := releaseserver.Start(t, releaseserver.Options{Binary: content, Versions: []string{v}})
	tests := []struct {
		name    string
		prepare func(t *testing.T, bin string)
	}{
		{name: "another tool's binary", prepare: func(t *testing.T, bin string) {
			writeExecutable(t, bin, "#!/bin/sh\necho 'Terraform v"+v+" (not really)'\n")
		}},
		{name: "a verified install damaged since", prepare: func(t *testing.T, bin string) {
			f, err := os.OpenFile(bin, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("tampered")
			f.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := t.TempDir()
			opts := EnsureOptions{Engine: Terraform, Version: version.Must(version.NewVersion(v)), CacheDir: cache, Releases: releasesOf(srv)}
			bin := filepath.Join(cache, "terraform", v, toolArch(), "terraform")
			if tt.name == "a verified install damaged since" {
				if _, err := Ensure(t.Context(), opts); err != nil {
					t.Fatal(err)
				}
			}
			tt.prepare(t, bin)
			before := srv.Archives()
			var log strings.Builder
			opts.Log = &log
			got, err := Ensure(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != bin || srv.Archives() != before+1 {
				t.Errorf("Ensure = %s after %d new downloads, want %s after 1", got, srv.Archives()-before, bin)
			}
			if !strings.Contains(log.String(), "holds no install lockstep verified: replacing it") {
				t.Errorf("log = %q, want the replacement said", log.String())
			}
			if sum, _ := fileSHA256(bin); sum != fmt.Sprintf("%x", sha256.Sum256(content)) {
				t.Errorf("the binary in the cache is not the verified release")
			}
		})
	}
}

func writeExecutable(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureConcurrentInstallsOfOneVersionDownloadOnce(t *testing.T) {
	_, content, v := terraformBinary(t)
	srv := releaseserver.Start(t, releaseserver.Options{Binary: content, Versions: []string{v}})
	cache := t.TempDir()
	opts := EnsureOptions{Engine: Terraform, Version: version.Must(version.NewVersion(v)), CacheDir: cache, Releases: releasesOf(srv)}
	var wg sync.WaitGroup
	paths := make([]string, 3)
	errs := make([]error, 3)
	for i := range paths {
		wg.Go(func() { paths[i], errs[i] = Ensure(t.Context(), opts) })
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil {
			t.Fatalf("Ensure %d: %v", i, errs[i])
		}
		if paths[i] != paths[0] {
			t.Errorf("Ensure %d = %s, want %s", i, paths[i], paths[0])
		}
	}
	if n := srv.Archives(); n != 1 {
		t.Errorf("archive downloaded %d times, want 1", n)
	}
}

func TestEnsureAcceptsAnInstallAnotherProcessFinishedFirst(t *testing.T) {
	// Another process renamed its verified install into place while this one
	// downloaded: the rename fails and the finished install is used.
	_, content, v := terraformBinary(t)
	srv := releaseserver.Start(t, releaseserver.Options{Binary: content, Versions: []string{v}})
	cache := t.TempDir()
	opts := EnsureOptions{Engine: Terraform, Version: version.Must(version.NewVersion(v)), CacheDir: cache, Releases: releasesOf(srv)}
	first, err := Ensure(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Hide the finished binary from the reuse check, and bring it back while
	// the second Ensure downloads: the rename target is then a non-empty
	// directory holding a verified install.
	if err := os.Rename(first, first+".hidden"); err != nil {
		t.Fatal(err)
	}
	srv.OnArchive(func() {
		if err := os.Rename(first+".hidden", first); err != nil {
			t.Error(err)
		}
	})
	second, err := Ensure(t.Context(), opts)
	if err != nil {
		t.Fatalf("Ensure after another install finished: %v", err)
	}
	if second != first || srv.Archives() != 2 {
		t.Errorf("Ensure = %s after %d downloads, want %s after 2", second, srv.Archives(), first)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg")
	toolCache := t.TempDir()
	tests := []struct {
		name      string
		toolCache string
		want      string
	}{
		{name: "the runner's tool cache", toolCache: toolCache, want: toolCache},
		{name: "unset", want: filepath.Join("/tmp/xdg", "lockstep", "tools")},
		{name: "set but not mounted, as in a container action", toolCache: filepath.Join(toolCache, "not-mounted"), want: filepath.Join("/tmp/xdg", "lockstep", "tools")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultCacheDir(func(k string) string {
				if k == "RUNNER_TOOL_CACHE" {
					return tt.toolCache
				}
				return ""
			})
			if err != nil || got != tt.want {
				t.Errorf("DefaultCacheDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// engineBinary is the content an engine's test archives hold and the
// version it reports.
func engineBinary(t *testing.T, e Engine) ([]byte, string) {
	t.Helper()
	if e == OpenTofu {
		content, v, real := tofuBinary(t)
		if !real {
			t.Logf("no tofu binary: the OpenTofu archives hold the terraform binary")
		}
		return content, v
	}
	_, content, v := terraformBinary(t)
	return content, v
}
