package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

const (
	digest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	image   = "ghcr.io/lockstep-ci/lockstep"
	version = "v1.2.3"
	token   = "ghs_releaseTestToken0123456789"
)

// tool builds cmd/release-action once per test binary run.
func tool(t *testing.T) string {
	t.Helper()
	toolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "release-action-")
		if err != nil {
			toolErr = err
			return
		}
		toolPath = filepath.Join(dir, "release-action")
		cmd := exec.Command("go", "build", "-o", toolPath, "./cmd/release-action")
		cmd.Dir = tftest.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			toolErr = err
			toolPath = string(out)
		}
	})
	require.NoError(t, toolErr, toolPath)
	return toolPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if toolPath != "" && toolErr == nil {
		os.RemoveAll(filepath.Dir(toolPath))
	}
	os.Exit(code)
}

// repos is GitHub (a bare "origin"), the maintainer's clone that tags a
// release, and the runner's checkout at the tag.
type repos struct {
	t          *testing.T
	origin     string
	maintainer string
	runner     string
	source     string // the tagged commit
	action     []byte // its action.yml
}

// newRepos commits the repository's real action.yml and a few other files,
// tags the commit (annotated when asked) and pushes both.
func newRepos(t *testing.T, annotated bool) *repos {
	t.Helper()
	dir := t.TempDir()
	r := &repos{t: t, origin: filepath.Join(dir, "origin.git"), maintainer: filepath.Join(dir, "maintainer"), runner: filepath.Join(dir, "runner")}
	var err error
	r.action, err = os.ReadFile(filepath.Join(tftest.RepoRoot(), "action.yml"))
	require.NoError(t, err)
	r.git("", "init", "-q", "--bare", r.origin)
	r.git("", "init", "-q", "-b", "main", r.maintainer)
	tftest.WriteFiles(t, r.maintainer, map[string]string{
		"action.yml": string(r.action),
		"Dockerfile": "FROM scratch\n",
		"README.md":  "# lockstep\n",
		// A checkout filter must not leak into the release commit: it is built
		// from the blob, not from the work tree.
		".gitattributes": "*.yml text eol=crlf\n",
	})
	require.NoError(t, os.WriteFile(filepath.Join(r.maintainer, "scripts.sh"), []byte("#!/bin/sh\n"), 0o755))
	r.git(r.maintainer, "add", "-A")
	r.git(r.maintainer, "commit", "-q", "-m", "the release's code")
	r.source = r.git(r.maintainer, "rev-parse", "HEAD")
	if annotated {
		r.git(r.maintainer, "tag", "-a", version, "-m", "lockstep "+version)
	} else {
		r.git(r.maintainer, "tag", version)
	}
	r.git(r.maintainer, "push", "-q", r.origin, "main", version)

	// What actions/checkout leaves for a tag push: the commit, detached.
	r.git("", "clone", "-q", "--no-checkout", r.origin, r.runner)
	r.git(r.runner, "checkout", "-q", "--detach", r.source)
	return r
}

// git runs git in dir (or the test's folder for ""), without the user's or
// the system's configuration, and returns its trimmed output.
func (r *repos) git(dir string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(), "GIT_AUTHOR_NAME=maintainer", "GIT_AUTHOR_EMAIL=m@lockstep.invalid",
		"GIT_COMMITTER_NAME=maintainer", "GIT_COMMITTER_EMAIL=m@lockstep.invalid")
	out, err := cmd.CombinedOutput()
	require.NoError(r.t, err, "git %v:\n%s", args, out)
	return strings.TrimSpace(string(out))
}

// gitEnv is this process's environment without git's, GitHub's or the
// script's own variables.
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_") || strings.HasPrefix(k, "GITHUB_") || k == "HOME" ||
			k == "VERSION" || k == "SOURCE_SHA" || k == "REFERENCE" || k == "RELEASE_ACTION" || k == "REMOTE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "HOME=/nonexistent")
}

// tagged is the commit the origin's tag peels to.
func (r *repos) tagged() string {
	r.t.Helper()
	return r.git(r.origin, "rev-parse", version+"^{commit}")
}

type run struct {
	out     string
	err     error
	outputs string // GITHUB_OUTPUT
	summary string // GITHUB_STEP_SUMMARY
}

// release runs scripts/release-commit.sh in the runner's checkout, as the
// workflow's step does; set overrides its environment.
func (r *repos) release(set map[string]string) run {
	r.t.Helper()
	dir := r.t.TempDir()
	vars := map[string]string{
		"VERSION":             version,
		"SOURCE_SHA":          r.source,
		"REFERENCE":           image + "@" + digest,
		"RELEASE_ACTION":      tool(r.t),
		"GITHUB_SERVER_URL":   "file://" + filepath.Dir(r.origin),
		"GITHUB_REPOSITORY":   "lockstep-ci/origin",
		"GITHUB_TOKEN":        token,
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	// file://<dir>/lockstep-ci/origin.git: the origin, under its GitHub name.
	require.NoError(r.t, os.MkdirAll(filepath.Join(filepath.Dir(r.origin), "lockstep-ci"), 0o755))
	link := filepath.Join(filepath.Dir(r.origin), "lockstep-ci", "origin.git")
	if _, err := os.Lstat(link); err != nil {
		require.NoError(r.t, os.Symlink(r.origin, link))
	}
	for k, v := range set {
		vars[k] = v
	}
	cmd := exec.Command("bash", filepath.Join(tftest.RepoRoot(), "scripts", "release-commit.sh"))
	cmd.Dir = r.runner
	cmd.Env = gitEnv()
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	outputs, _ := os.ReadFile(vars["GITHUB_OUTPUT"])
	summary, _ := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	require.NotContains(r.t, string(out), token, "the token reached the output")
	return run{out: string(out), err: err, outputs: string(outputs), summary: string(summary)}
}

// pinnedAction is action.yml as the release commit must hold it.
func (r *repos) pinnedAction() string {
	want := strings.Replace(string(r.action), "\n  image: Dockerfile\n", "\n  image: docker://"+image+"@"+digest+"\n", 1)
	require.NotEqual(r.t, string(r.action), want, "action.yml says image: Dockerfile")
	return want
}

// requireReleased checks the tag names a release commit of the source: its
// parent is the source, and it changes action.yml's image line and nothing
// else, byte for byte.
func (r *repos) requireReleased(t *testing.T, res run) string {
	t.Helper()
	require.NoError(t, res.err, res.out)
	commit := r.tagged()
	require.NotEqual(t, r.source, commit, "the tag moved")
	require.Equal(t, r.source, r.git(r.origin, "rev-parse", commit+"^@"), "one parent: the tagged commit")
	require.Equal(t, "action.yml", r.git(r.origin, "diff-tree", "-r", "--name-only", r.source, commit), "only action.yml changes")
	require.Equal(t, r.pinnedAction(), r.git(r.origin, "cat-file", "blob", commit+":action.yml")+"\n", "only the image line changes")
	require.Equal(t, "100644", strings.Fields(r.git(r.origin, "ls-tree", commit, "action.yml"))[0])
	require.Equal(t, "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
		r.git(r.origin, "log", "-1", "--format=%an <%ae>", commit))
	require.Contains(t, r.git(r.origin, "log", "-1", "--format=%B", commit), "Release "+version+": run the published image")
	require.Equal(t, "commit="+commit+"\n", res.outputs)
	require.Contains(t, res.summary, "`"+version+"` names `"+commit+"`")
	require.Contains(t, res.out, "::add-mask::", "the token's header form is masked")
	return commit
}

func TestReleaseMovesTheTagToTheReleaseCommit(t *testing.T) {
	for _, annotated := range []bool{false, true} {
		name := map[bool]string{false: "lightweight tag", true: "annotated tag"}[annotated]
		t.Run(name, func(t *testing.T) {
			r := newRepos(t, annotated)
			// Whatever else is in the work tree never reaches the commit.
			tftest.WriteFiles(t, r.runner, map[string]string{"action.yml": "runs: {using: node20, main: evil.js}\n", "untracked.txt": "x\n"})

			res := r.release(nil)
			commit := r.requireReleased(t, res)
			require.Equal(t, commit, r.git(r.origin, "rev-parse", "refs/tags/"+version), "the tag names the commit itself now")
			require.Equal(t, r.source, r.git(r.origin, "rev-parse", "main"), "main is untouched: it keeps image: Dockerfile")

			// A re-run refuses: the tag no longer names the commit the image was built from.
			again := r.release(nil)
			require.Error(t, again.err)
			require.Contains(t, again.out, "this release is done already. Nothing is pushed.")
			require.Equal(t, commit, r.tagged())
		})
	}
}

func TestReleaseRefuses(t *testing.T) {
	tests := []struct {
		name    string
		set     map[string]string
		prepare func(r *repos) // before the script runs
		wantOut string
	}{
		{name: "a reference without a digest", set: map[string]string{"REFERENCE": image + ":" + version}, wantOut: "has no digest"},
		{name: "a short digest", set: map[string]string{"REFERENCE": image + "@sha256:0123"}, wantOut: `is not "sha256:" followed by 64 lowercase hex digits`},
		{name: "an empty reference", set: map[string]string{"REFERENCE": ""}, wantOut: "REFERENCE (the pushed image, <name>@sha256:<digest>) is empty"},
		{name: "a tag that is not a version", set: map[string]string{"VERSION": "main"}, wantOut: "VERSION is not a version tag like v1.2.3"},
		{name: "a version that would name another ref", set: map[string]string{"VERSION": "v1.2.3:refs/heads/main"}, wantOut: "VERSION is not a version tag"},
		{name: "no rewriter", set: map[string]string{"RELEASE_ACTION": "/nonexistent"}, wantOut: "is not an executable"},
		{
			name: "the tag was moved meanwhile",
			prepare: func(r *repos) {
				r.git(r.maintainer, "commit", "-q", "--allow-empty", "-m", "later")
				r.git(r.maintainer, "tag", "-f", version)
				r.git(r.maintainer, "push", "-q", "--force", r.origin, version)
			},
			wantOut: "it was moved, or this release is done already",
		},
		{
			name:    "the tag was deleted",
			prepare: func(r *repos) { r.git(r.maintainer, "push", "-q", r.origin, ":refs/tags/"+version) },
			wantOut: version + " no longer exists on the remote",
		},
		{
			name: "the checkout is another commit",
			prepare: func(r *repos) {
				r.git(r.runner, "-c", "user.name=x", "-c", "user.email=x@y", "commit", "-q", "--allow-empty", "-m", "not the tag")
			},
			wantOut: "the commit the image was built from",
		},
		{
			name: "action.yml is already pinned to that image",
			prepare: func(r *repos) {
				tftest.WriteFiles(r.t, r.maintainer, map[string]string{"action.yml": r.pinnedAction()})
				r.git(r.maintainer, "commit", "-q", "-am", "pinned by hand")
				r.git(r.maintainer, "tag", "-f", version)
				r.git(r.maintainer, "push", "-q", "--force", r.origin, version)
				r.source = r.git(r.maintainer, "rev-parse", "HEAD")
				r.git(r.runner, "fetch", "-q", r.origin, "+refs/tags/*:refs/tags/*")
				r.git(r.runner, "checkout", "-q", "--detach", r.source)
			},
			wantOut: "already runs " + image + "@" + digest + ": nothing to release",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepos(t, false)
			if tt.prepare != nil {
				tt.prepare(r)
			}
			before := r.git(r.origin, "for-each-ref", "--format=%(refname) %(objectname)")
			res := r.release(tt.set)
			require.Error(t, res.err, res.out)
			require.Contains(t, res.out, "::error title=release::")
			require.Contains(t, res.out, tt.wantOut)
			require.Equal(t, before, r.git(r.origin, "for-each-ref", "--format=%(refname) %(objectname)"), "nothing was pushed")
			require.Empty(t, res.outputs)
		})
	}
}

// TestWorkflowWiring: release.yml runs the script from a job that can push
// to the repository and nothing else, after the job that pushes the image,
// with the values it checks passed through env.
func TestWorkflowWiring(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), ".github", "workflows", "release.yml"))
	require.NoError(t, err)
	var wf struct {
		On          map[string]map[string][]string `yaml:"on"`
		Permissions map[string]string              `yaml:"permissions"`
		Jobs        map[string]struct {
			Needs       any               `yaml:"needs"`
			Permissions map[string]string `yaml:"permissions"`
			Steps       []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
				With map[string]any    `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &wf))
	require.Equal(t, []string{"v[0-9]+.[0-9]+.[0-9]+*"}, wf.On["push"]["tags"], "version tags only, not a major tag such as v1")
	require.Empty(t, wf.Permissions, "nothing at the top level")
	require.Equal(t, map[string]string{"contents": "read", "packages": "write"}, wf.Jobs["image"].Permissions)

	job := wf.Jobs["release-commit"]
	require.Equal(t, "image", job.Needs)
	require.Equal(t, map[string]string{"contents": "write"}, job.Permissions)
	var script map[string]string
	for _, s := range job.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			require.Equal(t, false, s.With["persist-credentials"], "no token left in .git/config")
		}
		if s.Run == "scripts/release-commit.sh" {
			script = s.Env
		}
	}
	require.NotNil(t, script, "a step runs scripts/release-commit.sh")
	require.Equal(t, map[string]string{
		"RELEASE_ACTION": "${{ runner.temp }}/release-action",
		"VERSION":        "${{ needs.image.outputs.version }}",
		"SOURCE_SHA":     "${{ needs.image.outputs.revision }}",
		"REFERENCE":      "${{ needs.image.outputs.reference }}",
		"GITHUB_TOKEN":   "${{ github.token }}",
	}, script)

	// The binaries: the image's revision, after the release commit, built by
	// scripts/release-binaries.sh from exactly that commit.
	bins := wf.Jobs["binaries"]
	require.Equal(t, []any{"image", "release-commit"}, bins.Needs)
	require.Equal(t, map[string]string{"contents": "write"}, bins.Permissions)
	var build map[string]string
	for _, s := range bins.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			require.Equal(t, "${{ needs.image.outputs.revision }}", s.With["ref"])
			require.Equal(t, false, s.With["persist-credentials"])
		}
		if s.Run == "scripts/release-binaries.sh" {
			build = s.Env
		}
	}
	require.Equal(t, map[string]string{
		"VERSION":    "${{ needs.image.outputs.version }}",
		"SOURCE_SHA": "${{ needs.image.outputs.revision }}",
		"OUT":        "${{ runner.temp }}/dist",
	}, build)
}

var (
	toolOnce sync.Once
	toolPath string
	toolErr  error
)
