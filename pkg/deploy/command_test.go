package deploy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOutputVar(t *testing.T) {
	tests := map[string]string{
		"app_url":       "LOCKSTEP_OUTPUT_APP_URL",
		"app-url":       "LOCKSTEP_OUTPUT_APP_URL",
		"bucket.name":   "LOCKSTEP_OUTPUT_BUCKET_NAME",
		"Region2":       "LOCKSTEP_OUTPUT_REGION2",
		"ünïcode name":  "LOCKSTEP_OUTPUT__N_CODE_NAME",
		"already_UPPER": "LOCKSTEP_OUTPUT_ALREADY_UPPER",
		"zone_a_09":     "LOCKSTEP_OUTPUT_ZONE_A_09", // the ends of both ranges
	}
	for in, want := range tests {
		assert.Equal(t, want, OutputVar(in), in)
	}
}

func TestRequestEnv(t *testing.T) {
	req := Request{
		AppVersion: "v2", InfraVersion: "abc1234", DeploymentVersion: "app:v2-infra:abc1234",
		Environment: "staging", Weight: 10, LockstepID: "7",
		Outputs: map[string]string{"url": "http://x", "db-host": "db.internal"},
	}
	assert.Equal(t, []string{
		"LOCKSTEP_APP_VERSION=v2",
		"LOCKSTEP_INFRA_VERSION=abc1234",
		"DEPLOYMENT_VERSION=app:v2-infra:abc1234",
		"LOCKSTEP_ENVIRONMENT=staging",
		"LOCKSTEP_CANARY_WEIGHT=10",
		"LOCKSTEP_CANARY_STEP=1",
		"LOCKSTEP_CANARY_STEPS=1",
		"LOCKSTEP_ID=7",
		"LOCKSTEP_OUTPUT_DB_HOST=db.internal",
		"LOCKSTEP_OUTPUT_URL=http://x",
	}, req.Env())
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

func TestCommandTargetEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env.txt")
	var stdout, stderr bytes.Buffer
	target := &CommandTarget{
		Command: `env | grep -E '^(LOCKSTEP_|DEPLOYMENT_VERSION=|INHERITED=)' | sort > "$OUT"; pwd >> "$OUT.pwd"; echo deploying; echo warning >&2`,
		Dir:     dir,
		Stdout:  &stdout,
		Stderr:  &stderr,
		Environ: []string{"PATH=" + os.Getenv("PATH"), "OUT=" + out, "INHERITED=yes", "LOCKSTEP_APP_VERSION=stale"},
	}
	err := target.Deploy(context.Background(), Request{
		AppVersion: "v1.4.2", InfraVersion: "3f2a9c1", DeploymentVersion: "app:v1.4.2-infra:3f2a9c1",
		Environment: "production", Weight: 50, LockstepID: "12",
		Outputs: map[string]string{"app_url": "https://app.example.com", "queue-name": "jobs"},
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"INHERITED":                  "yes",
		"LOCKSTEP_APP_VERSION":       "v1.4.2",
		"LOCKSTEP_INFRA_VERSION":     "3f2a9c1",
		"DEPLOYMENT_VERSION":         "app:v1.4.2-infra:3f2a9c1",
		"LOCKSTEP_ENVIRONMENT":       "production",
		"LOCKSTEP_CANARY_WEIGHT":     "50",
		"LOCKSTEP_CANARY_STEP":       "1",
		"LOCKSTEP_CANARY_STEPS":      "1",
		"LOCKSTEP_ID":                "12",
		"LOCKSTEP_OUTPUT_APP_URL":    "https://app.example.com",
		"LOCKSTEP_OUTPUT_QUEUE_NAME": "jobs",
	}, readEnvFile(t, out))
	pwd, err := os.ReadFile(out + ".pwd")
	require.NoError(t, err)
	wantDir, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	assert.Equal(t, wantDir, strings.TrimSpace(string(pwd)))
	assert.Equal(t, "deploying\n", stdout.String())
	assert.Equal(t, "warning\n", stderr.String())
}

func TestCommandTargetFailure(t *testing.T) {
	var stderr bytes.Buffer
	target := &CommandTarget{
		Command: `for i in $(seq 1 15); do echo "line $i" >&2; done; echo "token=s3cr3t" >&2; exit 3`,
		Stderr:  &stderr,
		Redact:  func(s string) string { return strings.ReplaceAll(s, "s3cr3t", "***") },
	}
	err := target.Deploy(context.Background(), Request{Weight: 100})
	var ce *CommandError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 3, ce.Code)
	assert.Equal(t, "deploy command exited with code 3; last lines of stderr:\n"+
		"  line 7\n  line 8\n  line 9\n  line 10\n  line 11\n  line 12\n  line 13\n  line 14\n  line 15\n  token=***", err.Error())
	assert.Contains(t, stderr.String(), "line 1\n", "stderr is still streamed whole to the caller's writer")

	err = (&CommandTarget{Command: "exit 1"}).Deploy(context.Background(), Request{})
	assert.EqualError(t, err, "deploy command exited with code 1")

	err = (&CommandTarget{Command: "  "}).Deploy(context.Background(), Request{})
	assert.EqualError(t, err, "running the deploy command: no command given")

	err = (&CommandTarget{Command: "kill -KILL $$"}).Deploy(context.Background(), Request{})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "deploy command was stopped by a signal (killed)", err.Error())
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil && bytes.HasSuffix(data, []byte("\n")) {
			return strings.TrimSpace(string(data))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
	return ""
}

func TestCommandTargetCancelSendsTERMToTheGroup(t *testing.T) {
	dir := t.TempDir()
	// The shell and its child both trap TERM and record it.
	script := `trap 'echo sh >> "$D/term"; exit 143' TERM
sh -c 'trap "echo child >> \"$D/term\"; exit 0" TERM; echo $$ > "$D/child.pid"; while :; do sleep 0.05; done' &
wait`
	ctx, cancel := context.WithCancel(context.Background())
	target := &CommandTarget{Command: script, Environ: []string{"PATH=" + os.Getenv("PATH"), "D=" + dir}, Grace: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- target.Deploy(ctx, Request{}) }()
	child, err := strconv.Atoi(waitForFile(t, filepath.Join(dir, "child.pid")))
	require.NoError(t, err)
	start := time.Now()
	cancel()
	err = <-done
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "running the deploy command: stopped it: context canceled")
	assert.Less(t, time.Since(start), 4*time.Second, "a group that exits on TERM is not waited for the whole grace")
	got, err := os.ReadFile(filepath.Join(dir, "term"))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"sh", "child"}, strings.Fields(string(got)))
	assert.False(t, alive(child), "the child is gone")
}

func TestCommandTargetCancelKillsAfterGrace(t *testing.T) {
	dir := t.TempDir()
	// Ignoring TERM is inherited: neither the shell nor its child stop on it.
	script := `trap '' TERM
sleep 60 &
echo $! > "$D/child.pid"
wait`
	ctx, cancel := context.WithCancel(context.Background())
	grace := 300 * time.Millisecond
	target := &CommandTarget{Command: script, Environ: []string{"PATH=" + os.Getenv("PATH"), "D=" + dir}, Grace: grace}
	done := make(chan error, 1)
	go func() { done <- target.Deploy(ctx, Request{}) }()
	child, err := strconv.Atoi(waitForFile(t, filepath.Join(dir, "child.pid")))
	require.NoError(t, err)
	start := time.Now()
	cancel()
	err = <-done
	took := time.Since(start)
	assert.ErrorIs(t, err, context.Canceled)
	assert.GreaterOrEqual(t, took, grace, "SIGKILL waits for the grace period")
	assert.Less(t, took, 5*time.Second)
	deadline := time.Now().Add(2 * time.Second)
	for alive(child) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.False(t, alive(child), "the child that ignored TERM was killed")
}

// A deploy command that starts the app in the background and exits
// succeeds, even when the app keeps the command's output open.
func TestCommandTargetBackgroundProcess(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	target := &CommandTarget{
		Command: `sleep 30 & echo $! > "$D/bg.pid"; echo started`,
		Environ: []string{"PATH=" + os.Getenv("PATH"), "D=" + dir},
		Stdout:  &stdout,
		Grace:   100 * time.Millisecond,
	}
	require.NoError(t, target.Deploy(context.Background(), Request{}))
	assert.Equal(t, "started\n", stdout.String())
	pid, err := strconv.Atoi(waitForFile(t, filepath.Join(dir, "bg.pid")))
	require.NoError(t, err)
	assert.True(t, alive(pid), "the background app keeps running")
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func TestCommandTargetCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := (&CommandTarget{Command: "touch should-not-exist"}).Deploy(ctx, Request{})
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestCommandTargetDefaultEnvironDropsInputs(t *testing.T) {
	// (dash drops names with hyphens such as INPUT_GITHUB-TOKEN by itself, so
	// check with one it keeps.)
	t.Setenv("INPUT_COMMAND", "deploy")
	t.Setenv("LOCKSTEP_TEST_INHERITED", "yes")
	out := filepath.Join(t.TempDir(), "env")
	target := &CommandTarget{Command: `env > "` + out + `"`}
	require.NoError(t, target.Deploy(context.Background(), Request{AppVersion: "v1"}))
	env := readEnvFile(t, out)
	assert.Equal(t, "yes", env["LOCKSTEP_TEST_INHERITED"])
	assert.Equal(t, "v1", env["LOCKSTEP_APP_VERSION"])
	_, leaked := env["INPUT_COMMAND"]
	assert.False(t, leaked, "the action's inputs are not passed on")
}
