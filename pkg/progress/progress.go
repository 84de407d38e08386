package progress

import (
	"context"
	"fmt"
	"time"
)

// Every is the longest a wait stays silent.
const Every = 10 * time.Second

// Func receives one progress line.
type Func func(line string)

// Tell returns a tell function for Wait that sends Line(what, left) to f;
// nil when f is nil.
func Tell(f Func, what string) func(left time.Duration) {
	if f == nil {
		return nil
	}
	return func(left time.Duration) { f(Line(what, left)) }
}

// Sleeper waits d or until ctx is done, returning ctx's error then.
type Sleeper func(ctx context.Context, d time.Duration) error

// Wait sleeps d through sleep in slices of at most Every. Before each slice
// it calls tell, when not nil, with the part of d left; the caller words the
// line (see Line). A nil sleep means a real timer. It returns ctx's error
// when the wait was cut short.
func Wait(ctx context.Context, d time.Duration, sleep Sleeper, tell func(left time.Duration)) error {
	if sleep == nil {
		sleep = RealSleep
	}
	for left := d; left > 0; left -= Every {
		if tell != nil {
			tell(left)
		}
		if err := sleep(ctx, min(left, Every)); err != nil {
			return err
		}
	}
	return nil
}

// Line is one progress line: what is awaited and how long is left.
func Line(what string, left time.Duration) string {
	// Whole seconds, rounded up: "0s left" would read as done.
	left = (left + time.Second - 1).Truncate(time.Second)
	return fmt.Sprintf("⏳ %s: %s left", what, left)
}

// RealSleep waits d on a real timer, or until ctx is done.
func RealSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
