package pipeline

import (
	"context"
	"sync"
	"time"
)

// Outcome is how far one stack of a multi-stack run got.
type Outcome int

// The outcomes of a stack in Layers.
const (
	NotStarted Outcome = iota // an earlier layer failed, or the run was cancelled first
	Done
	Failed
)

// StackResult is one stack's part of a Layers run.
type StackResult struct {
	Dir     string
	Layer   int // 1-based
	Outcome Outcome
	Err     error // run's error, for Failed
	Took    time.Duration
}

// LayerOptions configure Layers; the zero value runs one stack at a time
// and tells nothing.
type LayerOptions struct {
	// Parallelism is how many stacks of a layer run at once (at least 1).
	Parallelism int
	// Started, when set, is told each layer (1-based) as it starts.
	Started func(layer int, dirs []string)
	// Stopped, when set, is told the layer that did not finish completely,
	// after which no later layer starts.
	Stopped func(layer int)
}

// Layers runs run for every stack, layer by layer (the order depends-on
// gives, see pkg/detect): the stacks of a layer side by side, at most
// o.Parallelism at once; a layer starts only when every stack of the
// layers before it is Done. When a stack fails, the rest of its layer
// finishes and later layers do not start. A stack not started when ctx
// ends stays NotStarted. Results come in the order of layers.
func Layers(ctx context.Context, layers [][]string, o LayerOptions, run func(ctx context.Context, dir string) error) []StackResult {
	var results []StackResult
	for i, layer := range layers {
		for _, dir := range layer {
			results = append(results, StackResult{Dir: dir, Layer: i + 1})
		}
	}
	stopped := false
	start := 0
	for i, layer := range layers {
		part := results[start : start+len(layer)]
		start += len(layer)
		if stopped || ctx.Err() != nil {
			continue
		}
		if o.Started != nil {
			o.Started(i+1, layer)
		}
		parallel(ctx, part, max(1, o.Parallelism), run)
		for _, r := range part {
			if r.Outcome != Done {
				stopped = true
			}
		}
		if stopped && o.Stopped != nil {
			o.Stopped(i + 1)
		}
	}
	return results
}

// parallel runs run for each of results, at most n at once.
func parallel(ctx context.Context, results []StackResult, n int, run func(ctx context.Context, dir string) error) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range results {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(r *StackResult) {
			defer wg.Done()
			defer func() { <-sem }()
			began := time.Now()
			r.Err = run(ctx, r.Dir)
			r.Took = time.Since(began)
			r.Outcome = Done
			if r.Err != nil {
				r.Outcome = Failed
			}
		}(&results[i])
	}
	wg.Wait()
}
