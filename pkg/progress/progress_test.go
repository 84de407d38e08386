package progress

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitReportsAtLeastEveryTenSeconds(t *testing.T) {
	var slept []time.Duration
	var lines []string
	sleep := func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	err := Wait(context.Background(), 25*time.Second, sleep, Tell(func(l string) { lines = append(lines, l) }, "baking canary step 1 of 2 (50%)"))
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{10 * time.Second, 10 * time.Second, 5 * time.Second}, slept)
	assert.Equal(t, []string{
		"⏳ baking canary step 1 of 2 (50%): 25s left",
		"⏳ baking canary step 1 of 2 (50%): 15s left",
		"⏳ baking canary step 1 of 2 (50%): 5s left",
	}, lines)
}

func TestWaitStopsWhenCanceled(t *testing.T) {
	calls := 0
	sleep := func(context.Context, time.Duration) error { calls++; return context.Canceled }
	err := Wait(context.Background(), time.Minute, sleep, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, calls)
}

func TestWaitOfNothingNeitherSleepsNorTells(t *testing.T) {
	err := Wait(context.Background(), 0, func(context.Context, time.Duration) error { t.Fatal("slept"); return nil },
		func(time.Duration) { t.Fatal("told") })
	assert.NoError(t, err)
}

func TestLineRoundsUpToWholeSeconds(t *testing.T) {
	assert.Equal(t, "⏳ x: 1s left", Line("x", 300*time.Millisecond))
	assert.Equal(t, "⏳ x: 1m30s left", Line("x", 90*time.Second))
}
