package install

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/hashicorp/go-version"
)

// Source says where the version to run came from.
type Source string

// The places a version comes from, in the order Resolve looks.
const (
	// SourceInput is the terraform-version input.
	SourceInput Source = "input"
	// SourceVersionFile is a .terraform-version or .opentofu-version file.
	SourceVersionFile Source = "version-file"
	// SourceRequiredVersion is the root module's required_version settings.
	SourceRequiredVersion Source = "required_version"
	// SourcePath is the engine binary found on PATH, when nothing asked for
	// a version.
	SourcePath Source = "path"
)

// Resolution is the engine version a stack runs, and why.
type Resolution struct {
	// Engine is the engine resolved.
	Engine Engine
	// Version is the exact version to run.
	Version *version.Version
	// Requested is the version or constraint asked for, as written (several
	// required_version settings joined with ", "); empty for SourcePath.
	Requested string
	// Source is where Requested came from.
	Source Source
	// Origin names what Source read, relative to the repository root and
	// slash-separated: the version file (".terraform-version",
	// "stacks/.opentofu-version"), the configuration files holding
	// required_version ("main.tf, versions.tf"), or "terraform-version" for
	// the input. Empty for SourcePath.
	Origin string
	// Path is the binary already present that runs Version: set when the
	// binary on PATH satisfies the request (always for SourcePath). Empty
	// means Ensure must install Version.
	Path string
}

// String is the line to log: `terraform 1.9.8 (from .terraform-version)`.
func (r Resolution) String() string {
	if r.Version == nil {
		return string(r.Engine) + " (no version resolved)"
	}
	var from string
	switch r.Source {
	case SourcePath:
		return fmt.Sprintf("%s %s (the one on PATH: %s)", r.Engine, r.Version, r.Path)
	case SourceInput:
		from = fmt.Sprintf("from the terraform-version input %q", r.Requested)
	case SourceVersionFile:
		from = "from " + r.Origin
		if r.Requested != r.Version.String() {
			from = fmt.Sprintf("from %q in %s", r.Requested, r.Origin)
		}
	case SourceRequiredVersion:
		from = fmt.Sprintf("from required_version %q in %s", r.Requested, r.Origin)
	}
	if r.Path != "" {
		from += "; the one on PATH: " + r.Path
	}
	return fmt.Sprintf("%s %s (%s)", r.Engine, r.Version, from)
}

// Index lists an engine's released versions. Releases is the vendors' real
// index; tests pass a fixed list.
type Index interface {
	Versions(ctx context.Context, e Engine) ([]*version.Version, error)
}

// ResolveOptions is what Resolve needs. Engine, Dir and RepoRoot are
// required; the zero value of the rest is production's.
type ResolveOptions struct {
	// Engine is terraform or opentofu.
	Engine Engine
	// Requested is the terraform-version input: empty, an exact version such
	// as 1.9.8, or a constraint such as "~> 1.9".
	Requested string
	// Dir is the stack's directory (the root module), absolute or relative
	// to RepoRoot.
	Dir string
	// RepoRoot is the repository root; Dir must be inside it. Version files
	// are looked for from Dir up to RepoRoot, never above.
	RepoRoot string
	// Index lists releases when a constraint must pick one; nil means
	// Releases{}: the vendor's index.
	Index Index
	// LookPath finds the engine's binary on PATH; nil means exec.LookPath.
	LookPath func(file string) (string, error)
}

// Resolve decides which version of the engine runs the stack in Dir. It
// looks, in order, at the terraform-version input; a version file in Dir or
// a parent up to RepoRoot (.terraform-version; for OpenTofu .opentofu-version
// first, then .terraform-version); the root module's required_version
// settings (all of them apply). A constraint picks the newest release in the
// index that satisfies it. When nothing asks for a version, the binary on
// PATH runs (SourcePath). When the binary on PATH satisfies what was asked,
// it runs instead of a download (Path is set). An invalid value is an error
// naming the input or the file and line.
func Resolve(ctx context.Context, opts ResolveOptions) (Resolution, error) {
	if err := opts.Engine.validate(); err != nil {
		return Resolution{}, fmt.Errorf("resolving the engine version: %w", err)
	}
	root, dir, err := dirs(opts.RepoRoot, opts.Dir)
	if err != nil {
		return Resolution{}, fmt.Errorf("resolving the %s version: %w", opts.Engine, err)
	}
	res := Resolution{Engine: opts.Engine}
	var req request
	var found bool
	switch {
	case opts.Requested != "":
		req, err = parseRequest(opts.Requested)
		if err != nil {
			return Resolution{}, fmt.Errorf("terraform-version input: %w", err)
		}
		res.Source, res.Origin, found = SourceInput, "terraform-version", true
	default:
		var origin string
		origin, req, found, err = findVersionFile(opts.Engine, dir, root)
		if err != nil {
			return Resolution{}, err
		}
		res.Source, res.Origin = SourceVersionFile, origin
		if !found {
			req, origin, found, err = requiredVersion(opts.Engine, dir, root)
			if err != nil {
				return Resolution{}, err
			}
			res.Source, res.Origin = SourceRequiredVersion, origin
		}
	}

	lookPath := opts.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	onPath, _ := lookPath(opts.Engine.Binary())
	if onPath != "" {
		if abs, err := filepath.Abs(onPath); err == nil {
			onPath = abs
		}
	}

	if !found {
		if onPath == "" {
			return Resolution{}, fmt.Errorf("no %s version asked for (no terraform-version input, no %s in %s or a parent, no required_version) and no %s on PATH",
				opts.Engine, opts.Engine.versionFiles()[0], relSlash(root, dir), opts.Engine.Binary())
		}
		v, err := BinaryVersion(ctx, onPath)
		if err != nil {
			return Resolution{}, fmt.Errorf("finding the version of %s on PATH: %w", opts.Engine, err)
		}
		return Resolution{Engine: opts.Engine, Version: v, Source: SourcePath, Path: onPath}, nil
	}
	res.Requested = req.raw

	if onPath != "" {
		// A binary that does not run or says nothing usable is no reason to
		// fail: the request is installed instead.
		if v, err := BinaryVersion(ctx, onPath); err == nil && req.satisfiedBy(v) {
			res.Version, res.Path = v, onPath
			return res, nil
		}
	}
	if req.exact != nil {
		res.Version = req.exact
		return res, nil
	}

	index := opts.Index
	if index == nil {
		index = Releases{}
	}
	versions, err := index.Versions(ctx, opts.Engine)
	if err != nil {
		return Resolution{}, fmt.Errorf("choosing the %s release for %s: %w", opts.Engine, describe(res), err)
	}
	var newest, newestAny *version.Version
	for _, v := range versions {
		if v == nil {
			continue
		}
		if v.Prerelease() == "" && (newestAny == nil || v.GreaterThan(newestAny)) {
			newestAny = v
		}
		if req.satisfiedBy(v) && (newest == nil || v.GreaterThan(newest)) {
			newest = v
		}
	}
	if newest == nil {
		latest := "the index lists no release"
		if newestAny != nil {
			latest = "the newest release is " + newestAny.String()
		}
		return Resolution{}, fmt.Errorf("no %s release satisfies %s (%s)", opts.Engine, describe(res), latest)
	}
	res.Version = newest
	return res, nil
}

// describe names the request and where it was written, for errors.
func describe(r Resolution) string {
	switch r.Source {
	case SourceInput:
		return fmt.Sprintf("the terraform-version input %q", r.Requested)
	case SourceRequiredVersion:
		return fmt.Sprintf("required_version %q in %s", r.Requested, r.Origin)
	default:
		return fmt.Sprintf("%q in %s", r.Requested, r.Origin)
	}
}

// dirs makes root and dir absolute and clean, and checks that dir is a
// directory inside root.
func dirs(root, dir string) (string, string, error) {
	if root == "" || dir == "" {
		return "", "", errors.New("the stack directory and the repository root are both required")
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return "", "", err
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	dir = filepath.Clean(dir)
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return "", "", fmt.Errorf("the stack directory %s is outside the repository root %s", dir, root)
	}
	return root, dir, nil
}
