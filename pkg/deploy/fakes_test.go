package deploy

import (
	"context"
	"sync"
	"time"
)

// fakeDispatcher is a Dispatcher whose behaviour each test sets.
type fakeDispatcher struct {
	DispatchFunc func(ctx context.Context, workflowFile, ref string, inputs map[string]string) error
	FindRunFunc  func(ctx context.Context, workflowFile, lockstepID string, since time.Time) (*WorkflowRun, error)
	GetRunFunc   func(ctx context.Context, id int64) (*WorkflowRun, error)
}

func (f *fakeDispatcher) Dispatch(ctx context.Context, workflowFile, ref string, inputs map[string]string) error {
	return f.DispatchFunc(ctx, workflowFile, ref, inputs)
}

func (f *fakeDispatcher) FindRun(ctx context.Context, workflowFile, lockstepID string, since time.Time) (*WorkflowRun, error) {
	return f.FindRunFunc(ctx, workflowFile, lockstepID, since)
}

func (f *fakeDispatcher) GetRun(ctx context.Context, id int64) (*WorkflowRun, error) {
	return f.GetRunFunc(ctx, id)
}

// fakeTarget is a Target that records requests and answers with DeployFunc
// (nil: success).
type fakeTarget struct {
	mu         sync.Mutex
	requests   []Request
	DeployFunc func(ctx context.Context, req Request) error
}

func (f *fakeTarget) Deploy(ctx context.Context, req Request) error {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if f.DeployFunc != nil {
		return f.DeployFunc(ctx, req)
	}
	return nil
}

// fakeClock moves only when the code under test sleeps; it records sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
