package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/policy"
	"github.com/lockstep-ci/lockstep/test/fakegithub"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// The fixture monorepo (shared with pkg/detect and pkg/policy): stacks
// infra/app (modules tags -> naming, and queue), infra/db and infra/network
// (tags -> naming); infra/app depends on the other two.
const monorepoFixture = "../../test/fixtures/monorepo"

// gitRepo is a scratch git repository.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T, from string, files map[string]string) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, dir: t.TempDir()}
	if from != "" {
		require.NoError(t, os.CopyFS(r.dir, os.DirFS(from)))
	}
	r.write(files)
	r.git("init", "-q", "-b", "main")
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", "initial")
	return r
}

// write writes files ("" deletes one).
func (r *gitRepo) write(files map[string]string) {
	r.t.Helper()
	tftest.WriteFiles(r.t, r.dir, files)
}

// commit writes files and commits them, returning the commits before and
// after.
func (r *gitRepo) commit(files map[string]string) (before, after string) {
	r.t.Helper()
	before = r.git("rev-parse", "HEAD")
	r.write(files)
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", "change")
	return before, r.git("rev-parse", "HEAD")
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@lockstep.invalid"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	require.NoError(r.t, err, "git %v:\n%s", args, out)
	return strings.TrimSpace(string(out))
}

// actionRun is one in-process `lockstep action`.
type actionRun struct {
	code    int
	stdout  string
	outputs map[string]string
	summary string
}

// runActionIn runs `lockstep action` in-process in workspace with the
// runner's environment env and the inputs.
func runActionIn(t *testing.T, workspace string, env, inputs map[string]string) actionRun {
	t.Helper()
	runner := t.TempDir()
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_WORKSPACE":    workspace,
		"GITHUB_REPOSITORY":   "octo-org/shop",
		"GITHUB_OUTPUT":       filepath.Join(runner, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(runner, "summary"),
		"GITHUB_ENV":          filepath.Join(runner, "env"),
		"GITHUB_API_URL":      "http://127.0.0.1:1",
		"INPUT_GITHUB-TOKEN":  "ghs_detectTestToken",
	}
	for _, f := range []string{"output", "summary", "env"} {
		require.NoError(t, os.WriteFile(filepath.Join(runner, f), nil, 0o644))
	}
	for k, v := range env {
		vars[k] = v
	}
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), Env{
		Args:   []string{"action"},
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] },
		Getwd:  func() (string, error) { return workspace, nil },
	})
	out, err := os.ReadFile(vars["GITHUB_OUTPUT"])
	require.NoError(t, err)
	summary, err := os.ReadFile(vars["GITHUB_STEP_SUMMARY"])
	require.NoError(t, err)
	return actionRun{code: code, stdout: stdout.String() + stderr.String(), outputs: parseOutputFile(string(out)), summary: string(summary)}
}

// parseOutputFile reads GITHUB_OUTPUT's name<<DELIM records.
func parseOutputFile(s string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			continue
		}
		var val []string
		for sc.Scan() && sc.Text() != delim {
			val = append(val, sc.Text())
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// pushEnv is the runner's environment for a push from before to after.
func pushEnv(t *testing.T, before, after string) map[string]string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	data, err := json.Marshal(map[string]any{"ref": "refs/heads/main", "before": before, "after": after})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": p, "GITHUB_SHA": after, "GITHUB_REF": "refs/heads/main"}
}

func matrixDirs(t *testing.T, stacks string) []string {
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

func TestDetectOnPush(t *testing.T) {
	all := []string{"infra/app", "infra/db", "infra/network"}
	tests := []struct {
		name       string
		inputs     map[string]string
		change     map[string]string
		wantStacks []string
		wantLayers string
		wantInfra  string
		wantApp    string
		wantInSum  []string
	}{
		{"a module used by one stack", nil, map[string]string{"modules/queue/main.tf": "# queue\n"},
			[]string{"infra/app"}, `[["infra/app"]]`, "true", "false", []string{"module `modules/queue`"}},
		{"a module nested in another, used by all", nil, map[string]string{"modules/naming/main.tf": "# naming\n"},
			all, `[["infra/db","infra/network"],["infra/app"]]`, "true", "false", []string{"module `modules/naming`", "1. `infra/db`, `infra/network` → 2. `infra/app`"}},
		{"a stack's own file", nil, map[string]string{"infra/db/extra.tf": "# extra\n"},
			[]string{"infra/db"}, `[["infra/db"]]`, "true", "false", []string{"`infra/db/extra.tf`"}},
		{"app only", nil, map[string]string{"src/app.txt": "v2\n"},
			nil, `[]`, "false", "true", []string{"0 of 3 stacks changed"}},
		{"neither", nil, map[string]string{"README.md": "# docs\n"},
			nil, `[]`, "false", "false", nil},
		{"app-paths input overrides the file", map[string]string{"app-paths": "README.md"}, map[string]string{"README.md": "# docs\n"},
			nil, `[]`, "false", "true", []string{"a file matches app-paths"}},
		{"infra-paths outside every stack changes them all", map[string]string{"infra-paths": "shared/**"}, map[string]string{"shared/prod.yaml": "x: 1\n"},
			all, `[["infra/db","infra/network"],["infra/app"]]`, "true", "false", []string{"infra-paths match `shared/prod.yaml`"}},
		{"named working directories narrow the stacks", map[string]string{"working-directory": "infra/db\ninfra/app"}, map[string]string{"modules/tags/main.tf": "# tags\n"},
			[]string{"infra/app", "infra/db"}, `[["infra/db"],["infra/app"]]`, "true", "false", []string{"Stacks: the working-directory input"}},
		{"a deleted stack is reported", nil, map[string]string{"infra/network/main.tf": ""},
			nil, `[]`, "true", "false", []string{"Deleted stacks", "`infra/network/main.tf`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newGitRepo(t, monorepoFixture, map[string]string{"README.md": "# shop\n", "src/app.txt": "v1\n", "shared/common.tfvars": "x = 0\n"})
			before, after := r.commit(tt.change)
			inputs := map[string]string{"command": "detect", "environment": "staging"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			res := runActionIn(t, r.dir, pushEnv(t, before, after), inputs)
			require.Equal(t, 0, res.code, "%s", res.stdout)
			assert.Equal(t, nonNilStrings(tt.wantStacks), matrixDirs(t, res.outputs["stacks"]))
			if len(tt.wantStacks) == 0 {
				assert.Equal(t, EmptyMatrix, res.outputs["stacks"])
			} else {
				assert.Contains(t, res.outputs["stacks"], `"environment":"staging"`)
			}
			assert.JSONEq(t, tt.wantLayers, res.outputs["layers"])
			assert.Equal(t, tt.wantInfra, res.outputs["infra-changed"], "infra-changed")
			assert.Equal(t, tt.wantApp, res.outputs["app-changed"], "app-changed")
			assert.Equal(t, "success", res.outputs["result"])
			for _, s := range tt.wantInSum {
				assert.Contains(t, res.summary, s)
			}
			if tt.name == "a deleted stack is reported" {
				assert.Contains(t, res.stdout, "::warning title=Stack deleted%3A infra/network::")
			}
		})
	}
}

func TestDetectFailures(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		inputs map[string]string
		want   string
	}{
		{"a depends-on cycle names its stacks", "../../test/fixtures/monorepo-cycle/.lockstep.yml", nil,
			"depends-on has a cycle: infra/app -> infra/db -> infra/network -> infra/app"},
		{"a named directory that is not a stack", "", map[string]string{"working-directory": "infra/db\ninfra/nope\nmodules"},
			`input "working-directory": "infra/nope" is not a directory in the repository`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newGitRepo(t, monorepoFixture, nil)
			if tt.policy != "" {
				data, err := os.ReadFile(tt.policy)
				require.NoError(t, err)
				r.write(map[string]string{".lockstep.yml": string(data)})
			}
			before, after := r.commit(map[string]string{"modules/tags/main.tf": "# tags\n"})
			inputs := map[string]string{"command": "detect"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			res := runActionIn(t, r.dir, pushEnv(t, before, after), inputs)
			assert.Equal(t, ExitBadInput, res.code, "%s", res.stdout)
			assert.Contains(t, res.stdout, tt.want)
			assert.Equal(t, "refused", res.outputs["result"])
			assert.Equal(t, "bad-input", res.outputs["failure-reason"])
		})
	}
}

// When the change cannot be listed, every stack counts as changed, with a
// warning: planning too much is safe, planning too little is not.
func TestDetectAssumesEverythingWhenItCannotTell(t *testing.T) {
	t.Run("a push whose before commit is not in the clone", func(t *testing.T) {
		r := newGitRepo(t, monorepoFixture, nil)
		_, after := r.commit(map[string]string{"src/app.txt": "v2\n"})
		res := runActionIn(t, r.dir, pushEnv(t, strings.Repeat("ab", 20), after), map[string]string{"command": "detect"})
		require.Equal(t, 0, res.code, "%s", res.stdout)
		assert.Equal(t, []string{"infra/app", "infra/db", "infra/network"}, matrixDirs(t, res.outputs["stacks"]))
		assert.Equal(t, "true", res.outputs["app-changed"])
		assert.Contains(t, res.stdout, "::warning::Every stack counts as changed")
		assert.Contains(t, res.stdout, "fetch-depth: 0")
	})
	t.Run("a workflow_dispatch run", func(t *testing.T) {
		r := newGitRepo(t, monorepoFixture, nil)
		res := runActionIn(t, r.dir, map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch"}, map[string]string{"command": "detect"})
		require.Equal(t, 0, res.code, "%s", res.stdout)
		assert.Len(t, matrixDirs(t, res.outputs["stacks"]), 3)
		assert.Contains(t, res.summary, "a workflow\\_dispatch run has no change to compare with")
	})
	t.Run("a pull request beyond GitHub's 3,000 listed files", func(t *testing.T) {
		gh := fakegithub.New(t)
		files := make([]fakegithub.PullFile, 3001)
		for i := range files {
			files[i] = fakegithub.PullFile{Filename: fmt.Sprintf("docs/page%04d.md", i)}
		}
		gh.AddPullFiles("octo-org", "shop", 9, files...)
		r := newGitRepo(t, monorepoFixture, nil)
		env := prEnv(t, 9)
		env["GITHUB_API_URL"] = gh.APIURL()
		res := runActionIn(t, r.dir, env, map[string]string{"command": "detect"})
		require.Equal(t, 0, res.code, "%s", res.stdout)
		assert.Len(t, matrixDirs(t, res.outputs["stacks"]), 3)
		assert.Contains(t, res.stdout, "more files than the 3,000 GitHub lists")
	})
}

func prEnv(t *testing.T, number int) map[string]string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	data, err := json.Marshal(map[string]any{"action": "synchronize", "number": number,
		"pull_request": map[string]any{"number": number, "head": map[string]any{"sha": "feedface"}}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": p, "GITHUB_SHA": "cafe", "GITHUB_REF": fmt.Sprintf("refs/pull/%d/merge", number)}
}

// On a pull request the files come from the API, every page; a listed file
// missing from the checkout was deleted.
func TestDetectOnPullRequest(t *testing.T) {
	gh := fakegithub.New(t, fakegithub.WithToken("ghs_detectTestToken"))
	var files []fakegithub.PullFile
	for i := range 250 {
		files = append(files, fakegithub.PullFile{Filename: fmt.Sprintf("docs/page%03d.md", i)})
	}
	files = append(files,
		fakegithub.PullFile{Filename: "modules/queue/main.tf"},                // page 3
		fakegithub.PullFile{Filename: "infra/old/main.tf", Status: "removed"}, // gone from the checkout
	)
	gh.AddPullFiles("octo-org", "shop", 7, files...)
	r := newGitRepo(t, monorepoFixture, nil)
	env := prEnv(t, 7)
	env["GITHUB_API_URL"] = gh.APIURL()

	res := runActionIn(t, r.dir, env, map[string]string{"command": "detect", "environment": "staging"})
	require.Equal(t, 0, res.code, "%s", res.stdout)
	assert.Equal(t, []string{"infra/app"}, matrixDirs(t, res.outputs["stacks"]))
	assert.Equal(t, 3, gh.Count("GET", "/repos/octo-org/shop/pulls/7/files"), "all three pages listed")
	assert.Contains(t, res.stdout, "::warning title=Stack deleted%3A infra/old::")
	assert.Contains(t, res.summary, "from the 252 files pull request")
	assert.Equal(t, "true", res.outputs["infra-changed"])
}

// Locally the change is the last commit plus uncommitted and untracked
// files.
func TestDetectLocally(t *testing.T) {
	r := newGitRepo(t, monorepoFixture, nil)
	r.commit(map[string]string{"infra/db/extra.tf": "# committed\n"})
	r.write(map[string]string{"modules/queue/main.tf": "# uncommitted\n", "infra/network/new.tf": "# untracked\n"})

	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), Env{
		Args:   []string{"detect", "--json"},
		Stdout: &stdout, Stderr: &stderr,
		Getwd: func() (string, error) { return r.dir, nil },
	})
	require.Equal(t, 0, code, "%s", stderr.String())
	var got struct {
		Changed []string            `json:"changed"`
		Reasons map[string][]string `json:"reasons"`
		Layers  [][]string          `json:"layers"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &got), "%s", stdout.String())
	assert.Equal(t, []string{"infra/app", "infra/db", "infra/network"}, got.Changed)
	assert.Equal(t, []string{"infra/db/extra.tf"}, got.Reasons["infra/db"])
	assert.Equal(t, []string{"module modules/queue"}, got.Reasons["infra/app"])
	assert.Equal(t, []string{"infra/network/new.tf"}, got.Reasons["infra/network"])
	assert.Equal(t, [][]string{{"infra/db", "infra/network"}, {"infra/app"}}, got.Layers)
}

// A repository whose root is a root module, without stacks globs, is one
// stack: the default working-directory "." keeps meaning the root.
func TestDetectRootModule(t *testing.T) {
	r := newGitRepo(t, "", map[string]string{
		"main.tf":                "module \"m\" {\n  source = \"./modules/m\"\n}\n",
		"modules/m/main.tf":      "# m\n",
		"examples/basic/main.tf": "# an example that is not a stack here\n",
	})
	before, after := r.commit(map[string]string{"modules/m/main.tf": "# m2\n", "examples/basic/main.tf": "# changed\n"})
	res := runActionIn(t, r.dir, pushEnv(t, before, after), map[string]string{"command": "detect"})
	require.Equal(t, 0, res.code, "%s", res.stdout)
	assert.Equal(t, []string{"."}, matrixDirs(t, res.outputs["stacks"]))
}

func TestOrderStacks(t *testing.T) {
	file := &policy.File{DependsOn: map[string][]string{
		"app": {"db"},
		"db":  {"network"},
	}}
	tests := []struct {
		name   string
		stacks []string
		want   [][]string
	}{
		{"all", []string{"app", "db", "network"}, [][]string{{"network"}, {"db"}, {"app"}}},
		// db is not in the run, but network must still apply before app.
		{"through a stack not in the run", []string{"app", "network"}, [][]string{{"network"}, {"app"}}},
		{"independent", []string{"app", "other"}, [][]string{{"other"}, {"app"}}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := orderStacks(tt.stacks, []string{"other"}, file)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := orderStacks([]string{"a"}, nil, &policy.File{DependsOn: map[string][]string{"a": {"b"}, "b": {"a"}}})
	assert.Equal(t, ExitBadInput, exitCode(err))
	assert.ErrorContains(t, err, "a -> b -> a")
}
