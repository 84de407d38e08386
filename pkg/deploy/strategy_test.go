package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkFailingAt is a check that fails once the target has deployed at
// weight, and records the weights it checked.
func checkFailingAt(target *fakeTarget, weight int, checked *[]int) Check {
	return func(ctx context.Context) (bool, string) {
		target.mu.Lock()
		w := target.requests[len(target.requests)-1].Weight
		target.mu.Unlock()
		*checked = append(*checked, w)
		if w == weight {
			return false, "smoke failed for 1 of 1 URL: https://app/healthz: 503 after 7 attempts"
		}
		return true, "smoke: 1 URL healthy"
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func weights(reqs []Request) []int {
	var out []int
	for _, r := range reqs {
		out = append(out, r.Weight)
	}
	return out
}

func TestRunStrategies(t *testing.T) {
	deployErr := errors.New("deploy command exited with code 1")
	tests := []struct {
		name         string
		strategy     Strategy
		failCheckAt  int // weight whose checks fail, 0 = none
		failDeployAt int
		wantOK       bool
		wantDeploys  []int
		wantChecked  []int
		wantSleeps   []time.Duration
		wantErr      string
	}{
		{
			name: "direct", strategy: Direct{}, wantOK: true,
			wantDeploys: []int{100}, wantChecked: []int{100},
		},
		{
			name: "nil is direct", strategy: nil, wantOK: true,
			wantDeploys: []int{100}, wantChecked: []int{100},
		},
		{
			name: "canary all healthy", strategy: Canary{Steps: []int{10, 50, 100}, Bake: time.Minute}, wantOK: true,
			wantDeploys: []int{10, 50, 100}, wantChecked: []int{10, 50, 100},
			// A minute's bake, in the slices between progress lines.
			wantSleeps: repeat(10*time.Second, 18),
		},
		{
			name: "canary stops at the failing step", strategy: Canary{Steps: []int{10, 50, 100}, Bake: time.Minute}, failCheckAt: 50,
			wantDeploys: []int{10, 50}, wantChecked: []int{10, 50},
			wantSleeps: repeat(10*time.Second, 12),
			wantErr:    "canary step 2 of 3 (50%): checks failed: smoke failed for 1 of 1 URL: https://app/healthz: 503 after 7 attempts",
		},
		{
			name: "canary deploy fails", strategy: Canary{Steps: []int{25, 100}}, failDeployAt: 25,
			wantDeploys: []int{25}, wantChecked: nil,
			wantErr: "canary step 1 of 2 (25%): deploy command exited with code 1",
		},
		{
			name: "direct checks fail", strategy: Direct{}, failCheckAt: 100,
			wantDeploys: []int{100}, wantChecked: []int{100},
			wantErr: "deploying at 100%: checks failed: smoke failed for 1 of 1 URL: https://app/healthz: 503 after 7 attempts",
		},
		{
			name: "canary without steps", strategy: Canary{},
			wantErr: "canary strategy has no steps",
		},
		{
			name: "canary not ending at 100", strategy: Canary{Steps: []int{10, 50}},
			wantErr: "canary strategy steps 10,50 do not end at 100, so the new version would never take all traffic",
		},
		{
			name: "canary steps out of order", strategy: Canary{Steps: []int{50, 10, 100}},
			wantErr: "canary strategy steps 50,10,100 are not increasing weights from 1 to 100",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeClock()
			target := &fakeTarget{DeployFunc: func(_ context.Context, req Request) error {
				c.Advance(2 * time.Second)
				if req.Weight == tt.failDeployAt {
					return deployErr
				}
				return nil
			}}
			var checked []int
			out := Runner{Now: c.Now, Sleep: c.Sleep}.Run(context.Background(), tt.strategy, target, deployReq,
				checkFailingAt(target, tt.failCheckAt, &checked))
			assert.Equal(t, tt.wantOK, out.OK)
			assert.Equal(t, tt.wantDeploys, weights(target.requests))
			assert.Equal(t, tt.wantChecked, checked)
			assert.Equal(t, tt.wantSleeps, c.Sleeps())
			if tt.wantErr == "" {
				assert.NoError(t, out.Err)
				_, failed := out.FailedStep()
				assert.False(t, failed)
				return
			}
			assert.EqualError(t, out.Err, tt.wantErr)
			if len(tt.wantDeploys) > 0 {
				f, ok := out.FailedStep()
				require.True(t, ok)
				assert.Equal(t, tt.wantDeploys[len(tt.wantDeploys)-1], f.Weight)
				assert.Equal(t, len(tt.wantDeploys), f.Step)
			}
			for _, r := range target.requests {
				assert.Equal(t, "41", r.LockstepID, "the request is passed through")
			}
		})
	}
}

func TestRunWithoutCheck(t *testing.T) {
	target := &fakeTarget{}
	out := Run(context.Background(), Canary{Steps: []int{50, 100}}, target, deployReq, nil)
	assert.True(t, out.OK)
	assert.Equal(t, []int{50, 100}, weights(target.requests))
}

// Each step tells the deploy command which step of how many it is, so one
// script can shift traffic (LOCKSTEP_CANARY_STEP, LOCKSTEP_CANARY_STEPS).
func TestRunNumbersTheSteps(t *testing.T) {
	target := &fakeTarget{}
	require.True(t, Run(context.Background(), Canary{Steps: []int{10, 50, 100}}, target, deployReq, nil).OK)
	var got []string
	for _, r := range target.requests {
		env := strings.Join(r.Env(), " ")
		got = append(got, fmt.Sprintf("%d/%d@%d %v", r.Step, r.Steps, r.Weight,
			strings.Contains(env, fmt.Sprintf("LOCKSTEP_CANARY_STEP=%d LOCKSTEP_CANARY_STEPS=%d", r.Step, r.Steps))))
	}
	assert.Equal(t, []string{"1/3@10 true", "2/3@50 true", "3/3@100 true"}, got)
}

func TestRunCanceledDuringBake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := newFakeClock()
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return c.Sleep(ctx, d)
	}
	out := Runner{Now: c.Now, Sleep: sleep}.Run(ctx, Canary{Steps: []int{10, 100}, Bake: time.Minute}, &fakeTarget{}, deployReq, nil)
	assert.False(t, out.OK)
	assert.True(t, out.Canceled())
	assert.EqualError(t, out.Err, "canary step 1 of 2 (10%): baking for 1m0s: context canceled")
}

func TestOutcomeMarkdown(t *testing.T) {
	out := Outcome{
		Strategy: "canary", Weights: []int{10, 50, 100},
		Steps: []StepResult{
			{Step: 1, Weight: 10, OK: true, Details: "smoke: 1 URL healthy", Duration: 62 * time.Second},
			{Step: 2, Weight: 50, Details: "smoke failed | <b>503</b>", Duration: 1500 * time.Millisecond},
		},
	}
	want := "**Canary 10,50,100: ❌ stopped at step 2 of 3 (50%).**\n\n" +
		"| Step | Weight | Result | Took | Details |\n| ---: | ---: | --- | ---: | --- |\n" +
		"| 1 | 10% | ✅ healthy | 1m2s | smoke: 1 URL healthy |\n" +
		"| 2 | 50% | ❌ checks failed | 1.5s | smoke failed \\| &lt;b&gt;503&lt;/b&gt; |\n" +
		"| 3 | 100% | ⏭️ not run | | |\n"
	assert.Equal(t, want, out.Markdown())

	direct := Outcome{Strategy: "direct", Weights: []int{100}, OK: true,
		Steps: []StepResult{{Step: 1, Weight: 100, OK: true, Duration: 3 * time.Second}}}
	assert.Equal(t, "**Direct deploy: ✅ healthy at 100%.**\n\n"+
		"| Step | Weight | Result | Took | Details |\n| ---: | ---: | --- | ---: | --- |\n"+
		"| 1 | 100% | ✅ healthy | 3s |  |\n", direct.Markdown())

	failedDeploy := Outcome{Strategy: "direct", Weights: []int{100},
		Steps: []StepResult{{Step: 1, Weight: 100, Err: fmt.Errorf("deploy command exited with code 2; last lines of stderr:\n  boom")}}}
	assert.Contains(t, failedDeploy.Markdown(), "| 1 | 100% | ❌ deploy failed | 0s | deploy command exited with code 2; last lines of stderr:   boom |\n")

	invalid := Outcome{Strategy: "canary", Err: errors.New("canary strategy has no steps")}
	assert.Equal(t, "**Canary: ❌ canary strategy has no steps.**\n\n", invalid.Markdown())
}

// The ends of the weights' range and equal neighbours, which the table
// above does not reach.
func TestValidateWeightsBoundaries(t *testing.T) {
	assert.NoError(t, validateWeights(Canary{Steps: []int{1, 100}}), "1% is the smallest step")
	assert.NoError(t, validateWeights(Canary{Steps: []int{100}}))
	assert.NoError(t, validateWeights(Direct{}))
	for _, steps := range [][]int{{0, 100}, {50, 50, 100}, {10, 101}} {
		assert.EqualError(t, validateWeights(Canary{Steps: steps}),
			"canary strategy steps "+joinInts(steps)+" are not increasing weights from 1 to 100", "%v", steps)
	}
}
