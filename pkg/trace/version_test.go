package trace

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppVersion(t *testing.T) {
	tests := []struct {
		name, refType, refName, sha string
		want                        string
	}{
		{"tag", "tag", "v1.4.2", "0123456789abcdef", "v1.4.2"},
		{"full tag ref", "tag", "refs/tags/v2", "0123456789abcdef", "v2"},
		{"branch", "branch", "main", "0123456789abcdef0123456789abcdef01234567", "0123456"},
		{"pull request", "branch", "7/merge", "abcdef0123456", "abcdef0"},
		{"tag without name", "tag", "", "abcdef0123456", "abcdef0"},
		{"nothing", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, AppVersion(tt.refType, tt.refName, tt.sha))
		})
	}
}

func TestDeploymentVersion(t *testing.T) {
	assert.Equal(t, "app:v1.4.2-infra:3f2a9c1", DeploymentVersion("v1.4.2", "3f2a9c1"))
}

// repo is a throwaway git repository for version tests.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	require.NoError(r.t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

func (r *repo) commit(files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, name)
		require.NoError(r.t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(r.t, os.WriteFile(p, []byte(content), 0o644))
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "change")
	return r.git("rev-parse", "HEAD")
}

func TestInfraVersionFromGit(t *testing.T) {
	r := newRepo(t)
	first := r.commit(map[string]string{"infra/main.tf": "# v1\n", "app/main.go": "package main\n"})
	ctx := context.Background()

	v, err := InfraVersion(ctx, r.dir, "infra")
	require.NoError(t, err)
	assert.Equal(t, first[:7], v)

	// An app-only change keeps the infra version.
	r.commit(map[string]string{"app/main.go": "package main // v2\n"})
	v, err = InfraVersion(ctx, r.dir, "infra")
	require.NoError(t, err)
	assert.Equal(t, first[:7], v)

	// An infra change moves it; an absolute working directory works too.
	third := r.commit(map[string]string{"infra/main.tf": "# v2\n"})
	v, err = InfraVersion(ctx, r.dir, filepath.Join(r.dir, "infra"))
	require.NoError(t, err)
	assert.Equal(t, third[:7], v)

	// The repository root as the module.
	v, err = InfraVersion(ctx, r.dir, ".")
	require.NoError(t, err)
	assert.Equal(t, third[:7], v)
}

func TestInfraVersionShallowClone(t *testing.T) {
	r := newRepo(t)
	r.commit(map[string]string{"infra/main.tf": "# v1\n", "app/main.go": "package main\n"})
	r.commit(map[string]string{"app/main.go": "package main // v2\n"})
	infraCommit := r.commit(map[string]string{"infra/main.tf": "# v2\n"})
	r.commit(map[string]string{"app/main.go": "package main // v3\n"})
	ctx := context.Background()

	// Depth 1: the only commit is the clone's boundary, which git shows as
	// adding every file; it must not become the infra version.
	shallow := &repo{t: t, dir: filepath.Join(t.TempDir(), "clone")}
	r.git("clone", "-q", "--depth", "1", "file://"+r.dir, shallow.dir)
	v, err := InfraVersion(ctx, shallow.dir, "infra")
	require.NoError(t, err)
	want, err := ContentVersion(filepath.Join(shallow.dir, "infra"))
	require.NoError(t, err)
	assert.Equal(t, want, v)
	assert.True(t, strings.HasPrefix(v, HashPrefix), v)

	// Depth 3 reaches the infra change: the real SHA.
	deeper := filepath.Join(t.TempDir(), "clone")
	r.git("clone", "-q", "--depth", "3", "file://"+r.dir, deeper)
	v, err = InfraVersion(ctx, deeper, "infra")
	require.NoError(t, err)
	assert.Equal(t, infraCommit[:7], v)
}

func TestInfraVersionFallsBackToContent(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"infra/main.tf": "resource \"x\" \"y\" {}\n"})
	want, err := ContentVersion(filepath.Join(dir, "infra"))
	require.NoError(t, err)

	tests := []struct {
		name string
		git  gitFunc
	}{
		{"git missing", func(context.Context, string, ...string) (string, error) {
			return "", errors.New(`exec: "git": executable file not found in $PATH`)
		}},
		{"not a repository", func(context.Context, string, ...string) (string, error) {
			return "", errors.New("fatal: not a git repository")
		}},
		{"directory never committed", func(context.Context, string, ...string) (string, error) { return "\n", nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := infraVersion(context.Background(), tt.git, dir, "infra")
			require.NoError(t, err)
			assert.Equal(t, want, v)
		})
	}

	t.Run("real git outside a repository", func(t *testing.T) {
		if _, err := exec.LookPath("git"); err != nil {
			t.Skip("git is not installed")
		}
		t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
		v, err := InfraVersion(context.Background(), dir, "infra")
		require.NoError(t, err)
		assert.Equal(t, want, v)
	})
}

func TestInfraVersionGitArguments(t *testing.T) {
	var got [][]string
	git := func(_ context.Context, dir string, args ...string) (string, error) {
		got = append(got, append([]string{dir}, args...))
		return "0123456789abcdef0123456789abcdef01234567 fedcba9876543210fedcba9876543210fedcba98\n", nil
	}
	root := t.TempDir()
	v, err := infraVersion(context.Background(), git, root, "stacks/app")
	require.NoError(t, err)
	assert.Equal(t, "0123456", v)
	assert.Equal(t, [][]string{{root, "log", "-1", "--format=%H %P", "--", "stacks/app"}}, got)
	assert.Equal(t, []string{"-c", "safe.directory=" + root, "--literal-pathspecs", "log"}, gitArgs(root, "log"))
}

func TestInfraVersionFailsWithNeither(t *testing.T) {
	git := func(context.Context, string, ...string) (string, error) { return "", errors.New("no git") }
	_, err := infraVersion(context.Background(), git, t.TempDir(), "missing")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deriving the infra version of missing: from git: no git; from its files: reading the root module")
}

func TestContentVersion(t *testing.T) {
	base := map[string]string{
		"main.tf":             "resource \"a\" \"b\" {}\n",
		"outputs.tf":          "output \"x\" { value = 1 }\n",
		".terraform.lock.hcl": "# lock v1\n",
	}
	version := func(t *testing.T, files map[string]string) string {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, files)
		v, err := ContentVersion(dir)
		require.NoError(t, err)
		return v
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	v := version(t, base)
	// Written out: a version recorded in a GitHub deployment must still
	// match the same files after lockstep is upgraded.
	assert.Equal(t, "h-16e09f4", v, "the content version of base")
	assert.Equal(t, v, version(t, base), "stable")
	assert.Equal(t, v, version(t, with("README.md", "docs")), "other files do not count")
	assert.Equal(t, v, version(t, with("terraform.tfstate", "{}")), "state does not count")
	assert.NotEqual(t, v, version(t, with("main.tf", "resource \"a\" \"c\" {}\n")), ".tf content counts")
	assert.NotEqual(t, v, version(t, with(".terraform.lock.hcl", "# lock v2\n")), "lock file counts")
	assert.NotEqual(t, v, version(t, with("extra.tf.json", "{}")), ".tf.json counts")
	assert.NotEqual(t, v, version(t, map[string]string{
		"main.tf": "resource \"a\" \"b\" {}\noutput \"x\" { value = 1 }\n", ".terraform.lock.hcl": "# lock v1\n",
	}), "moving content between files counts")

	_, err := ContentVersion(t.TempDir())
	assert.ErrorContains(t, err, "has no files to hash")
}

// Another engine's stack (no Terraform files) hashes its own files, never
// lockstep's saved plans, records or hidden files.
func TestContentVersionOfAStackWithoutTerraformFiles(t *testing.T) {
	version := func(t *testing.T, files map[string]string, ignore ...string) string {
		t.Helper()
		dir := t.TempDir()
		writeFiles(t, dir, files)
		v, err := ContentVersion(dir, ignore...)
		require.NoError(t, err)
		return v
	}
	cfn := map[string]string{"stack.yaml": "Resources: {}\n", "params.json": "{}\n"}
	v := version(t, cfn)
	assert.Regexp(t, `^h-[0-9a-f]{7}$`, v)
	with := func(k, val string) map[string]string {
		m := map[string]string{}
		for a, b := range cfn {
			m[a] = b
		}
		m[k] = val
		return m
	}
	for _, own := range []string{"tfplan", "tfplan.lockstep.json", "tfplan.age", "tfplan.lockstep-attempts.json", ".cache"} {
		assert.Equal(t, v, version(t, with(own, "x")), "%s does not count", own)
	}
	assert.Equal(t, v, version(t, with("plan.json", "{}"), "plan.json"), "the plan-file does not count")
	assert.NotEqual(t, v, version(t, with("params.json", `{"A": "b"}`)), "the parameters count")
	assert.NotEqual(t, v, version(t, with("Pulumi.dev.yaml", "config: {}")), "every other file counts")
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}
