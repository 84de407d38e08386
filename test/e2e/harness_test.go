// Package e2e runs the built lockstep binary the way the GitHub runner runs a
// container action (INPUT_* variables, GITHUB_* files, an event payload) and
// the way a person runs it locally, against real Terraform.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/cli"
	"github.com/lockstep-ci/lockstep/test/promtest"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// The binary is built by "go build" in TestMain, which go test's cache cannot
// see; depending on pkg/cli makes a change to lockstep's code invalidate the
// cached results of these tests.
var _ = cli.Main

// lockstepBin is the binary under test, built once by TestMain.
var lockstepBin string

func TestMain(m *testing.M) {
	// lockstep runs with the workspace's own environment, but the setup
	// commands (workspace.tf) inherit this process's.
	tftest.DropMissingCLIConfig()
	dir, err := os.MkdirTemp("", "lockstep-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	lockstepBin = filepath.Join(dir, "lockstep")
	// Built as make build and pipeline.yml's host mode build it (no cgo,
	// -trimpath), so that the three share Go's build cache.
	build := exec.Command("go", "build", "-trimpath", "-o", lockstepBin, "./cmd/lockstep")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Dir = tftest.RepoRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building lockstep:", err)
		os.Exit(3)
	}
	code := m.Run()
	promtest.StopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// workspace is a fake runner workspace: a repository root, the runner's file
// commands and the environment a container action sees.
type workspace struct {
	t         *testing.T
	root      string
	terraform string
	files     map[string]string // GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY
	env       map[string]string
}

var (
	engineOnce sync.Once
	testEngine string // the engine input for tftest.Path's binary
)

// engineInput is "terraform", or "opentofu" when the tests run OpenTofu
// (make test-opentofu): the harness passes it with terraform-path.
func engineInput(t *testing.T) string {
	engineOnce.Do(func() { testEngine = tftest.Engine(t, tftest.Path(t)) })
	return testEngine
}

// engineCommand is the engine's command in lockstep's log lines.
func engineCommand(t *testing.T) string {
	if engineInput(t) == "opentofu" {
		return "tofu"
	}
	return "terraform"
}

// engineName is the engine's name in lockstep's reports.
func engineName(t *testing.T) string { return tftest.EngineName(engineInput(t)) }

func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	w := &workspace{t: t, root: t.TempDir(), terraform: tftest.Path(t), files: map[string]string{}}
	runner := t.TempDir()
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"} {
		p := filepath.Join(runner, strings.ToLower(name))
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		w.files[name] = p
	}
	w.env = map[string]string{
		"GITHUB_ACTIONS":       "true",
		"GITHUB_WORKSPACE":     w.root,
		"GITHUB_REPOSITORY":    "octo-org/shop",
		"GITHUB_SHA":           "3f9a2c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c",
		"GITHUB_REF":           "refs/heads/main",
		"GITHUB_REF_NAME":      "main",
		"GITHUB_REF_TYPE":      "branch",
		"GITHUB_EVENT_NAME":    "push",
		"GITHUB_SERVER_URL":    "https://github.com",
		"GITHUB_API_URL":       "http://127.0.0.1:1", // nothing listens: no test may reach a real GitHub
		"GITHUB_RUN_ID":        "4211",
		"GITHUB_RUN_ATTEMPT":   "1",
		"GITHUB_ACTOR":         "octocat",
		"HOME":                 t.TempDir(),
		"PATH":                 os.Getenv("PATH"),
		"CHECKPOINT_DISABLE":   "1",
		"INPUT_GITHUB-TOKEN":   "ghs_e2eTokenValue0123456789",
		"INPUT_TERRAFORM-PATH": w.terraform,
		"INPUT_ENGINE":         engineInput(t),
	}
	for k, v := range w.files {
		w.env[k] = v
	}
	return w
}

// fixture copies test/fixtures/<name> into the workspace at dest.
func (w *workspace) fixture(name, dest string) string {
	w.t.Helper()
	src := filepath.Join(tftest.RepoRoot(), "test", "fixtures", name)
	dst := filepath.Join(w.root, dest)
	require.NoError(w.t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(w.t, err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(w.t, err)
		require.NoError(w.t, os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644))
	}
	return dst
}

// tf runs real Terraform in a workspace directory, for setting up state.
func (w *workspace) tf(dir string, args ...string) string {
	w.t.Helper()
	cmd := exec.Command(w.terraform, args...)
	cmd.Dir = filepath.Join(w.root, dir)
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(w.t, err, "terraform %v in %s:\n%s%s", args, dir, out, stderr.String())
	return string(out)
}

// pullRequestEvent makes the run a pull_request event for PR number.
func (w *workspace) pullRequestEvent(number int, headSHA string) {
	w.t.Helper()
	payload := map[string]any{
		"action": "synchronize",
		"number": number,
		"pull_request": map[string]any{
			"number": number,
			"head":   map[string]any{"sha": headSHA, "ref": "feature"},
			"base":   map[string]any{"ref": "main"},
		},
	}
	data, err := json.Marshal(payload)
	require.NoError(w.t, err)
	p := filepath.Join(w.t.TempDir(), "event.json")
	require.NoError(w.t, os.WriteFile(p, data, 0o644))
	w.env["GITHUB_EVENT_NAME"] = "pull_request"
	w.env["GITHUB_EVENT_PATH"] = p
	w.env["GITHUB_REF"] = fmt.Sprintf("refs/pull/%d/merge", number)
}

// mergedPush makes the run the push of a merged commit to main, with no
// event payload; an empty sha keeps GITHUB_SHA as it is.
func (w *workspace) mergedPush(sha string) {
	w.env["GITHUB_EVENT_NAME"] = "push"
	delete(w.env, "GITHUB_EVENT_PATH")
	w.env["GITHUB_REF"] = "refs/heads/main"
	if sha != "" {
		w.env["GITHUB_SHA"] = sha
	}
}

// requireBefore fails unless s holds first and then, later, second: an
// absent part fails too, instead of comparing -1.
func requireBefore(t *testing.T, s, first, second string, msgAndArgs ...any) {
	t.Helper()
	i, j := strings.Index(s, first), strings.Index(s, second)
	require.GreaterOrEqual(t, i, 0, "%q is missing", first)
	require.GreaterOrEqual(t, j, 0, "%q is missing", second)
	require.Less(t, i, j, msgAndArgs...)
}

// moveTargetBranch appends a resource nobody reviewed to dir's main.tf, as
// another change merged first would.
func (w *workspace) moveTargetBranch(dir string) {
	w.t.Helper()
	f, err := os.OpenFile(filepath.Join(w.root, dir, "main.tf"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(w.t, err)
	_, err = f.WriteString("\nresource \"terraform_data\" \"unreviewed\" {\n  input = \"x\"\n}\n")
	require.NoError(w.t, err)
	require.NoError(w.t, f.Close())
}

// assertRefusedUntouched checks an apply the gate refused: result, reason,
// each message in the log, the summary, no approvers, no terraform init and
// an empty state for dir.
func (w *workspace) assertRefusedUntouched(t *testing.T, r result, dir, reason string, msgs ...string) {
	t.Helper()
	assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "refused", r.outputs["result"])
	assert.Equal(t, reason, r.outputs["failure-reason"])
	for _, msg := range msgs {
		assert.Contains(t, r.stdout, msg)
	}
	assert.Contains(t, r.summary, "Refused: nothing was applied")
	assert.Empty(t, r.outputs["approved-by"])
	assert.NotContains(t, r.stdout, engineCommand(t)+" init", "refused before Terraform runs")
	assert.Empty(t, w.stateAddresses(dir), "nothing was applied")
}

// result is one run of lockstep.
type result struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
	envFile        string
}

// action runs `lockstep action` with inputs as the runner passes them.
func (w *workspace) action(inputs map[string]string) result {
	w.t.Helper()
	env := map[string]string{}
	for k, v := range w.env {
		env[k] = v
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	for _, p := range w.files {
		require.NoError(w.t, os.WriteFile(p, nil, 0o644))
	}
	return w.run(env, "action")
}

// cli runs `lockstep <args>` as a person would, in dir of the workspace.
func (w *workspace) cli(args ...string) result {
	w.t.Helper()
	// The tests' engine binary, and its engine, unless the test names
	// another (a stub): make test-opentofu runs them as engine opentofu.
	if !slices.Contains(args, "--terraform-path") {
		args = append(args, "--terraform-path", w.terraform)
	}
	if slices.Contains(args, w.terraform) && !slices.Contains(args, "--engine") {
		args = append(args, "--engine", engineInput(w.t))
	}
	env := map[string]string{"HOME": w.env["HOME"], "PATH": os.Getenv("PATH"), "CHECKPOINT_DISABLE": "1"}
	return w.run(env, args...)
}

func (w *workspace) run(env map[string]string, args ...string) result {
	w.t.Helper()
	cmd := exec.Command(lockstepBin, args...)
	cmd.Dir = w.root
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(w.t, ok, "running lockstep: %v", err)
		code = ee.ExitCode()
	}
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: map[string]string{}}
	if _, ok := env["GITHUB_OUTPUT"]; ok {
		r.outputs = parseFileCommand(w.t, w.files["GITHUB_OUTPUT"])
		r.summary = readFile(w.t, w.files["GITHUB_STEP_SUMMARY"])
		r.envFile = readFile(w.t, w.files["GITHUB_ENV"])
	}
	return r
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// parseFileCommand reads GITHUB_OUTPUT's name<<DELIM ... DELIM records.
func parseFileCommand(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(readFile(t, path)))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		name, delim, ok := strings.Cut(line, "<<")
		if !ok {
			if k, v, ok := strings.Cut(line, "="); ok {
				out[k] = v
			}
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

var planLine = regexp.MustCompile(`Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\.`)

// terraformCounts reads Terraform's own "Plan: X to add, Y to change, Z to
// destroy." line for a saved plan: the reference lockstep's counts must equal.
// A plan without resource changes has no such line: all zero.
func (w *workspace) terraformCounts(dir, planFile string) (add, change, destroy int) {
	w.t.Helper()
	out := w.tf(dir, "show", "-no-color", planFile)
	m := planLine.FindStringSubmatch(out)
	if m == nil {
		require.Contains(w.t, out, "No changes.", "terraform show printed neither a Plan: line nor No changes:\n%s", out)
		return 0, 0, 0
	}
	a, _ := strconv.Atoi(m[1])
	c, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	return a, c, d
}
