package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/config"
)

// testApp is an action-mode app whose log goes to stdout.
func testApp(t *testing.T, parallelism int, stdout *lockedBuffer) *app {
	t.Helper()
	getenv := func(string) string { return "" }
	return &app{
		env: Env{Stdout: stdout, Getenv: getenv},
		cfg: &config.Config{Parallelism: parallelism, GitHubToken: "ghs_stacksTestToken"},
		gh:  &config.Context{},
		r:   actions.NewActionReporter(stdout, getenv),
	}
}

// Stacks run at most parallelism at a time, each in its own app, and each
// stack's log is printed whole, in one group, when it finishes.
func TestRunStacksBoundsParallelismAndKeepsLogsApart(t *testing.T) {
	var stdout lockedBuffer
	a := testApp(t, 2, &stdout)
	var running, most atomic.Int32
	var mu sync.Mutex
	seen := map[*app]bool{}
	cmd := func(ctx context.Context, sa *app, dir string) error {
		mu.Lock()
		require.False(t, seen[sa], "every stack gets its own app")
		seen[sa] = true
		mu.Unlock()
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		end := sa.r.Group("inner group of " + dir)
		for i := range 5 {
			sa.r.Printf("%s line %d", dir, i)
			time.Sleep(2 * time.Millisecond)
		}
		end()
		sa.r.Mask("secret-of-" + dir)
		if dir == "c" {
			return fail("plan-failed", errors.New("c broke"))
		}
		return sa.r.SetOutput("add", "1")
	}
	var runs []*stackRun
	for _, dir := range []string{"a", "b", "c", "d", "e", "f"} {
		runs = append(runs, &stackRun{dir: dir})
	}
	a.runStacks(context.Background(), runs, cmd, func(r *stackRun) string { return r.dir + " · done" })

	assert.EqualValues(t, 2, most.Load(), "never more than parallelism at once")
	out := string(stdout.Bytes())
	for _, run := range runs {
		group := out[strings.Index(out, "::group::"+run.dir+" · done"):]
		group = group[:strings.Index(group, "::endgroup::")]
		for i := range 5 {
			assert.Contains(t, group, fmt.Sprintf("%s line %d", run.dir, i))
		}
		for _, other := range runs {
			if other != run {
				assert.NotContains(t, group, other.dir+" line", "the log of %s holds lines of %s", run.dir, other.dir)
			}
		}
		assert.Contains(t, group, "── inner group of "+run.dir, "a stack's own groups become plain lines (groups do not nest)")
		assert.Contains(t, group, "::add-mask::secret-of-"+run.dir, "masks stay workflow commands")
		if run.dir == "c" {
			assert.Equal(t, stackFailed, run.state)
			assert.Contains(t, group, "::error title=lockstep failed::c broke", "the failure is annotated in its stack's log")
		} else {
			assert.Equal(t, stackDone, run.state)
			assert.Equal(t, "1", run.outputs["add"], "outputs are the stack's own")
		}
	}
	assert.Equal(t, 6, strings.Count(out, "::group::"), "one group per stack, no inner ones")
	assert.Equal(t, 6, strings.Count(out, "::endgroup::"))
}

// A cancelled run starts no more stacks; they stay not started.
func TestRunStacksStopsStartingWhenCancelled(t *testing.T) {
	var stdout lockedBuffer
	a := testApp(t, 1, &stdout)
	ctx, cancel := context.WithCancel(context.Background())
	runs := []*stackRun{{dir: "a"}, {dir: "b"}, {dir: "c"}}
	a.runStacks(ctx, runs, func(ctx context.Context, sa *app, dir string) error {
		cancel()
		return nil
	}, func(r *stackRun) string { return r.dir })
	assert.Equal(t, stackDone, runs[0].state)
	assert.Equal(t, stackNotStarted, runs[2].state)
	assert.ErrorContains(t, stacksErr("plan", runs), "did not start: ")
}

func TestStacksResult(t *testing.T) {
	refused := &stackRun{dir: "r", state: stackFailed, err: refuse("binding-commit", errors.New("another commit"))}
	failed := &stackRun{dir: "f", state: stackFailed, err: fail("apply-failed", errors.New("boom\nmore"))}
	bad := &stackRun{dir: "b", state: stackFailed, err: &badInput{errors.New("bad")}}
	ok := &stackRun{dir: "ok", state: stackDone}
	later := &stackRun{dir: "later", layer: 2}

	tests := []struct {
		name       string
		runs       []*stackRun
		wantResult string
		wantReason string
		wantCode   int
		wantMsg    string
	}{
		{"all applied", []*stackRun{ok}, "success", "", ExitOK, ""},
		{"refused only", []*stackRun{ok, refused, later}, "refused", "binding-commit", ExitFailed,
			"1 of 3 stacks failed to apply: r (binding-commit: another commit); not started because an earlier layer failed: later"},
		{"a failure among refusals", []*stackRun{refused, failed}, "failed", "apply-failed", ExitFailed, "f (apply-failed: boom)"},
		{"bad input", []*stackRun{bad}, "refused", "bad-input", ExitBadInput, "b (bad-input: bad)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := stacksErr("apply", tt.runs)
			out := map[string]string{}
			for _, o := range resultOutputs(err) {
				out[o[0]] = o[1]
			}
			assert.Equal(t, tt.wantResult, out["result"])
			assert.Equal(t, tt.wantReason, out["failure-reason"])
			assert.Equal(t, tt.wantCode, exitCode(err))
			if tt.wantMsg != "" {
				assert.ErrorContains(t, err, tt.wantMsg)
			}
		})
	}
}

// The stacks' own summaries follow the roll-up while they fit under GitHub's
// 1 MiB; the rest are named as omitted, never silently cut.
func TestWithStackSummariesKeepsTheBudget(t *testing.T) {
	big := strings.Repeat("x", stackSummariesBudget/3)
	runs := []*stackRun{{dir: "a", summary: big}, {dir: "b", summary: big}, {dir: "c", summary: big}, {dir: "d", summary: "small\n"}}
	got := withStackSummaries("ROLLUP\n", runs)
	assert.True(t, strings.HasPrefix(got, "ROLLUP\n"))
	assert.LessOrEqual(t, len(got), stackSummariesBudget)
	assert.Equal(t, 2, strings.Count(got, big))
	assert.Contains(t, got, "small\n", "a smaller summary after a skipped one still fits")
	assert.Contains(t, got, "The summaries of 1 more stacks do not fit")
}

func TestPrintStackLogLocally(t *testing.T) {
	var stderr, summary bytes.Buffer
	a := &app{r: actions.NewLocalReporter(&stderr, &summary), cfg: &config.Config{}}
	a.printStackLog("a · done", []byte("==> inner\nline\n"))
	assert.Equal(t, "==> a · done\n==> inner\nline\n", stderr.String())
}

// Locally, a multi-stack apply that needs approval asks once for all stacks,
// before any runs: stacks apply side by side and share one stdin.
func TestApproveStacksAsksOnce(t *testing.T) {
	tests := []struct {
		name, env, stdin string
		terminal         bool
		autoApprove      bool
		want             bool
		wantReason       string
		wantPrompt       bool
	}{
		{"yes", "production", "yes\n", true, false, true, "", true},
		{"anything else", "production", "y\n", true, false, false, "approval-declined", true},
		{"no terminal", "production", "", false, false, false, "approval-missing", false},
		{"auto-approve", "production", "", false, true, false, "", false},
		{"no approval needed", "staging", "", true, false, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr, log bytes.Buffer
			a := &app{
				env:   Env{Stdin: strings.NewReader(tt.stdin), Stderr: &stderr, IsTerminal: func() bool { return tt.terminal }},
				cfg:   &config.Config{Environment: tt.env, RequireApproval: config.Auto, Strategy: config.Auto, ConfigFile: ".lockstep.yml", PlanFile: "tfplan"},
				gh:    &config.Context{Workspace: t.TempDir(), Local: true},
				r:     actions.NewLocalReporter(&log, &log),
				local: &localFlags{autoApprove: tt.autoApprove},
			}
			got, err := a.approveStacks([]string{"infra/db", "infra/app"})
			assert.Equal(t, tt.want, got)
			if tt.wantReason == "" {
				require.NoError(t, err)
			} else {
				assert.Equal(t, tt.wantReason, failureReason(err))
			}
			if tt.wantPrompt {
				assert.Contains(t, stderr.String(), `These 2 saved plans apply to "production":`)
				assert.Contains(t, stderr.String(), "infra/db: no readable plan record (its apply will be refused)")
				assert.Equal(t, 1, strings.Count(stderr.String(), "Only 'yes' will be accepted"))
			} else {
				assert.Empty(t, stderr.String())
			}
		})
	}
}
