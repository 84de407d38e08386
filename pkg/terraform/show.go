package terraform

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// showWaitDelay is how long a cancelled terraform show may take to stop
// after its interrupt before it is killed. show only reads, so a kill is
// harmless.
const showWaitDelay = 10 * time.Second

// showPlan runs terraform show -json -no-color on a saved plan and decodes
// the JSON with plan.Decode as it streams from Terraform's stdout: the plan
// JSON (which holds secrets in clear text) is never held whole, logged or
// written anywhere, and the parts lockstep does not read are never built.
//
// terraform-exec has no show that hands over the raw stream (ShowPlanFile
// buffers the whole output and decodes all of it), so this runs the command
// itself, the way terraform-exec would: in the module directory, with
// TF_IN_AUTOMATION=1, Terraform's own logging off, CHECKPOINT_DISABLE passed
// on, TF_WORKSPACE dropped, stderr to the log and into the error, and an
// interrupt (not a kill) when ctx is cancelled.
func (t *Terraform) showPlan(ctx context.Context, planFile string) (*tfjson.Plan, error) {
	cmd := t.showCmd(ctx, planFile)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &tailBuffer{max: 16 << 10}
	cmd.Stderr = io.MultiWriter(t.log, stderr)
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("terraform show was not started: %w", ctx.Err())
		}
		return nil, fmt.Errorf("starting terraform show: %w", err)
	}
	p, decodeErr := plan.Decode(stdout)
	// Read to the end even after a decoding error, so that Terraform never
	// blocks on a full pipe and its own exit status and message come first.
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("terraform show was interrupted: %w", ctx.Err())
	case waitErr != nil:
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("terraform show failed: %w", waitErr)
		}
		return nil, fmt.Errorf("terraform show failed: %w\n%s", waitErr, msg)
	case decodeErr != nil:
		return nil, fmt.Errorf("decoding the JSON of terraform show: %w", decodeErr)
	}
	return p, nil
}

// showCmd builds the terraform show command; it does not run it.
func (t *Terraform) showCmd(ctx context.Context, planFile string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, t.tf.ExecPath(), "show", "-json", "-no-color", planFile)
	cmd.Dir = t.tf.WorkingDir()
	cmd.Env = showEnv(childenv.Environ())
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = showWaitDelay
	return cmd
}

// showEnv is the environment terraform-exec gives Terraform when no SetEnv
// was called: the inherited one (TF_VAR_* included), logging off so it cannot
// pollute the output, TF_IN_AUTOMATION set, CHECKPOINT_DISABLE always
// present, and TF_WORKSPACE removed (workspaces are selected explicitly).
func showEnv(environ []string) []string {
	drop := map[string]bool{
		"TF_LOG": true, "TF_LOG_CORE": true, "TF_LOG_PATH": true, "TF_LOG_PROVIDER": true,
		"TF_IN_AUTOMATION": true, "TF_WORKSPACE": true,
	}
	env := make([]string, 0, len(environ)+6)
	checkpoint := false
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if drop[k] {
			continue
		}
		checkpoint = checkpoint || k == "CHECKPOINT_DISABLE"
		env = append(env, kv)
	}
	if !checkpoint {
		env = append(env, "CHECKPOINT_DISABLE=")
	}
	return append(env, "TF_LOG=", "TF_LOG_CORE=", "TF_LOG_PATH=", "TF_LOG_PROVIDER=", "TF_IN_AUTOMATION=1")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.cut = true
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut {
		return "…" + string(b.buf)
	}
	return string(b.buf)
}
