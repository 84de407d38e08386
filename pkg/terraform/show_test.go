package terraform

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// showLog is a log that Terraform's stdout and stderr may write to at the
// same time, as the reporter's log allows.
type showLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *showLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *showLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sensitiveStack plans test/fixtures/sensitive in a temporary directory and
// returns the runner and the directory.
func sensitiveStack(t *testing.T, log *showLog) (*Terraform, string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(tftest.RepoRoot(), "test", "fixtures", "sensitive")
	for _, f := range []string{"main.tf", "secrets.tfvars"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	t.Setenv("CHECKPOINT_DISABLE", "1")
	tf, err := New(Options{ExecPath: tftest.Path(t), Dir: dir, Log: log})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, tf.Init(ctx, InitOptions{}))
	_, err = tf.Plan(ctx, PlanOptions{Out: "tfplan", VarFiles: []string{"secrets.tfvars"}})
	require.NoError(t, err)
	return tf, dir
}

// ShowPlan's streaming decode gives the Summary and Fingerprint that
// terraform-exec's ShowPlanFile (the whole JSON, fully decoded) gives.
func TestShowPlanMatchesShowPlanFile(t *testing.T) {
	var log showLog
	tf, _ := sensitiveStack(t, &log)
	ctx := context.Background()

	got, err := tf.ShowPlan(ctx, "tfplan")
	require.NoError(t, err)
	logged := log.String()
	tf.tf.SetStdout(io.Discard)
	full, err := tf.tf.ShowPlanFile(ctx, "tfplan")
	require.NoError(t, err)

	want, err := plan.Summarize(full)
	require.NoError(t, err)
	s, err := plan.Summarize(got)
	require.NoError(t, err)
	assert.Equal(t, want, s)
	assert.Equal(t, plan.Fingerprint(full), plan.Fingerprint(got))
	for _, secret := range []string{"pw-Sup3rS3cret-e2e", "key-V4rF1l3S3cret-e2e", "tok-N3st3dS3cret-e2e"} {
		assert.True(t, slices.Contains(s.Secrets, secret), "secret %s found", secret)
		assert.NotContains(t, logged, secret, "the JSON never reaches the log")
	}
}

func TestShowPlanReportsTerraformsError(t *testing.T) {
	var log showLog
	tf, dir := sensitiveStack(t, &log)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.tfplan"), []byte("not a plan"), 0o644))

	_, err := tf.ShowPlan(context.Background(), "broken.tfplan")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading the saved plan with terraform show -json: terraform show failed: exit status 1")
	assert.Contains(t, err.Error(), "broken.tfplan", "Terraform's own message is in the error")

	_, err = tf.ShowPlan(context.Background(), "missing.tfplan")
	require.Error(t, err)
}

func TestShowPlanCancelled(t *testing.T) {
	var log showLog
	tf, _ := sensitiveStack(t, &log)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tf.ShowPlan(ctx, "tfplan")
	require.ErrorIs(t, err, context.Canceled)
}

func TestShowCmd(t *testing.T) {
	tf, err := New(Options{ExecPath: tftest.Path(t), Dir: t.TempDir()})
	require.NoError(t, err)
	cmd := tf.showCmd(context.Background(), "tfplan")
	assert.Equal(t, []string{"show", "-json", "-no-color", "tfplan"}, cmd.Args[1:])
	assert.Equal(t, tf.tf.WorkingDir(), cmd.Dir)
	assert.NotNil(t, cmd.Cancel, "cancelling interrupts Terraform")

	env := showEnv([]string{"PATH=/bin", "TF_VAR_region=eu", "TF_LOG=TRACE", "TF_WORKSPACE=prod", "TF_IN_AUTOMATION=0"})
	assert.ElementsMatch(t, []string{
		"PATH=/bin", "TF_VAR_region=eu", "CHECKPOINT_DISABLE=",
		"TF_LOG=", "TF_LOG_CORE=", "TF_LOG_PATH=", "TF_LOG_PROVIDER=", "TF_IN_AUTOMATION=1",
	}, env)
	env = showEnv([]string{"CHECKPOINT_DISABLE=1"})
	assert.Equal(t, 1, countPrefix(env, "CHECKPOINT_DISABLE="))
	assert.Contains(t, env, "CHECKPOINT_DISABLE=1")
}

func countPrefix(env []string, prefix string) int {
	n := 0
	for _, kv := range env {
		if strings.HasPrefix(kv, prefix) {
			n++
		}
	}
	return n
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	_, _ = b.Write([]byte("0123"))
	assert.Equal(t, "0123", b.String())
	_, _ = b.Write([]byte("456789ab"))
	assert.Equal(t, "…456789ab", b.String())
}
