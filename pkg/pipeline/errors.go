package pipeline

import (
	"errors"
	"fmt"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/engine"
)

// Failure is the pipeline saying no or failing: exit 1, with a short
// machine-readable reason for the failure-reason output ("plan-failed",
// "init-failed", "apply-failed", ...).
type Failure struct {
	Reason string
	Err    error
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Fail marks err as the pipeline failing for reason; nil stays nil.
func Fail(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &Failure{Reason: reason, Err: err}
}

// Refusal is apply saying no before the engine touched anything: result
// "refused". It unwraps to a *Failure with the same reason.
type Refusal struct {
	Reason string
	Err    error
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return &Failure{Reason: r.Reason, Err: r.Err} }

// Refuse marks err as a refusal for reason.
func Refuse(reason string, err error) error { return &Refusal{Reason: reason, Err: err} }

// lockedFailure is a "state-locked" failure when err is the engine finding
// the stack's state locked by another run, else nil. It names the lock and
// the documented way to release a crashed run's lock; lockstep never
// releases one itself (a lock held by a live run protects its apply).
func lockedFailure(s Stack, wait time.Duration, err error) error {
	var l *engine.LockedError
	if !errors.As(err, &l) {
		return nil
	}
	id := l.ID
	if id == "" {
		id = "<lock ID>"
	}
	by := ""
	if l.Who != "" {
		by = " by " + l.Who
	}
	if l.Operation != "" {
		by += " (" + l.Operation + ")"
	}
	if l.Created != "" {
		by += " since " + l.Created
	}
	return Fail("state-locked", fmt.Errorf("the state of %s is locked by another run: lock %s, held%s; lockstep waited %s (lock-timeout). "+
		"Wait for that run to finish and run this job again. If it crashed, make sure nothing else is using the state, then release the lock with `%s force-unlock %s` in %s; "+
		"lockstep never releases a lock itself", s.Dir, id, by, wait, s.Identity.Command(), id, s.Dir))
}

// LockedFailure is the state-locked failure for err when the engine said
// the stack's state is locked (see lockedFailure), else nil. Commands that
// plan outside Plan (drift) report a lock the same way.
func LockedFailure(s Stack, wait time.Duration, err error) error { return lockedFailure(s, wait, err) }
