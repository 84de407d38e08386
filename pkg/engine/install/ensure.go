package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/hashicorp/go-version"
)

// EnsureOptions is what Ensure needs. Engine and Version are required; the
// zero value of the rest is production's.
type EnsureOptions struct {
	// Engine is terraform or opentofu.
	Engine Engine
	// Version is the exact version to install (Resolution.Version).
	Version *version.Version
	// CacheDir is the tool cache; empty means DefaultCacheDir(os.Getenv).
	// It must be writable only by the runner's user: whoever can write it
	// chooses the binary that runs.
	CacheDir string
	// Releases is where the release is downloaded from and which key signs
	// it; the zero value is the vendor's site and key.
	Releases Releases
	// Log gets one line when a download starts; nil discards it. A version
	// already in the cache logs nothing.
	Log io.Writer
}

// Ensure returns the path of the engine binary at opts.Version in the tool
// cache, installing it first when it is missing: downloaded from the
// vendor, its archive's checksum checked against the SHA256SUMS file and
// that file's OpenPGP signature checked against the vendor's key (by
// hc-install for Terraform, tofudl for OpenTofu), then run once to check it
// reports the version asked for. Nothing unverified is ever moved into the
// cache or returned. The install is built in a temporary directory next to
// its final place and renamed into it, so concurrent Ensures of one version
// (parallel stacks, other processes) never see a half-written binary; in
// one process they also wait for each other instead of downloading twice.
//
// The layout follows the runner's tool cache:
// <cache>/<engine>/<version>/<arch>/<binary>, with an <arch>.complete marker
// beside it, as @actions/tool-cache writes. A marker file inside records the
// binary's SHA-256: an install is reused only when the binary still has it,
// so a binary another tool left at the same place is replaced, never run.
func Ensure(ctx context.Context, opts EnsureOptions) (string, error) {
	e, v := opts.Engine, opts.Version
	if err := e.validate(); err != nil {
		return "", fmt.Errorf("installing the engine: %w", err)
	}
	if v == nil {
		return "", fmt.Errorf("installing %s: no version given", e)
	}
	cache := opts.CacheDir
	if cache == "" {
		var err error
		if cache, err = DefaultCacheDir(os.Getenv); err != nil {
			return "", fmt.Errorf("installing %s %s: %w", e, v, err)
		}
	}
	dir := filepath.Join(cache, string(e), v.String(), toolArch())
	bin := filepath.Join(dir, e.Binary())

	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return "", fmt.Errorf("installing %s %s: waiting for another install of it: %w", e, v, err)
	}
	defer unlock()

	if verified(dir, bin) {
		return bin, nil
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	if _, err := os.Lstat(dir); err == nil {
		// Another tool's install at the same place, or a damaged one: it is
		// not run, and the verified release replaces it below.
		fmt.Fprintf(log, "%s holds no install lockstep verified: replacing it.\n", dir)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("installing %s %s: making the tool cache directory: %w", e, v, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+toolArch()+".tmp-")
	if err != nil {
		return "", fmt.Errorf("installing %s %s: %w", e, v, err)
	}
	defer os.RemoveAll(tmp) // nothing left once renamed into place

	var from string
	switch e {
	case Terraform:
		from = opts.Releases.terraformURL()
		fmt.Fprintf(log, "Installing terraform %s from %s into %s (checksum and HashiCorp signature verified)…\n", v, from, dir)
		err = installTerraform(ctx, opts.Releases, v, tmp)
	case OpenTofu:
		from = opts.Releases.tofuAPIURL()
		fmt.Fprintf(log, "Installing opentofu %s from %s into %s (checksum and OpenTofu signature verified)…\n", v, from, dir)
		err = installOpenTofu(ctx, opts.Releases, v, tmp)
	}
	if err != nil {
		return "", fmt.Errorf("%s %s from %s: %w", e, v, from, err)
	}
	tmpBin := filepath.Join(tmp, e.Binary())
	if err := os.Chmod(tmpBin, 0o755); err != nil {
		return "", fmt.Errorf("%s %s from %s: the archive has no %s: %w", e, v, from, e.Binary(), err)
	}
	// The signature covers the archive, not its meaning: a mirror could
	// serve a validly signed older release under a newer name. The binary
	// must say it is the version asked for.
	got, err := BinaryVersion(ctx, tmpBin)
	if err != nil {
		return "", fmt.Errorf("%s %s from %s: checking the installed binary: %w", e, v, from, err)
	}
	if !got.Equal(v) || got.Prerelease() != v.Prerelease() {
		return "", fmt.Errorf("%s %s from %s: the binary reports version %s, not %s", e, v, from, got, v)
	}
	if err := writeMarker(tmp, e.Binary()); err != nil {
		return "", fmt.Errorf("installing %s %s: %w", e, v, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if verified(dir, bin) { // another process finished first: same verified release
			return bin, nil
		}
		// What is there was not verified by lockstep: replace it.
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			return "", fmt.Errorf("installing %s %s into %s: removing what is there: %w", e, v, dir, rmErr)
		}
		if err := os.Rename(tmp, dir); err != nil && !verified(dir, bin) {
			return "", fmt.Errorf("installing %s %s into %s: %w", e, v, dir, err)
		}
	}
	// The marker @actions/tool-cache's find() needs; lockstep itself does not
	// rely on it (the rename is what makes an install complete).
	_ = os.WriteFile(dir+".complete", nil, 0o644)
	return bin, nil
}

// DefaultCacheDir is the tool cache Ensure installs into: RUNNER_TOOL_CACHE
// when it names an existing directory, else lockstep/tools under the user's
// cache directory. Inside a container action the runner sets
// RUNNER_TOOL_CACHE but does not mount it (actions/runner#2522); there the
// user cache is under HOME=/github/home, which the runner mounts, so an
// install outlives the step and serves the job's later steps.
func DefaultCacheDir(getenv func(string) string) (string, error) {
	if d := getenv("RUNNER_TOOL_CACHE"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a tool cache: RUNNER_TOOL_CACHE names no directory and %w", err)
	}
	return filepath.Join(d, "lockstep", "tools"), nil
}

// toolArch names the architecture as the runner's tool cache does (Node's
// process.arch): x64, arm64, ...
func toolArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x64"
	case "386":
		return "x86"
	default:
		return runtime.GOARCH
	}
}

// markerFile, in an install directory, holds the SHA-256 of the binary
// Ensure verified and installed there, in SHA256SUMS format.
const markerFile = ".lockstep-verified"

// writeMarker records the SHA-256 of dir/binary in dir's marker file.
func writeMarker(dir, binary string) error {
	sum, err := fileSHA256(filepath.Join(dir, binary))
	if err != nil {
		return fmt.Errorf("hashing the verified binary: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, markerFile), []byte(sum+"  "+binary+"\n"), 0o644)
}

// verified reports whether bin is the binary Ensure verified and installed
// in dir: an executable whose SHA-256 is the one in dir's marker file. A
// binary another tool put at the same place, or one damaged since, is not.
// (Whoever can write the tool cache can also rewrite the marker: this
// catches accidents and other installers, not an attacker on the runner.)
func verified(dir, bin string) bool {
	if !isExecutable(bin) {
		return false
	}
	marker, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return false
	}
	want, _, _ := strings.Cut(string(marker), " ")
	got, err := fileSHA256(bin)
	return err == nil && want == got
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// dirLocks serialises Ensures of one install directory in this process: a
// buffered channel per directory, so waiting honours ctx.
var dirLocks = struct {
	sync.Mutex
	byDir map[string]chan struct{}
}{byDir: map[string]chan struct{}{}}

func lockDir(ctx context.Context, dir string) (func(), error) {
	dirLocks.Lock()
	ch, ok := dirLocks.byDir[dir]
	if !ok {
		ch = make(chan struct{}, 1)
		dirLocks.byDir[dir] = ch
	}
	dirLocks.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// errNoRelease marks a version the vendor's index does not list.
var errNoRelease = errors.New("no such release")

// Binary is the path of the binary that runs r: the one on PATH when r
// found it (r.Path), else Ensure's install of r.Version with opts (whose
// Engine and Version are taken from r).
func (r Resolution) Binary(ctx context.Context, opts EnsureOptions) (string, error) {
	if r.Path != "" {
		return r.Path, nil
	}
	opts.Engine, opts.Version = r.Engine, r.Version
	return Ensure(ctx, opts)
}
