package act

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// stepEnv is one stand-in step's environment: the runner's variables for a
// fresh job plus the step's inputs.
type stepEnv struct {
	t    *testing.T
	vars map[string]string
}

func newStepEnv(t *testing.T, shared string) *stepEnv {
	t.Helper()
	job := t.TempDir()
	ws := filepath.Join(job, "workspace")
	require.NoError(t, os.MkdirAll(ws, 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(job, "tmp"), 0o755))
	return &stepEnv{t: t, vars: map[string]string{
		"GITHUB_WORKSPACE": ws,
		"RUNNER_TEMP":      filepath.Join(job, "tmp"),
		"GITHUB_OUTPUT":    filepath.Join(job, "output"),
		EnvShared:          shared,
	}}
}

func (e *stepEnv) ws(rel string) string { return filepath.Join(e.vars["GITHUB_WORKSPACE"], rel) }

func (e *stepEnv) write(rel, content string, mode os.FileMode) {
	e.t.Helper()
	require.NoError(e.t, os.MkdirAll(filepath.Dir(e.ws(rel)), 0o755))
	require.NoError(e.t, os.WriteFile(e.ws(rel), []byte(content), mode))
}

// run runs a stand-in with inputs and returns its exit code and stdout.
func (e *stepEnv) run(verb string, inputs map[string]string, args ...string) (int, string) {
	e.t.Helper()
	env := map[string]string{}
	for k, v := range e.vars {
		env[k] = v
	}
	for k, v := range inputs {
		env[inputEnv(k)] = v
	}
	_ = os.Remove(e.vars["GITHUB_OUTPUT"])
	var out, errOut bytes.Buffer
	code := RunHelper(verb, args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String()
}

func (e *stepEnv) outputs() string {
	data, _ := os.ReadFile(e.vars["GITHUB_OUTPUT"])
	return string(data)
}

func TestArtifactRoundTrip(t *testing.T) {
	shared := t.TempDir()
	up := newStepEnv(t, shared)
	up.write("infra/tfplan", "plan", 0o600)
	up.write("infra/tfplan.lockstep.json", "{}", 0o600)
	up.write("infra/other", "not listed", 0o644)

	code, out := up.run(VerbUploadArtifact, map[string]string{
		"name":              "plan",
		"path":              "infra/tfplan\ninfra/tfplan.lockstep.json\n",
		"if-no-files-found": "error",
		"retention-days":    "1",
	})
	require.Zero(t, code, out)

	meta, err := os.ReadFile(filepath.Join(shared, "artifacts", "plan.json"))
	require.NoError(t, err)
	var m ArtifactMeta
	require.NoError(t, json.Unmarshal(meta, &m))
	require.Equal(t, ArtifactMeta{Name: "plan", RetentionDays: 1, Files: []string{"tfplan", "tfplan.lockstep.json"}}, m,
		"the root is the paths' common directory, as in upload-artifact v4")

	// Another job downloads it into the working directory; modes are not kept.
	down := newStepEnv(t, shared)
	code, out = down.run(VerbDownloadArtifact, map[string]string{"name": "plan", "path": "infra"})
	require.Zero(t, code, out)
	data, err := os.ReadFile(down.ws("infra/tfplan"))
	require.NoError(t, err)
	require.Equal(t, "plan", string(data))
	st, err := os.Stat(down.ws("infra/tfplan"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	require.NoFileExists(t, down.ws("infra/other"))
	require.Contains(t, down.outputs(), "download-path="+down.ws("infra"))

	// Artifacts are immutable within a run.
	code, out = up.run(VerbUploadArtifact, map[string]string{"name": "plan", "path": "infra/tfplan"})
	require.Equal(t, 1, code)
	require.Contains(t, out, "already exists")
}

func TestUploadArtifactDirectorySkipsHiddenFiles(t *testing.T) {
	shared := t.TempDir()
	e := newStepEnv(t, shared)
	e.write("dist/app", "bin", 0o755)
	e.write("dist/.terraform/providers/p", "provider", 0o755)
	e.write("dist/.env", "secret", 0o644)

	code, out := e.run(VerbUploadArtifact, map[string]string{"name": "dist", "path": "dist"})
	require.Zero(t, code, out)
	var m ArtifactMeta
	data, err := os.ReadFile(filepath.Join(shared, "artifacts", "dist.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &m))
	require.Equal(t, []string{"app"}, m.Files, "a directory is its own root; hidden files stay behind")

	code, out = e.run(VerbUploadArtifact, map[string]string{"name": "all", "path": "dist", "include-hidden-files": "true"})
	require.Zero(t, code, out)
	data, err = os.ReadFile(filepath.Join(shared, "artifacts", "all.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &m))
	require.Equal(t, []string{".env", ".terraform/providers/p", "app"}, m.Files)
}

func TestUploadArtifactNoFiles(t *testing.T) {
	e := newStepEnv(t, t.TempDir())
	code, out := e.run(VerbUploadArtifact, map[string]string{"name": "x", "path": "missing", "if-no-files-found": "error"})
	require.Equal(t, 1, code)
	require.Contains(t, out, "no files were found")

	code, out = e.run(VerbUploadArtifact, map[string]string{"name": "x", "path": "missing"})
	require.Zero(t, code)
	require.Contains(t, out, "::warning::", "the default is warn")
}

func TestDownloadArtifactMissing(t *testing.T) {
	e := newStepEnv(t, t.TempDir())
	code, out := e.run(VerbDownloadArtifact, map[string]string{"name": "nope"})
	require.Equal(t, 1, code)
	require.Contains(t, out, "artifact not found for name: nope")
}

func TestCacheRoundTrip(t *testing.T) {
	shared := t.TempDir()
	inputs := map[string]string{"path": "infra/.terraform/providers", "key": "providers-abc"}

	// First job: a miss; the post step saves, keeping modes.
	first := newStepEnv(t, shared)
	code, out := first.run(VerbCacheRestore, inputs, "validate-5")
	require.Zero(t, code, out)
	require.Contains(t, first.outputs(), "cache-hit=false")
	first.write("infra/.terraform/providers/registry/p/terraform-provider-p", "binary", 0o755)
	code, out = first.run(VerbCacheSave, map[string]string{"path": inputs["path"]}, "validate-5")
	require.Zero(t, code, out)
	require.Contains(t, out, "cache saved with key: providers-abc")

	// Second job: a hit restores the files with their modes and saves nothing.
	second := newStepEnv(t, shared)
	code, out = second.run(VerbCacheRestore, inputs, "plan-4")
	require.Zero(t, code, out)
	require.Contains(t, second.outputs(), "cache-hit=true")
	st, err := os.Stat(second.ws("infra/.terraform/providers/registry/p/terraform-provider-p"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), st.Mode().Perm())
	code, out = second.run(VerbCacheSave, map[string]string{"path": inputs["path"]}, "plan-4")
	require.Zero(t, code, out)
	require.Contains(t, out, "not saving")

	// A restore key matches by prefix, and is not a hit.
	third := newStepEnv(t, shared)
	code, out = third.run(VerbCacheRestore, map[string]string{"path": inputs["path"], "key": "providers-new", "restore-keys": "providers-"}, "plan-4")
	require.Zero(t, code, out)
	require.Contains(t, third.outputs(), "cache-hit=false")
	require.Contains(t, third.outputs(), "cache-matched-key=providers-abc")
}

func TestCacheSaveWithoutRestoreDoesNothing(t *testing.T) {
	e := newStepEnv(t, t.TempDir())
	code, out := e.run(VerbCacheSave, map[string]string{"path": "x"}, "skipped-1")
	require.Zero(t, code, out)
	require.Empty(t, out)
}

func TestCheckout(t *testing.T) {
	origin := t.TempDir()
	git := func(dir string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git(origin, "init", "-q", "-b", "main")
	require.NoError(t, os.WriteFile(filepath.Join(origin, "main.tf"), []byte("# v1\n"), 0o644))
	git(origin, "add", "-A")
	git(origin, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1")
	first := git(origin, "rev-parse", "HEAD")
	require.NoError(t, os.WriteFile(filepath.Join(origin, "main.tf"), []byte("# v2\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(origin, "untracked.tf"), []byte("# not committed\n"), 0o644))
	git(origin, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "v2")

	e := newStepEnv(t, t.TempDir())
	e.vars[EnvRepo] = origin
	e.vars["GITHUB_SHA"] = first
	code, out := e.run(VerbCheckout, map[string]string{"persist-credentials": "false"})
	require.Zero(t, code, out)
	data, err := os.ReadFile(e.ws("main.tf"))
	require.NoError(t, err)
	require.Equal(t, "# v1\n", string(data), "GITHUB_SHA by default")
	require.NoFileExists(t, e.ws("untracked.tf"), "only committed files")
	require.Contains(t, e.outputs(), "commit="+first)

	other := newStepEnv(t, t.TempDir())
	code, out = other.run(VerbCheckout, map[string]string{"repository": "lockstep-ci/lockstep", "ref": "v1", "path": ".lockstep-action"})
	require.Zero(t, code, out)
	require.NoDirExists(t, other.ws(".lockstep-action"), "another repository is not checked out")
	require.Contains(t, other.outputs(), "commit=v1")
}

func TestCommonAncestor(t *testing.T) {
	tests := []struct {
		dirs []string
		want string
	}{
		{[]string{"/w/infra"}, "/w/infra"},
		{[]string{"/w/infra", "/w/infra"}, "/w/infra"},
		{[]string{"/w/infra/a", "/w/infra/b/c"}, "/w/infra"},
		{[]string{"/w/a", "/x/b"}, "/"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, commonAncestor(tt.dirs), "%v", tt.dirs)
	}
}

// A directory upload keeps the tree below it; overwrite replaces an artifact
// of the same name; a pattern download puts each match in its own folder,
// or all in one with merge-multiple, and matching nothing is no error.
func TestArtifactPatternsAndOverwrite(t *testing.T) {
	shared := t.TempDir()
	up := newStepEnv(t, shared)
	up.write("stage/stacks/api/tfplan.lockstep.json", `{"v":1}`, 0o644)
	upload := func(name string, overwrite bool) (int, string) {
		in := map[string]string{"name": name, "path": "stage/", "if-no-files-found": "error"}
		if overwrite {
			in["overwrite"] = "true"
		}
		return up.run(VerbUploadArtifact, in)
	}
	code, out := upload("p-plan-a", false)
	require.Zero(t, code, out)
	code, out = upload("p-plan-a", false)
	require.Equal(t, 1, code, "names are immutable without overwrite")
	require.Contains(t, out, "already exists")
	up.write("stage/stacks/api/tfplan.lockstep.json", `{"v":2}`, 0o644)
	code, out = upload("p-plan-a", true)
	require.Zero(t, code, out)
	up.write("stage/stacks/api/tfplan.lockstep.json", `{"v":3}`, 0o644)
	code, out = upload("p-plan-b", false)
	require.Zero(t, code, out)
	code, out = upload("other", false)
	require.Zero(t, code, out)

	down := newStepEnv(t, shared)
	code, out = down.run(VerbDownloadArtifact, map[string]string{"pattern": "p-plan-*", "path": "plans"})
	require.Zero(t, code, out)
	a, err := os.ReadFile(down.ws("plans/p-plan-a/stacks/api/tfplan.lockstep.json"))
	require.NoError(t, err)
	require.Equal(t, `{"v":2}`, string(a), "the overwritten artifact")
	require.FileExists(t, down.ws("plans/p-plan-b/stacks/api/tfplan.lockstep.json"))
	require.NoDirExists(t, down.ws("plans/other"))

	merged := newStepEnv(t, shared)
	code, out = merged.run(VerbDownloadArtifact, map[string]string{"pattern": "other", "merge-multiple": "true"})
	require.Zero(t, code, out)
	require.FileExists(t, merged.ws("stacks/api/tfplan.lockstep.json"))

	none := newStepEnv(t, shared)
	code, out = none.run(VerbDownloadArtifact, map[string]string{"pattern": "nothing-*", "path": "x"})
	require.Zero(t, code, out)
	require.Contains(t, out, "downloaded 0 artifact(s)")
}
