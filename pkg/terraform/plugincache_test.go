package terraform

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// syncBuffer is a log several goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// providerMirror makes a filesystem mirror holding a provider
// example.com/test/fake (a stub binary: init installs providers without
// running them) and points Terraform's CLI configuration at it, so that init
// really writes into the plugin cache without a network.
func providerMirror(t *testing.T) {
	t.Helper()
	root := t.TempDir()
	pkg := filepath.Join(root, "mirror", "example.com", "test", "fake", "1.0.0", runtime.GOOS+"_"+runtime.GOARCH)
	require.NoError(t, os.MkdirAll(pkg, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(pkg, "terraform-provider-fake_v1.0.0"), []byte("#!/bin/sh\nexit 1\n"), 0o755))
	cli := filepath.Join(root, "cli.tfrc")
	require.NoError(t, os.WriteFile(cli, []byte(fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["example.com/*/*"]
  }
  direct {
    exclude = ["example.com/*/*"]
  }
}
`, filepath.Join(root, "mirror"))), 0o644))
	t.Setenv("TF_CLI_CONFIG_FILE", cli)
	t.Setenv("CHECKPOINT_DISABLE", "1")
}

// stacksUsingFake makes n root modules that require the fake provider.
func stacksUsingFake(t *testing.T, n int) []string {
	t.Helper()
	root := t.TempDir()
	var dirs []string
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("stack%d", i))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`terraform {
  required_providers {
    fake = { source = "example.com/test/fake", version = "1.0.0" }
  }
}

resource "terraform_data" "x" {}
`), 0o644))
		dirs = append(dirs, dir)
	}
	return dirs
}

// overlapRecorder is a pluginCacheHook that counts inits holding the lock at
// once.
type overlapRecorder struct {
	holders, max, calls atomic.Int32
}

func (o *overlapRecorder) hook(string) func() {
	o.calls.Add(1)
	n := o.holders.Add(1)
	for {
		m := o.max.Load()
		if n <= m || o.max.CompareAndSwap(m, n) {
			break
		}
	}
	// Hold the lock a little, so overlapping inits would be caught.
	time.Sleep(20 * time.Millisecond)
	return func() { o.holders.Add(-1) }
}

func setHook(t *testing.T, h func(string) func()) {
	t.Helper()
	pluginCacheHook = h
	t.Cleanup(func() { pluginCacheHook = nil })
}

func initAll(t *testing.T, dirs []string, log *syncBuffer) []error {
	t.Helper()
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tf, err := New(Options{ExecPath: tftest.Path(t), Dir: dir, Log: log})
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = tf.Init(context.Background(), InitOptions{})
		}()
	}
	wg.Wait()
	return errs
}

// Parallel inits of stacks that share TF_PLUGIN_CACHE_DIR take turns, and
// every stack ends up with the provider from the one cache.
func TestParallelInitsShareThePluginCache(t *testing.T) {
	providerMirror(t)
	cache := t.TempDir()
	t.Setenv("TF_PLUGIN_CACHE_DIR", cache)
	var rec overlapRecorder
	setHook(t, rec.hook)

	dirs := stacksUsingFake(t, 6)
	log := &syncBuffer{}
	for i, err := range initAll(t, dirs, log) {
		require.NoError(t, err, "init of %s\n%s", dirs[i], log)
	}

	assert.EqualValues(t, len(dirs), rec.calls.Load(), "every init took the cache lock")
	assert.EqualValues(t, 1, rec.max.Load(), "inits sharing a plugin cache never overlap")
	assert.FileExists(t, filepath.Join(cache, PluginCacheLockFile))
	cached := filepath.Join(cache, "example.com", "test", "fake", "1.0.0", runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-fake_v1.0.0")
	require.FileExists(t, cached, "init wrote the provider into the shared cache")
	for _, dir := range dirs {
		link := filepath.Join(dir, ".terraform", "providers", "example.com", "test", "fake", "1.0.0", runtime.GOOS+"_"+runtime.GOARCH)
		target, err := os.Readlink(link)
		require.NoError(t, err, "%s links its provider from the cache", dir)
		assert.Equal(t, filepath.Dir(cached), target)
	}
	assert.Contains(t, log.String(), "Waiting for another terraform init", "contended inits say why they wait")
}

// Without a plugin cache, inits take no lock and run side by side.
func TestInitsWithoutPluginCacheTakeNoLock(t *testing.T) {
	providerMirror(t)
	t.Setenv("TF_PLUGIN_CACHE_DIR", "")
	var rec overlapRecorder
	setHook(t, rec.hook)
	log := &syncBuffer{}
	for _, err := range initAll(t, stacksUsingFake(t, 2), log) {
		require.NoError(t, err, "%s", log)
	}
	assert.Zero(t, rec.calls.Load())
}

// The lock holds across processes: while another open file description
// (as another lockstep process would) holds the flock, init waits.
func TestInitWaitsForAnotherProcessesLock(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock on windows: inits take turns within one process only")
	}
	providerMirror(t)
	cache := t.TempDir()
	t.Setenv("TF_PLUGIN_CACHE_DIR", cache)

	other, err := os.OpenFile(filepath.Join(cache, PluginCacheLockFile), os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	defer other.Close()
	ok, err := tryFlock(other)
	require.NoError(t, err)
	require.True(t, ok)

	dir := stacksUsingFake(t, 1)[0]
	log := &syncBuffer{}
	tf, err := New(Options{ExecPath: tftest.Path(t), Dir: dir, Log: log})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- tf.Init(context.Background(), InitOptions{}) }()

	select {
	case err := <-done:
		t.Fatalf("init finished while another process held the plugin cache lock: %v\n%s", err, log)
	case <-time.After(700 * time.Millisecond):
	}
	assert.Contains(t, log.String(), "Waiting for another process's terraform init")
	require.NoError(t, unflock(other))
	select {
	case err := <-done:
		require.NoError(t, err, "%s", log)
	case <-time.After(60 * time.Second):
		t.Fatal("init did not finish after the lock was released")
	}
}

// A cancelled context stops the wait for the lock.
func TestPluginCacheWaitHonoursContext(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("TF_PLUGIN_CACHE_DIR", cache)
	unlock, err := lockPluginCache(context.Background(), t.TempDir(), &syncBuffer{})
	require.NoError(t, err)
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = lockPluginCache(ctx, t.TempDir(), &syncBuffer{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "waiting for the provider plugin cache")
}

func TestPluginCacheDir(t *testing.T) {
	root := t.TempDir()
	cacheDir := filepath.Join(root, "cache")
	require.NoError(t, os.MkdirAll(cacheDir, 0o755))
	require.NoError(t, os.Symlink(cacheDir, filepath.Join(root, "link")))
	work := filepath.Join(root, "stack")

	tests := []struct{ env, want string }{
		{"", ""},
		{cacheDir, cacheDir},
		{filepath.Join(root, "link"), cacheDir}, // one directory, one lock
		{"../cache", cacheDir},                  // relative to the stack, as Terraform reads it
		{filepath.Join(root, "missing"), filepath.Join(root, "missing")},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.env, "/", "_"), func(t *testing.T) {
			t.Setenv("TF_PLUGIN_CACHE_DIR", tt.env)
			assert.Equal(t, tt.want, pluginCacheDir(work))
		})
	}
}
