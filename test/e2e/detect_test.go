package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// monorepo copies the fixture monorepo (test/fixtures/monorepo, with its
// .lockstep.yml) into the workspace root, and policy over its .lockstep.yml
// when given. Its stacks: infra/app (modules tags -> naming, and queue),
// infra/db and infra/network (tags -> naming); infra/app depends on both.
func (w *workspace) monorepo(policy string) {
	w.t.Helper()
	require.NoError(w.t, os.CopyFS(w.root, os.DirFS(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "monorepo"))))
	if policy != "" {
		data, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", policy, ".lockstep.yml"))
		require.NoError(w.t, err)
		w.write(map[string]string{".lockstep.yml": string(data)})
	}
}

// write writes files into the workspace ("" deletes one).
func (w *workspace) write(files map[string]string) {
	w.t.Helper()
	tftest.WriteFiles(w.t, w.root, files)
}

// git runs git in the workspace.
func (w *workspace) git(args ...string) string {
	w.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@lockstep.invalid"}, args...)...)
	cmd.Dir = w.root
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	require.NoError(w.t, err, "git %v:\n%s", args, out)
	return strings.TrimSpace(string(out))
}

// commitAll commits the workspace as it is and returns the commit.
func (w *workspace) commitAll(msg string) string {
	w.t.Helper()
	if _, err := os.Stat(filepath.Join(w.root, ".git")); err != nil {
		w.git("init", "-q", "-b", "main")
	}
	w.git("add", "-A")
	w.git("commit", "-q", "--allow-empty", "-m", msg)
	return w.git("rev-parse", "HEAD")
}

// pushEvent makes the run a push from before to after.
func (w *workspace) pushEvent(before, after string) {
	w.t.Helper()
	data, err := json.Marshal(map[string]any{"ref": "refs/heads/main", "before": before, "after": after})
	require.NoError(w.t, err)
	p := filepath.Join(w.t.TempDir(), "event.json")
	require.NoError(w.t, os.WriteFile(p, data, 0o644))
	w.env["GITHUB_EVENT_NAME"] = "push"
	w.env["GITHUB_EVENT_PATH"] = p
	w.env["GITHUB_SHA"] = after
}

// matrix decodes the stacks output into its entries' directories.
func matrix(t *testing.T, stacks string) []string {
	t.Helper()
	var m struct {
		Include []struct {
			Directory   string `json:"directory"`
			Environment string `json:"environment"`
		} `json:"include"`
	}
	require.NoError(t, json.Unmarshal([]byte(stacks), &m), "stacks output %q", stacks)
	dirs := []string{}
	for _, e := range m.Include {
		dirs = append(dirs, e.Directory)
	}
	return dirs
}

// A push that touches a shared module detects exactly the stacks that call
// it, directly or through another module, and orders them by depends-on.
func TestDetectModuleChange(t *testing.T) {
	tests := []struct {
		name, file string
		stacks     []string
		layers     string
	}{
		{"used by one stack", "modules/queue/main.tf", []string{"infra/app"}, `[["infra/app"]]`},
		{"nested in the module every stack calls", "modules/naming/main.tf",
			[]string{"infra/app", "infra/db", "infra/network"}, `[["infra/db","infra/network"],["infra/app"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t)
			w.monorepo("")
			before := w.commitAll("initial")
			data, err := os.ReadFile(filepath.Join(w.root, tt.file))
			require.NoError(t, err)
			w.write(map[string]string{tt.file: string(data) + "\n# changed\n"})
			w.pushEvent(before, w.commitAll("touch a module"))

			r := w.action(map[string]string{"command": "detect", "environment": "staging"})
			require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.Equal(t, tt.stacks, matrix(t, r.outputs["stacks"]))
			assert.JSONEq(t, tt.layers, r.outputs["layers"])
			assert.Equal(t, "true", r.outputs["infra-changed"])
			assert.Equal(t, "false", r.outputs["app-changed"], "the fixture's app-paths are src/** and Dockerfile")
			assert.Contains(t, r.summary, "module `"+filepath.Dir(tt.file)+"`", "the summary says why")

			// What detect found is what plan --changed plans, locally.
			w.write(map[string]string{tt.file: string(data) + "\n# changed again\n"})
			cli := w.cli("detect", "--json")
			require.Equal(t, 0, cli.code, "stderr:\n%s", cli.stderr)
			var got struct {
				Changed []string `json:"changed"`
			}
			require.NoError(t, json.Unmarshal([]byte(cli.stdout), &got))
			assert.Equal(t, tt.stacks, got.Changed)
		})
	}
}

// A cycle in depends-on is bad input that names the stacks in it.
func TestDetectCycle(t *testing.T) {
	w := newWorkspace(t)
	w.monorepo("monorepo-cycle")
	before := w.commitAll("initial")
	w.write(map[string]string{"modules/tags/extra.tf": "# changed\n"})
	w.pushEvent(before, w.commitAll("touch tags"))

	r := w.action(map[string]string{"command": "detect"})
	assert.Equal(t, 2, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.stdout, "::error title=Invalid input::.lockstep.yml: depends-on has a cycle: infra/app -> infra/db -> infra/network -> infra/app")
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, "bad-input", r.outputs["failure-reason"])
	assert.Empty(t, r.outputs["stacks"], "no matrix from a config with a cycle")

	cli := w.cli("detect")
	assert.Equal(t, 2, cli.code)
	assert.Contains(t, cli.stderr, "infra/app -> infra/db -> infra/network -> infra/app")
}
