package trace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
)

// shortLen is how many hex digits of a commit SHA or content hash a version
// keeps, as git's own short SHAs do.
const shortLen = 7

// AppVersion is the default app-version: the tag name when the run is for a
// tag (refType "tag"), else the 7-character commit SHA. It returns "" when
// there is neither.
func AppVersion(refType, refName, sha string) string {
	if refType == "tag" && refName != "" {
		return strings.TrimPrefix(refName, "refs/tags/")
	}
	return short(sha)
}

// DeploymentVersion is the value of DEPLOYMENT_VERSION and of the
// deployment-version output: app:<app>-infra:<infra>.
func DeploymentVersion(app, infra string) string {
	return "app:" + app + "-infra:" + infra
}

// HashPrefix marks an infra version that is a content hash of the root
// module's files rather than a commit SHA.
const HashPrefix = "h-"

// InfraVersion is the default infra-version for the root module workingDir
// (relative to repoRoot, or absolute): the 7-character SHA of the last commit
// that touched it. When git, the repository or that commit is unavailable
// (no git binary, no .git, or a shallow clone whose history stops before the
// change), it falls back to HashPrefix plus the first 7 hex digits of a
// SHA-256 over the module's *.tf and *.tf.json files and its
// .terraform.lock.hcl.
//
// The version covers the root module directory only: a change to a local
// module outside it does not change the infra version.
//
// A stack without Terraform files (a Pulumi project, a CloudFormation
// template) falls back to a hash of its other files instead; see
// ContentVersion. ignore names more files to leave out of that hash (the
// saved plan's name, plan-file).
func InfraVersion(ctx context.Context, repoRoot, workingDir string, ignore ...string) (string, error) {
	return infraVersion(ctx, runGit, repoRoot, workingDir, ignore...)
}

// gitFunc runs git with args in dir and returns its standard output.
type gitFunc func(ctx context.Context, dir string, args ...string) (string, error)

func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", gitArgs(dir, args...)...)
	cmd.Dir = dir
	cmd.Env = childenv.Environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("running git %s: %w", strings.Join(args, " "), err)
		}
		return "", fmt.Errorf("running git %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// gitArgs prefixes git's arguments: the workspace inside the container belongs
// to another user, and git refuses it unless it is marked safe; paths are
// literal, never globs.
func gitArgs(dir string, args ...string) []string {
	return append([]string{"-c", "safe.directory=" + dir, "--literal-pathspecs"}, args...)
}

func infraVersion(ctx context.Context, git gitFunc, repoRoot, workingDir string, ignore ...string) (string, error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", fmt.Errorf("resolving repository root %s: %w", repoRoot, err)
	}
	dir := workingDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	v, gitErr := gitVersion(ctx, git, root, dir)
	if gitErr == nil {
		return v, nil
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("deriving the infra version of %s: %w", workingDir, ctx.Err())
	}
	v, hashErr := ContentVersion(dir, ignore...)
	if hashErr != nil {
		return "", fmt.Errorf("deriving the infra version of %s: from git: %v; from its files: %w", workingDir, gitErr, hashErr)
	}
	return v, nil
}

// errNoHistory means git works but cannot name the commit that last touched
// the directory.
var errNoHistory = errors.New("no commit touching the directory in the available history")

func gitVersion(ctx context.Context, git gitFunc, root, dir string) (string, error) {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository %s", dir, root)
	}
	out, err := git(ctx, root, "log", "-1", "--format=%H %P", "--", filepath.ToSlash(rel))
	if err != nil {
		return "", err
	}
	fields := strings.Fields(out)
	if len(fields) == 0 {
		return "", errNoHistory
	}
	sha := fields[0]
	if len(fields) == 1 {
		// A commit without parents is either the repository's first commit or
		// the boundary of a shallow clone, which git shows as adding every
		// file: it names the clone's depth, not the change.
		boundary, err := isShallowBoundary(ctx, git, root, sha)
		if err != nil {
			return "", err
		}
		if boundary {
			return "", fmt.Errorf("the clone is shallow and its history stops at %s before the last change to the directory", short(sha))
		}
	}
	return short(sha), nil
}

func isShallowBoundary(ctx context.Context, git gitFunc, root, sha string) (bool, error) {
	out, err := git(ctx, root, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	if strings.TrimSpace(out) != "true" {
		return false, nil
	}
	p, err := git(ctx, root, "rev-parse", "--git-path", "shallow")
	if err != nil {
		return false, err
	}
	path := strings.TrimSpace(p)
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		// Shallow but unreadable: do not trust the commit.
		return true, nil
	}
	for _, line := range strings.Fields(string(data)) {
		if line == sha {
			return true, nil
		}
	}
	return false, nil
}

// ContentVersion is the infra version of a root module from its files alone:
// HashPrefix plus 7 hex digits of a SHA-256 over the sorted names and
// contents of its *.tf and *.tf.json files and .terraform.lock.hcl. It is
// what InfraVersion falls back to without git history.
//
// A directory without Terraform files is another engine's stack (a Pulumi
// project, a CloudFormation template and its parameters): its version
// hashes every regular file of the directory itself instead, except
// hidden ones, lockstep's own (saved plans named tfplan*, binding records,
// apply attempts, sealed plans) and the names in ignore.
func ContentVersion(dir string, ignore ...string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("reading the root module %s: %w", dir, err)
	}
	var names, others []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		switch {
		case strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json") || n == ".terraform.lock.hcl":
			names = append(names, n)
		case strings.HasPrefix(n, ".") || strings.HasPrefix(n, "tfplan") || strings.HasSuffix(n, ".lockstep.json") ||
			strings.HasSuffix(n, ".lockstep-attempts.json") || strings.HasSuffix(n, ".age") || slices.Contains(ignore, n):
		default:
			others = append(others, n)
		}
	}
	if len(names) == 0 {
		names = others
	}
	if len(names) == 0 {
		return "", fmt.Errorf("hashing the stack %s: it has no files to hash", dir)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return "", fmt.Errorf("hashing the root module %s: %w", dir, err)
		}
		// Name and length before each content, so that moving bytes between
		// files or renaming one changes the hash.
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(data))))
		h.Write([]byte{0})
		h.Write(data)
	}
	return HashPrefix + hex.EncodeToString(h.Sum(nil))[:shortLen], nil
}

func short(sha string) string {
	if len(sha) > shortLen {
		return sha[:shortLen]
	}
	return sha
}
