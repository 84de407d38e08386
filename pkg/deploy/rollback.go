package deploy

import (
	"errors"
	"fmt"

	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// ErrNoRollbackTarget matches (errors.Is) a NoRollbackTargetError.
var ErrNoRollbackTarget = errors.New("nothing to roll back to")

// NoRollbackTargetError is an app rollback with no candidate: no other app
// version ever succeeded in the environment on the current infra version.
type NoRollbackTargetError struct {
	Environment  string
	InfraVersion string
}

func (e *NoRollbackTargetError) Error() string {
	return fmt.Sprintf("no earlier app version succeeded on infra %s; nothing to roll back to", e.InfraVersion)
}

// Is makes errors.Is(err, ErrNoRollbackTarget) true.
func (e *NoRollbackTargetError) Is(target error) bool { return target == ErrNoRollbackTarget }

// ErrRollbackRefused matches (errors.Is) a RollbackRefusedError.
var ErrRollbackRefused = errors.New("rollback refused")

// RollbackRefusedError is a rollback to a chosen app version that never
// succeeded on the current infra version, asked for without force.
type RollbackRefusedError struct {
	Environment  string
	InfraVersion string
	AppVersion   string
}

func (e *RollbackRefusedError) Error() string {
	env := ""
	if e.Environment != "" {
		env = " in " + e.Environment
	}
	return fmt.Sprintf("refusing to roll back to app version %s: it never succeeded on infra %s%s, so nothing shows it works there "+
		"(rollback --to %s --force deploys it anyway)", e.AppVersion, e.InfraVersion, env, e.AppVersion)
}

// Is makes errors.Is(err, ErrRollbackRefused) true.
func (e *RollbackRefusedError) Is(target error) bool { return target == ErrRollbackRefused }

// ErrInfraRollbackRefused is what RefuseInfraRollback returns.
var ErrInfraRollbackRefused = errors.New("refusing to roll back infrastructure: lockstep never rolls back infrastructure automatically, " +
	"because undoing an apply can destroy resources and their data and must be reviewed like any change; " +
	"revert the change in a pull request and let the pipeline plan and apply it, or fix forward")

// RefuseInfraRollback is the answer to any request to roll back
// infrastructure: the controlled process to follow instead.
func RefuseInfraRollback() error { return ErrInfraRollbackRefused }

// ChooseRollback picks the app version to roll back to: the newest one
// other than failedApp that succeeded in environment on infraVersion (see
// trace.LastGood). It returns a NoRollbackTargetError when there is none.
func ChooseRollback(entries []trace.Entry, environment, infraVersion, failedApp string) (trace.Entry, error) {
	e, ok := trace.LastGood(entries, environment, infraVersion, failedApp)
	if !ok {
		return trace.Entry{}, &NoRollbackTargetError{Environment: environment, InfraVersion: infraVersion}
	}
	return e, nil
}

// CheckRollbackTo decides whether a rollback to appVersion may go ahead
// without --force: it must have succeeded in environment on infraVersion.
func CheckRollbackTo(entries []trace.Entry, environment, infraVersion, appVersion string) error {
	if trace.SucceededOn(entries, environment, infraVersion, appVersion) {
		return nil
	}
	return &RollbackRefusedError{Environment: environment, InfraVersion: infraVersion, AppVersion: appVersion}
}
