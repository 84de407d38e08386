package pipeline

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLayersRunInOrderAndStopAfterAFailure(t *testing.T) {
	layers := [][]string{{"net", "dns"}, {"db"}, {"app"}}
	var mu sync.Mutex
	var ran []string
	var started, stopped []int
	results := Layers(context.Background(), layers, LayerOptions{
		Parallelism: 2,
		Started:     func(layer int, dirs []string) { started = append(started, layer) },
		Stopped:     func(layer int) { stopped = append(stopped, layer) },
	}, func(_ context.Context, dir string) error {
		mu.Lock()
		ran = append(ran, dir)
		mu.Unlock()
		if dir == "db" {
			return errors.New("boom")
		}
		return nil
	})
	sort.Strings(ran[:2])
	assert.Equal(t, []string{"dns", "net", "db"}, ran, "layer 1 before layer 2; layer 3 never started")
	assert.Equal(t, []int{1, 2}, started)
	assert.Equal(t, []int{2}, stopped)
	got := map[string]Outcome{}
	for _, r := range results {
		got[r.Dir] = r.Outcome
	}
	assert.Equal(t, map[string]Outcome{"net": Done, "dns": Done, "db": Failed, "app": NotStarted}, got)
	assert.Equal(t, []string{"net", "dns", "db", "app"}, []string{results[0].Dir, results[1].Dir, results[2].Dir, results[3].Dir})
	assert.EqualError(t, results[2].Err, "boom")
	assert.Equal(t, 3, results[3].Layer)
}

func TestLayersHoldParallelism(t *testing.T) {
	var now, most atomic.Int32
	release := make(chan struct{})
	done := make(chan []StackResult)
	go func() {
		done <- Layers(context.Background(), [][]string{{"a", "b", "c", "d", "e"}}, LayerOptions{Parallelism: 2}, func(context.Context, string) error {
			n := now.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			<-release
			now.Add(-1)
			return nil
		})
	}()
	// Two run at once before any finishes; a third waits for a slot.
	for deadline := time.Now().Add(10 * time.Second); now.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("two stacks never ran at once")
		}
		time.Sleep(time.Millisecond)
	}
	for range 5 {
		release <- struct{}{}
	}
	results := <-done
	assert.Equal(t, int32(2), most.Load(), "never more than Parallelism at once")
	for _, r := range results {
		assert.Equal(t, Done, r.Outcome, r.Dir)
	}
}

func TestLayersStartNothingAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	results := Layers(ctx, [][]string{{"a"}, {"b"}}, LayerOptions{Parallelism: 1}, func(context.Context, string) error {
		cancel()
		return nil
	})
	assert.Equal(t, Done, results[0].Outcome)
	assert.Equal(t, NotStarted, results[1].Outcome, "a cancelled run starts no later layer")
}
