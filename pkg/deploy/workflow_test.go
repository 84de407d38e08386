package deploy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const runURL = "https://github.com/o/r/actions/runs/99"

// scriptedRuns returns a dispatcher whose run is invisible for hidden
// FindRun calls, then goes through statuses (the last repeating) on GetRun.
func scriptedRuns(hidden int, statuses ...WorkflowRun) (*fakeDispatcher, *[]map[string]string, *[]string) {
	var dispatched []map[string]string
	var calls []string
	finds := 0
	gets := 0
	d := &fakeDispatcher{
		DispatchFunc: func(_ context.Context, wf, ref string, inputs map[string]string) error {
			calls = append(calls, "dispatch "+wf+"@"+ref)
			dispatched = append(dispatched, inputs)
			return nil
		},
		FindRunFunc: func(_ context.Context, wf, id string, since time.Time) (*WorkflowRun, error) {
			calls = append(calls, "find "+id+" since "+since.Format("15:04:05"))
			finds++
			if finds <= hidden {
				return nil, nil
			}
			r := statuses[0]
			return &r, nil
		},
		GetRunFunc: func(_ context.Context, id int64) (*WorkflowRun, error) {
			calls = append(calls, "get")
			gets++
			i := min(gets, len(statuses)-1)
			r := statuses[i]
			return &r, nil
		},
	}
	return d, &dispatched, &calls
}

func run(status, conclusion string) WorkflowRun {
	return WorkflowRun{ID: 99, Status: status, Conclusion: conclusion, URL: runURL}
}

func workflowTarget(d Dispatcher, c *fakeClock) *WorkflowTarget {
	return &WorkflowTarget{
		Dispatcher: d, Workflow: "deploy.yml", Ref: "main",
		Now: c.Now, Sleep: c.Sleep, NewID: func() string { return "r4nd" },
	}
}

var deployReq = Request{
	AppVersion: "v2", InfraVersion: "abc1234", DeploymentVersion: "app:v2-infra:abc1234",
	Environment: "production", Weight: 10, LockstepID: "41",
}

func TestWorkflowTargetSuccess(t *testing.T) {
	d, dispatched, calls := scriptedRuns(2, run("queued", ""), run("in_progress", ""), run("completed", "success"))
	c := newFakeClock()
	target := workflowTarget(d, c)
	var seen []WorkflowRun
	target.OnRun = func(r WorkflowRun) { seen = append(seen, r) }

	require.NoError(t, target.Deploy(context.Background(), deployReq))
	assert.Equal(t, []map[string]string{{
		"app-version": "v2", "infra-version": "abc1234", "deployment-version": "app:v2-infra:abc1234",
		"canary-weight": "10", "lockstep-id": "41-10-r4nd",
	}}, *dispatched)
	assert.Equal(t, []string{
		"dispatch deploy.yml@main",
		"find 41-10-r4nd since 08:58:00", // two minutes of slack for clock skew
		"find 41-10-r4nd since 08:58:00",
		"find 41-10-r4nd since 08:58:00",
		"get", "get",
	}, *calls)
	assert.Equal(t, []time.Duration{10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}, c.Sleeps())
	assert.Equal(t, []WorkflowRun{run("queued", "")}, seen, "OnRun is told once")
}

func TestWorkflowTargetFailures(t *testing.T) {
	tests := []struct {
		name      string
		hidden    int
		runs      []WorkflowRun
		target    func(*WorkflowTarget)
		wantErr   string
		wantRunID int64
		wantSleep time.Duration // total
	}{
		{
			name:      "run concludes failure",
			runs:      []WorkflowRun{run("in_progress", ""), run("completed", "failure")},
			wantErr:   "deploy workflow deploy.yml run 99 concluded failure: " + runURL,
			wantRunID: 99, wantSleep: 10 * time.Second,
		},
		{
			name:      "run cancelled",
			runs:      []WorkflowRun{run("completed", "cancelled")},
			wantErr:   "deploy workflow deploy.yml run 99 concluded cancelled: " + runURL,
			wantRunID: 99,
		},
		{
			name:      "deploy-timeout passes",
			runs:      []WorkflowRun{run("in_progress", "")},
			target:    func(w *WorkflowTarget) { w.Timeout = 45 * time.Second },
			wantErr:   "deploy workflow deploy.yml run 99 did not complete within 45s (still in_progress; it was not canceled): " + runURL,
			wantRunID: 99, wantSleep: 45 * time.Second,
		},
		{
			name:   "run never appears",
			hidden: 1000,
			runs:   []WorkflowRun{run("queued", "")},
			wantErr: "waiting for deploy workflow deploy.yml: no run with lockstep-id 41-10-r4nd appeared within 2m0s; " +
				"its run-name must contain ${{ inputs.lockstep-id }} and it must exist on the default branch",
			wantSleep: 2 * time.Minute,
		},
		{
			// The last wait is cut to what is left of the find timeout.
			name:   "find timeout not a multiple of the poll interval",
			hidden: 1000,
			runs:   []WorkflowRun{run("queued", "")},
			target: func(w *WorkflowTarget) { w.FindTimeout = 25 * time.Second },
			wantErr: "waiting for deploy workflow deploy.yml: no run with lockstep-id 41-10-r4nd appeared within 25s; " +
				"its run-name must contain ${{ inputs.lockstep-id }} and it must exist on the default branch",
			wantSleep: 25 * time.Second,
		},
		{
			name:   "find timeout is capped by the deploy timeout",
			hidden: 1000,
			runs:   []WorkflowRun{run("queued", "")},
			target: func(w *WorkflowTarget) { w.Timeout = 25 * time.Second; w.PollInterval = time.Second },
			wantErr: "waiting for deploy workflow deploy.yml: no run with lockstep-id 41-10-r4nd appeared within 25s; " +
				"its run-name must contain ${{ inputs.lockstep-id }} and it must exist on the default branch",
			wantSleep: 25 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _ := scriptedRuns(tt.hidden, tt.runs...)
			c := newFakeClock()
			target := workflowTarget(d, c)
			if tt.target != nil {
				tt.target(target)
			}
			err := target.Deploy(context.Background(), deployReq)
			require.EqualError(t, err, tt.wantErr)
			var re *RunError
			if tt.wantRunID != 0 {
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.wantRunID, re.Run.ID)
			} else {
				assert.False(t, errors.As(err, &re))
			}
			assert.Equal(t, tt.wantSleep, c.Now().Sub(t0))
		})
	}
}

func TestWorkflowTargetAPIErrors(t *testing.T) {
	boom := errors.New("502 bad gateway")
	c := newFakeClock()

	d, _, _ := scriptedRuns(0, run("queued", ""))
	d.DispatchFunc = func(context.Context, string, string, map[string]string) error { return boom }
	err := workflowTarget(d, c).Deploy(context.Background(), deployReq)
	assert.EqualError(t, err, "dispatching deploy workflow deploy.yml on main: 502 bad gateway")
	assert.ErrorIs(t, err, boom)

	d, _, _ = scriptedRuns(0, run("queued", ""))
	d.FindRunFunc = func(context.Context, string, string, time.Time) (*WorkflowRun, error) { return nil, boom }
	err = workflowTarget(d, c).Deploy(context.Background(), deployReq)
	assert.EqualError(t, err, "finding the run of deploy workflow deploy.yml with lockstep-id 41-10-r4nd: 502 bad gateway")

	d, _, _ = scriptedRuns(0, run("queued", ""))
	d.GetRunFunc = func(context.Context, int64) (*WorkflowRun, error) { return nil, boom }
	err = workflowTarget(d, c).Deploy(context.Background(), deployReq)
	assert.EqualError(t, err, "checking deploy workflow deploy.yml run 99 ("+runURL+"): 502 bad gateway")

	err = (&WorkflowTarget{}).Deploy(context.Background(), deployReq)
	assert.EqualError(t, err, "dispatching the deploy workflow: no workflow given")
}

func TestWorkflowTargetCanceled(t *testing.T) {
	d, _, _ := scriptedRuns(0, run("in_progress", ""))
	c := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	target := workflowTarget(d, c)
	target.Sleep = func(ctx context.Context, dur time.Duration) error {
		cancel()
		return c.Sleep(ctx, dur)
	}
	err := target.Deploy(ctx, deployReq)
	assert.ErrorIs(t, err, context.Canceled)
	assert.EqualError(t, err, "waiting for deploy workflow deploy.yml run 99 ("+runURL+"): context canceled")
}

func TestWorkflowTargetDistinctIDsPerDispatch(t *testing.T) {
	d, dispatched, _ := scriptedRuns(0, run("completed", "success"))
	target := workflowTarget(d, newFakeClock())
	target.NewID = nil // crypto/rand
	for _, w := range []int{10, 10} {
		req := deployReq
		req.Weight = w
		require.NoError(t, target.Deploy(context.Background(), req))
	}
	require.Len(t, *dispatched, 2)
	a, b := (*dispatched)[0]["lockstep-id"], (*dispatched)[1]["lockstep-id"]
	assert.Regexp(t, `^41-10-[0-9a-f]{8}$`, a)
	assert.NotEqual(t, a, b)
}

func TestWorkflowTargetSaysWhatItWaitsForAtLeastEveryTenSeconds(t *testing.T) {
	d, _, _ := scriptedRuns(1, run("queued", ""), run("in_progress", ""), run("completed", "success"))
	c := newFakeClock()
	target := workflowTarget(d, c)
	target.PollInterval = 25 * time.Second
	target.Timeout = 10 * time.Minute
	var lines []string
	var at []time.Duration
	target.Progress = func(l string) { lines = append(lines, l); at = append(at, c.Now().Sub(t0)) }

	require.NoError(t, target.Deploy(context.Background(), deployReq))
	assert.Equal(t, []string{
		"⏳ waiting for the run of deploy workflow deploy.yml (lockstep-id 41-10-r4nd) to appear: 2m0s left",
		"⏳ waiting for the run of deploy workflow deploy.yml (lockstep-id 41-10-r4nd) to appear: 1m50s left",
		"⏳ waiting for the run of deploy workflow deploy.yml (lockstep-id 41-10-r4nd) to appear: 1m40s left",
		"⏳ waiting for deploy workflow deploy.yml run 99 (queued): 9m35s left",
		"⏳ waiting for deploy workflow deploy.yml run 99 (queued): 9m25s left",
		"⏳ waiting for deploy workflow deploy.yml run 99 (queued): 9m15s left",
		"⏳ waiting for deploy workflow deploy.yml run 99 (in_progress): 9m10s left",
		"⏳ waiting for deploy workflow deploy.yml run 99 (in_progress): 9m0s left",
		"⏳ waiting for deploy workflow deploy.yml run 99 (in_progress): 8m50s left",
	}, lines)
	for i := 1; i < len(at); i++ {
		assert.LessOrEqual(t, at[i]-at[i-1], 10*time.Second, "silent before %q", lines[i])
	}
}
