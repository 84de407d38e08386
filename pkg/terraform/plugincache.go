package terraform

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// PluginCacheLockFile is the file, inside TF_PLUGIN_CACHE_DIR, that inits of
// every lockstep process lock while they may write to the shared cache.
// Terraform ignores files at the cache's top level.
const PluginCacheLockFile = ".lockstep-init.lock"

// pluginCacheHook, when set (by tests), runs while an init holds the plugin
// cache lock of dir; the func it returns runs just before the lock is released.
var pluginCacheHook func(dir string) (release func())

// pluginCacheLocks serialises inits sharing a cache directory within this
// process: one buffered channel per directory, so waiting honours ctx.
var pluginCacheLocks = struct {
	sync.Mutex
	byDir map[string]chan struct{}
}{byDir: map[string]chan struct{}{}}

// pluginCacheDir is the provider plugin cache Terraform will use when run in
// workDir: TF_PLUGIN_CACHE_DIR from this process's environment (Terraform
// inherits it: the adapter never replaces the environment), resolved against
// workDir as Terraform resolves a relative one. "" when unset. A
// plugin_cache_dir set only in a CLI configuration file is not seen.
func pluginCacheDir(workDir string) string {
	dir := os.Getenv("TF_PLUGIN_CACHE_DIR")
	if dir == "" {
		return ""
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(workDir, dir)
	}
	dir = filepath.Clean(dir)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // two spellings of one directory share one lock
	}
	return dir
}

// lockPluginCache makes this init the only one writing to the shared plugin
// cache of workDir, if there is one. Terraform writes a provider into the
// cache when it is missing; two inits doing so at once (parallel stacks in
// this process, or other lockstep processes on the same machine) race, and
// one of them fails with "text file busy" or a checksum error. So inits that
// share a cache run one at a time: a mutex per cache directory in this
// process, and an flock on PluginCacheLockFile across processes (when the
// directory exists; Terraform does not use a missing one). Plans and applies
// only read the cache and stay parallel. log gets a line when the lock is
// contended. The returned func releases the lock.
func lockPluginCache(ctx context.Context, workDir string, log io.Writer) (func(), error) {
	dir := pluginCacheDir(workDir)
	if dir == "" {
		return func() {}, nil
	}

	pluginCacheLocks.Lock()
	ch, ok := pluginCacheLocks.byDir[dir]
	if !ok {
		ch = make(chan struct{}, 1)
		pluginCacheLocks.byDir[dir] = ch
	}
	pluginCacheLocks.Unlock()
	select {
	case ch <- struct{}{}:
	default:
		fmt.Fprintf(log, "Waiting for another terraform init to finish with the provider plugin cache %s…\n", dir)
		select {
		case ch <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the provider plugin cache %s: %w", dir, ctx.Err())
		}
	}
	unlockMutex := func() { <-ch }

	unlockFile, err := lockFile(ctx, dir, log)
	if err != nil {
		unlockMutex()
		return nil, err
	}
	release := func() {}
	if pluginCacheHook != nil {
		release = pluginCacheHook(dir)
	}
	return func() {
		release()
		unlockFile()
		unlockMutex()
	}, nil
}

// lockFile takes the cross-process lock of cache directory dir. A directory
// that does not exist is not used by Terraform and needs no lock; one whose
// lock file cannot be created (a read-only cache) is used without it, with a
// warning in the log.
func lockFile(ctx context.Context, dir string, log io.Writer) (func(), error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return func() {}, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, PluginCacheLockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintf(log, "Warning: cannot lock the provider plugin cache %s against other processes (%v); inits in this process still take turns.\n", dir, err)
		return func() {}, nil
	}
	waiting := false
	for {
		ok, err := tryFlock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking the provider plugin cache %s: %w", dir, err)
		}
		if ok {
			return func() {
				_ = unflock(f)
				f.Close()
			}, nil
		}
		if !waiting {
			waiting = true
			fmt.Fprintf(log, "Waiting for another process's terraform init to finish with the provider plugin cache %s…\n", dir)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the provider plugin cache %s: %w", dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
