package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stack whose state another run holds locked: plan and apply fail with
// state-locked, naming the lock and how to release a crashed run's lock,
// and never release it themselves (the other run finishes normally).
func TestLockedStateNamesTheLockAndNeverForceUnlocks(t *testing.T) {
	w, _ := pushWorkspace(t)
	w.fixture("holdlock", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging", "lock-timeout": "0s"}
	requireCode(t, 0, w.action(with(in, "command", "plan")))

	// Another run applies the same stack and holds the lock meanwhile.
	holder := exec.Command(w.terraform, "apply", "-auto-approve", "-input=false", "-no-color")
	holder.Dir = filepath.Join(w.root, "infra")
	holder.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	var out syncBuffer
	holder.Stdout, holder.Stderr = &out, &out
	require.NoError(t, holder.Start())
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Provisioning with 'local-exec'") {
		require.True(t, time.Now().Before(deadline), "the other run never started applying:\n%s", out.String())
		time.Sleep(50 * time.Millisecond)
	}
	var lock struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(w.root, "infra", ".terraform.tfstate.lock.info"))), &lock))
	require.NotEmpty(t, lock.ID)

	for _, command := range []string{"apply", "plan"} {
		r := w.action(with(in, "command", command))
		requireCode(t, 1, r)
		assert.Equal(t, "state-locked", r.outputs["failure-reason"], command)
		assert.Contains(t, r.stdout, "the state of infra is locked by another run: lock "+lock.ID+", held by ", command)
		assert.Contains(t, r.stdout, "(OperationTypeApply) since ", command)
		assert.Contains(t, r.stdout, "`"+engineCommand(t)+" force-unlock "+lock.ID+"` in infra", command)
		assert.NotContains(t, r.stdout, "apply-failed", command)
	}
	assert.FileExists(t, filepath.Join(w.root, "infra", ".terraform.tfstate.lock.info"), "the lock was never released by lockstep")

	// The other run was never disturbed: it stops cleanly when asked.
	require.NoError(t, holder.Process.Signal(syscall.SIGINT))
	_ = holder.Wait()
	assert.NotContains(t, out.String(), "Error releasing the state lock")
}
