package install

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxVersionFile is the largest version file read; a version is a few bytes.
const maxVersionFile = 1024

// findVersionFile looks for the engine's version files in dir, then in each
// parent up to and including root; within one directory the engine's own
// file wins (.opentofu-version before .terraform-version for OpenTofu). It
// returns the file's path relative to root (slash-separated) and what it
// asks for; found is false when there is none.
func findVersionFile(e Engine, dir, root string) (rel string, req request, found bool, err error) {
	for d := dir; ; d = filepath.Dir(d) {
		for _, name := range e.versionFiles() {
			p := filepath.Join(d, name)
			rel := relSlash(root, p)
			st, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return "", request{}, false, fmt.Errorf("reading %s: %w", rel, err)
			}
			if st.IsDir() {
				return "", request{}, false, fmt.Errorf("%s is a directory, not a version file", rel)
			}
			req, err := readVersionFile(p, rel, root)
			if err != nil {
				return "", request{}, false, err
			}
			return rel, req, true, nil
		}
		if d == root || filepath.Dir(d) == d {
			return "", request{}, false, nil
		}
	}
}

// readVersionFile reads one version file: one version or constraint, on
// the first line that is neither blank nor a # comment. A symlink must stay
// inside the repository: a file outside it (a credential) must never be
// read into an error message.
func readVersionFile(p, rel, root string) (request, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return request{}, fmt.Errorf("reading %s: %w", rel, err)
	}
	if !inside(root, real) {
		return request{}, fmt.Errorf("%s links outside the repository: write the version in the file itself", rel)
	}
	f, err := os.Open(real)
	if err != nil {
		return request{}, fmt.Errorf("reading %s: %w", rel, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return request{}, fmt.Errorf("reading %s: %w", rel, err)
	}
	if !st.Mode().IsRegular() {
		return request{}, fmt.Errorf("%s is not a regular file", rel)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxVersionFile+1))
	if err != nil {
		return request{}, fmt.Errorf("reading %s: %w", rel, err)
	}
	if len(b) > maxVersionFile {
		return request{}, fmt.Errorf("%s is larger than %d bytes: a version file holds one version", rel, maxVersionFile)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark some editors write
	var (
		req   request
		first int
	)
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if first != 0 {
			return request{}, fmt.Errorf("%s:%d: a second version %s after the one on line %d: the file must name one version", rel, i+1, quote(line), first)
		}
		r, err := parseRequest(line)
		if err != nil {
			return request{}, fmt.Errorf("%s:%d: %w", rel, i+1, err)
		}
		req, first = r, i+1
	}
	if first == 0 {
		return request{}, fmt.Errorf("%s is empty: it must name a version (%s)", rel, requestHint)
	}
	return req, nil
}

// inside reports whether p is root or below it. Both are resolved through
// symlinks first when they exist.
func inside(root, p string) bool {
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// relSlash is p relative to root, slash-separated, for messages; p itself
// when it is not below root.
func relSlash(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}
