package act

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Variables that tell the helper where the stand-in services live. The test
// sets them in act's environment, which act passes to every step on the host.
const (
	// EnvRepo is the git repository that checkout clones (the "origin").
	EnvRepo = "LOCKSTEP_ACT_REPO"
	// EnvShared is the folder that stands for the artifact and cache
	// services: <shared>/artifacts/<name>/, <shared>/cache/<hash of key>/.
	EnvShared = "LOCKSTEP_ACT_SHARED"
	// EnvLockstepSource, when set, is this repository's root: the checkout
	// of the lockstep action copies its source there (host mode builds it),
	// instead of skipping it.
	EnvLockstepSource = "LOCKSTEP_ACT_LOCKSTEP_SOURCE"
)

// ArtifactMeta is what the upload stand-in records beside each artifact, so
// tests can assert what a real upload would have been asked for.
type ArtifactMeta struct {
	Name          string   `json:"name"`
	RetentionDays int      `json:"retention_days"` // 0 when the step did not set it
	Files         []string `json:"files"`          // relative to the artifact root, sorted
}

// helperEnv is what a stand-in sees of its process.
type helperEnv struct {
	getenv func(string) string
	stdout io.Writer
}

func (h helperEnv) input(name string) string {
	return strings.TrimSpace(h.getenv(inputEnv(name)))
}

// lines returns an input's non-empty lines, trimmed.
func (h helperEnv) lines(name string) []string {
	var out []string
	for _, l := range strings.Split(h.getenv(inputEnv(name)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (h helperEnv) workspace() (string, error) {
	ws := h.getenv("GITHUB_WORKSPACE")
	if ws == "" {
		return "", errors.New("GITHUB_WORKSPACE is not set")
	}
	return ws, nil
}

func (h helperEnv) shared(sub string) (string, error) {
	s := h.getenv(EnvShared)
	if s == "" {
		return "", fmt.Errorf("%s is not set", EnvShared)
	}
	return filepath.Join(s, sub), nil
}

// setOutput appends a step output to GITHUB_OUTPUT.
func (h helperEnv) setOutput(name, value string) error {
	p := h.getenv("GITHUB_OUTPUT")
	if p == "" {
		return errors.New("GITHUB_OUTPUT is not set")
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s=%s\n", name, value)
	return err
}

// RunHelper runs the stand-in for one substituted action and returns its
// exit code. verb is one of the Verb* constants; cache-restore and cache-save
// take the state ID that pairs them. Inputs come from INPUT_* variables.
func RunHelper(verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	h := helperEnv{getenv: getenv, stdout: stdout}
	var err error
	switch verb {
	case VerbCheckout:
		err = h.checkout()
	case VerbUploadArtifact:
		err = h.uploadArtifact()
	case VerbDownloadArtifact:
		err = h.downloadArtifact()
	case VerbSetupGo:
		err = h.setupGo()
	case VerbCacheRestore, VerbCacheSave:
		if len(args) != 1 {
			err = fmt.Errorf("%s takes one state ID", verb)
		} else if verb == VerbCacheRestore {
			err = h.cacheRestore(args[0])
		} else {
			err = h.cacheSave(args[0])
		}
	default:
		err = fmt.Errorf("unknown helper verb %q", verb)
	}
	if err != nil {
		// A workflow command, so the failure is an annotation in act's log.
		fmt.Fprintf(stdout, "::error title=%s (act stand-in)::%s\n", verb, strings.ReplaceAll(err.Error(), "\n", " "))
		fmt.Fprintf(stderr, "%s: %v\n", verb, err)
		return 1
	}
	return 0
}

// checkout clones EnvRepo into the workspace (or input path) at the input
// ref, default GITHUB_SHA. A checkout of another repository is skipped: in the
// tests that is the lockstep action, which the built binary replaces.
func (h helperEnv) checkout() error {
	ref := h.input("ref")
	if repo := h.input("repository"); repo != "" && h.getenv(EnvLockstepSource) != "" {
		if err := h.copyLockstepSource(); err != nil {
			return err
		}
		if err := h.setOutput("ref", ref); err != nil {
			return err
		}
		return h.setOutput("commit", ref)
	}
	if repo := h.input("repository"); repo != "" {
		fmt.Fprintf(h.stdout, "skipping the checkout of %s@%s: the lockstep action is the built binary\n", repo, ref)
		if err := h.setOutput("ref", ref); err != nil {
			return err
		}
		return h.setOutput("commit", ref)
	}
	ws, err := h.workspace()
	if err != nil {
		return err
	}
	origin := h.getenv(EnvRepo)
	if origin == "" {
		return fmt.Errorf("%s is not set", EnvRepo)
	}
	if ref == "" {
		ref = h.getenv("GITHUB_SHA")
	}
	dest := filepath.Join(ws, filepath.FromSlash(h.input("path")))
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", append([]string{"-C", dest}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out)), nil
	}
	steps := [][]string{
		{"init", "-q"},
		{"fetch", "-q", "--no-tags", origin, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
		{"checkout", "-q", "--force", "--detach", ref},
		{"clean", "-ffdxq"},
	}
	for _, s := range steps {
		if _, err := git(s...); err != nil {
			return err
		}
	}
	commit, err := git("rev-parse", "HEAD")
	if err != nil {
		return err
	}
	fmt.Fprintf(h.stdout, "checked out %s at %s into %s\n", origin, commit, dest)
	if err := h.setOutput("ref", ref); err != nil {
		return err
	}
	return h.setOutput("commit", commit)
}

// uploadArtifact copies the input paths into the shared folder with
// upload-artifact v4's rules.
func (h helperEnv) uploadArtifact() error {
	ws, err := h.workspace()
	if err != nil {
		return err
	}
	name := h.input("name")
	if name == "" {
		name = "artifact"
	}
	if strings.ContainsAny(name, "\":<>|*?\r\n\\/") {
		return fmt.Errorf("artifact name %q contains a character upload-artifact rejects", name)
	}
	ifNone := h.input("if-no-files-found")
	if ifNone == "" {
		ifNone = "warn"
	}
	hidden := h.input("include-hidden-files") == "true"
	patterns := h.lines("path")
	if len(patterns) == 0 {
		return errors.New("input path is required")
	}
	var roots []string         // what each pattern names: the LCA candidates
	files := map[string]bool{} // absolute paths of files to upload
	for _, p := range patterns {
		if strings.HasPrefix(p, "!") || strings.Contains(p, "**") {
			return fmt.Errorf("path %q: exclusions and ** are not supported by the stand-in", p)
		}
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(ws, filepath.FromSlash(p))
		}
		matches, err := filepath.Glob(abs)
		if err != nil {
			return fmt.Errorf("path %q: %w", p, err)
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return err
			}
			if !st.IsDir() {
				roots = append(roots, filepath.Dir(m))
				files[m] = true
				continue
			}
			roots = append(roots, m)
			err = filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(m, path)
				if !hidden && rel != "." && isHidden(rel) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if !d.IsDir() {
					files[path] = true
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	if len(files) == 0 {
		msg := fmt.Sprintf("no files were found with the provided path: %s. No artifacts will be uploaded.", strings.Join(patterns, ", "))
		switch ifNone {
		case "error":
			return errors.New(msg)
		case "warn":
			fmt.Fprintf(h.stdout, "::warning::%s\n", msg)
		}
		return nil
	}
	artifacts, err := h.shared("artifacts")
	if err != nil {
		return err
	}
	dest := filepath.Join(artifacts, name)
	if _, err := os.Stat(dest); err == nil {
		if h.input("overwrite") != "true" {
			return fmt.Errorf("an artifact named %s already exists in this run (artifacts are immutable)", name)
		}
		// overwrite: true deletes the old artifact before uploading.
		if err := os.RemoveAll(dest); err != nil {
			return err
		}
		if err := os.Remove(dest + ".json"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	rootDir := commonAncestor(roots)
	meta := ArtifactMeta{Name: name}
	if d := h.input("retention-days"); d != "" {
		if meta.RetentionDays, err = strconv.Atoi(d); err != nil {
			return fmt.Errorf("retention-days %q is not a number", d)
		}
	}
	for f := range files {
		rel, err := filepath.Rel(rootDir, f)
		if err != nil {
			return err
		}
		// v4 zips the files: modes are not kept.
		if err := copyFile(f, filepath.Join(dest, rel), 0o644); err != nil {
			return err
		}
		meta.Files = append(meta.Files, filepath.ToSlash(rel))
	}
	sort.Strings(meta.Files)
	data, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(dest+".json", data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(h.stdout, "uploaded artifact %s: %s\n", name, strings.Join(meta.Files, ", "))
	return h.setOutput("artifact-id", name)
}

// downloadArtifact copies artifacts from the shared folder into the input
// path (default the workspace), with download-artifact v4's rules: one by
// name into the path; else every artifact of the run whose name matches the
// pattern (all without one), each into <path>/<name>/ unless merge-multiple
// puts them all in the path. A pattern matching nothing downloads nothing
// and succeeds.
func (h helperEnv) downloadArtifact() error {
	ws, err := h.workspace()
	if err != nil {
		return err
	}
	if h.input("run-id") != "" || h.input("github-token") != "" {
		return errors.New("the stand-in downloads artifacts of this run only")
	}
	name, pattern := h.input("name"), h.input("pattern")
	merge := h.input("merge-multiple") == "true"
	dest := ws
	if p := h.input("path"); p != "" {
		dest = p
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(ws, filepath.FromSlash(p))
		}
	}
	artifacts, err := h.shared("artifacts")
	if err != nil {
		return err
	}
	if name != "" {
		src := filepath.Join(artifacts, name)
		if st, err := os.Stat(src); err != nil || !st.IsDir() {
			return fmt.Errorf("unable to download artifact(s): artifact not found for name: %s", name)
		}
		if err := copyTree(src, dest, false); err != nil {
			return err
		}
		fmt.Fprintf(h.stdout, "downloaded artifact %s to %s\n", name, dest)
		return h.setOutput("download-path", dest)
	}
	entries, err := os.ReadDir(artifacts)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if pattern != "" {
			ok, err := path.Match(pattern, e.Name())
			if err != nil {
				return fmt.Errorf("pattern %q: %w", pattern, err)
			}
			if !ok {
				continue
			}
		}
		names = append(names, e.Name())
	}
	for _, n := range names {
		to := filepath.Join(dest, n)
		if merge {
			to = dest
		}
		if err := copyTree(filepath.Join(artifacts, n), to, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(h.stdout, "downloaded %d artifact(s) matching %q to %s: %s\n", len(names), pattern, dest, strings.Join(names, ", "))
	return h.setOutput("download-path", dest)
}

// cacheState pairs a cache step with its post step.
type cacheState struct {
	Key string `json:"key"`
	Hit bool   `json:"hit"`
}

func (h helperEnv) statePath(id string) (string, error) {
	tmp := h.getenv("RUNNER_TEMP")
	if tmp == "" {
		return "", errors.New("RUNNER_TEMP is not set")
	}
	return filepath.Join(tmp, "lockstep-act-cache-"+id+".json"), nil
}

func (h helperEnv) cacheDir(key string) (string, error) {
	sum := sha256.Sum256([]byte(key))
	return h.shared(filepath.Join("cache", hex.EncodeToString(sum[:])))
}

// cacheRestore restores the input paths saved under the input key (an exact
// match, else the newest entry whose key starts with a restore-keys line).
func (h helperEnv) cacheRestore(id string) error {
	ws, err := h.workspace()
	if err != nil {
		return err
	}
	key := h.input("key")
	if key == "" {
		return errors.New("input key is required")
	}
	paths := h.lines("path")
	if len(paths) == 0 {
		return errors.New("input path is required")
	}
	matched := ""
	if dir, err := h.cacheDir(key); err == nil && exists(dir) {
		matched = key
	} else {
		for _, prefix := range h.lines("restore-keys") {
			if k := h.newestWithPrefix(prefix); k != "" {
				matched = k
				break
			}
		}
	}
	hit := matched == key
	if matched != "" {
		dir, err := h.cacheDir(matched)
		if err != nil {
			return err
		}
		if err := copyTree(dir, ws, true); err != nil {
			return err
		}
		fmt.Fprintf(h.stdout, "cache restored from key: %s\n", matched)
	} else {
		if h.input("fail-on-cache-miss") == "true" {
			return fmt.Errorf("failed to restore cache entry: no entry for key %s", key)
		}
		fmt.Fprintf(h.stdout, "cache not found for input keys: %s\n", key)
	}
	state, err := h.statePath(id)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(cacheState{Key: key, Hit: hit})
	if err := os.WriteFile(state, data, 0o644); err != nil {
		return err
	}
	for _, o := range [][2]string{{"cache-hit", strconv.FormatBool(hit)}, {"cache-primary-key", key}, {"cache-matched-key", matched}} {
		if err := h.setOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	return nil
}

// cacheSave is the post step: it saves the input paths under the key the
// restore step computed, unless that was a hit or the key already exists.
func (h helperEnv) cacheSave(id string) error {
	state, err := h.statePath(id)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(state)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // the cache step did not run
	} else if err != nil {
		return err
	}
	var st cacheState
	if err := json.Unmarshal(data, &st); err != nil {
		return err
	}
	if st.Hit {
		fmt.Fprintf(h.stdout, "cache hit occurred on the primary key %s, not saving cache\n", st.Key)
		return nil
	}
	ws, err := h.workspace()
	if err != nil {
		return err
	}
	dir, err := h.cacheDir(st.Key)
	if err != nil {
		return err
	}
	if exists(dir) {
		fmt.Fprintf(h.stdout, "a cache entry for %s exists already, not saving\n", st.Key)
		return nil
	}
	tmp := dir + ".saving"
	saved := 0
	for _, p := range h.lines("path") {
		src := filepath.Join(ws, filepath.FromSlash(p))
		if !exists(src) {
			continue
		}
		rel, err := filepath.Rel(ws, src)
		if err != nil || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("cache path %s is outside the workspace", p)
		}
		if err := copyTree(src, filepath.Join(tmp, rel), true); err != nil {
			return err
		}
		saved++
	}
	if saved == 0 {
		fmt.Fprintln(h.stdout, "::warning::Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.")
		return nil
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	// Beside the entry, so that restore-keys can match on it.
	if err := os.WriteFile(dir+".key", []byte(st.Key), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(h.stdout, "cache saved with key: %s\n", st.Key)
	return nil
}

// newestWithPrefix returns the key of the newest cache entry starting with
// prefix, or "".
func (h helperEnv) newestWithPrefix(prefix string) string {
	root, err := h.shared("cache")
	if err != nil {
		return ""
	}
	entries, _ := os.ReadDir(root)
	best, bestTime := "", int64(0)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".key") {
			continue
		}
		k, err := os.ReadFile(filepath.Join(root, e.Name()))
		if err != nil || !strings.HasPrefix(string(k), prefix) {
			continue
		}
		info, err := e.Info()
		if err == nil && info.ModTime().UnixNano() > bestTime {
			best, bestTime = string(k), info.ModTime().UnixNano()
		}
	}
	return best
}

// commonAncestor is the lowest common ancestor directory of dirs.
func commonAncestor(dirs []string) string {
	if len(dirs) == 0 {
		return ""
	}
	common := strings.Split(filepath.Clean(dirs[0]), string(filepath.Separator))
	for _, d := range dirs[1:] {
		parts := strings.Split(filepath.Clean(d), string(filepath.Separator))
		n := 0
		for n < len(common) && n < len(parts) && common[n] == parts[n] {
			n++
		}
		common = common[:n]
	}
	if len(common) == 1 && common[0] == "" {
		return string(filepath.Separator)
	}
	return strings.Join(common, string(filepath.Separator))
}

// isHidden reports whether any element of the relative path starts with ".".
func isHidden(rel string) bool {
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// copyTree copies src (a file or a directory) to dst, keeping file modes when
// keepModes is set (the cache keeps them, artifacts do not).
func copyTree(src, dst string, keepModes bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		mode := fs.FileMode(0o644)
		if keepModes {
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode = info.Mode().Perm()
		}
		return copyFile(path, target, mode)
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

// setupGo stands in for actions/setup-go: the Go on PATH is the one these
// tests run with; it only has to be there.
func (h helperEnv) setupGo() error {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return fmt.Errorf("go is not on the PATH of the act steps: %w", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
	fmt.Fprintf(h.stdout, "using the host's Go %s for %s\n", v, h.input("go-version-file"))
	return h.setOutput("go-version", v)
}

// copyLockstepSource copies this repository's files (tracked, and new ones
// git does not ignore, as they are in the work tree) to the input path: the
// source the host mode's step builds.
func (h helperEnv) copyLockstepSource() error {
	src := h.getenv(EnvLockstepSource)
	ws, err := h.workspace()
	if err != nil {
		return err
	}
	dest := filepath.Join(ws, filepath.FromSlash(h.input("path")))
	out, err := exec.Command("git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("listing the lockstep source: %w", err)
	}
	n := 0
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(src, filepath.FromSlash(rel))
		st, err := os.Lstat(from)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
			continue // deleted in the work tree, or a link
		}
		if err != nil {
			return err
		}
		if err := copyFile(from, filepath.Join(dest, filepath.FromSlash(rel)), st.Mode().Perm()); err != nil {
			return err
		}
		n++
	}
	fmt.Fprintf(h.stdout, "copied %d files of the lockstep source %s into %s (host mode builds it)\n", n, src, dest)
	return nil
}
