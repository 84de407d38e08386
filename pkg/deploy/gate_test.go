package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// The metrics gate watches each canary step for its bake time; the first
// step whose gate fails stops the rollout before its smoke checks, and the
// rollback is judged by the smoke checks alone.
func TestDeployCanaryStoppedByTheGateRollsBackWithoutIt(t *testing.T) {
	h := newHarness(t)
	h.seed(ledgerEntry("", "production", "v2", "infraA", trace.StatusSuccess, trace.TaskDeploy, 0))
	type call struct {
		bake time.Duration
		what string
	}
	var gated []call
	h.deployer.Gate = func(_ context.Context, bake time.Duration, what string) (bool, string) {
		gated = append(gated, call{bake, what})
		return false, `metrics gate failed for 1 of 1 query: ratio > 0.05: 1 sample(s): {version="v3"} 0.5`
	}
	res, err := h.deployer.Deploy(context.Background(), plan("v3", Canary{Steps: []int{10, 50, 100}, Bake: 2 * time.Minute}))
	require.Error(t, err)
	assert.Equal(t, "deploying app v3 to production: canary step 1 of 3 (10%): metrics gate failed: "+
		`metrics gate failed for 1 of 1 query: ratio > 0.05: 1 sample(s): {version="v3"} 0.5; rolled back to app v2`, err.Error())
	assert.Equal(t, []call{{2 * time.Minute, "canary step 1 of 3 (10%)"}}, gated, "the gate replaces the bake of the step; never run for the rollback")
	assert.Equal(t, []string{"v3@10", "v2@100"}, h.deployed())
	assert.Equal(t, []string{"v2@100"}, h.checks, "the failed step's smoke checks do not run; the rollback's do")
	assert.Empty(t, h.clock.Sleeps(), "the gate did the waiting")
	require.NotNil(t, res.Rollback)
	assert.True(t, res.Rollback.OK())
	assert.Contains(t, res.Outcome.Markdown(), "| 1 | 10% | ❌ metrics gate failed |")
}

func TestDirectDeploysDoNotRunTheGate(t *testing.T) {
	h := newHarness(t)
	h.deployer.Gate = func(context.Context, time.Duration, string) (bool, string) {
		t.Fatal("the gate ran for a direct deploy")
		return false, ""
	}
	_, err := h.deployer.Deploy(context.Background(), plan("v1", Direct{}))
	require.NoError(t, err)
}

// Every wait says what it waits for and how long is left, at least every
// 10 s, and each step is announced in the log.
func TestBakeProgressLines(t *testing.T) {
	c := newFakeClock()
	var lines []string
	var at []time.Duration
	r := Runner{Now: c.Now, Sleep: c.Sleep, Progress: func(l string) {
		lines = append(lines, l)
		at = append(at, c.Now().Sub(t0))
	}}
	out := r.Run(context.Background(), Canary{Steps: []int{50, 100}, Bake: 25 * time.Second}, &fakeTarget{}, deployReq, nil)
	require.True(t, out.OK)
	assert.Equal(t, []string{
		"▶ canary step 1 of 2 (50%): deploying",
		"⏳ baking canary step 1 of 2 (50%): 25s left",
		"⏳ baking canary step 1 of 2 (50%): 15s left",
		"⏳ baking canary step 1 of 2 (50%): 5s left",
		"✔ canary step 1 of 2 (50%) healthy after 25s",
		"▶ canary step 2 of 2 (100%): deploying",
		"⏳ baking canary step 2 of 2 (100%): 25s left",
		"⏳ baking canary step 2 of 2 (100%): 15s left",
		"⏳ baking canary step 2 of 2 (100%): 5s left",
		"✔ canary step 2 of 2 (100%) healthy after 25s",
	}, lines)
	for i := 1; i < len(at); i++ {
		assert.LessOrEqual(t, at[i]-at[i-1], 10*time.Second, "silent before %q", lines[i])
	}
	assert.True(t, strings.HasPrefix(out.Markdown(), "**Canary 50,100 (25s bake per step): ✅ healthy at 100%.**"), out.Markdown())
}
