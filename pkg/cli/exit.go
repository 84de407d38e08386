package cli

import (
	"errors"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/pipeline"
)

// Exit codes: the one place they are named.
const (
	ExitOK       = 0 // everything succeeded
	ExitFailed   = 1 // the pipeline said no (invalid config, refused apply) or Terraform failed
	ExitBadInput = 2 // an input, flag or file the user gave is invalid
	ExitInternal = 3 // lockstep itself broke (a bug, or the runner's files are missing)
)

// failure is an error that means "the pipeline said no or failed": exit 1,
// with a short machine-readable reason for the failure-reason output.
// The commands use the pipeline's own type, so that its errors and theirs
// map to exit codes in one place (exitCode).
type failure = pipeline.Failure

// fail marks err as the pipeline failing for reason.
func fail(reason string, err error) error { return pipeline.Fail(reason, err) }

// refusal is apply saying no before touching the infrastructure: exit 1,
// result "refused".
type refusal = pipeline.Refusal

func refuse(reason string, err error) error { return pipeline.Refuse(reason, err) }

// badInput marks an error as the user's input being wrong: exit 2.
type badInput struct{ err error }

func (b *badInput) Error() string { return b.err.Error() }
func (b *badInput) Unwrap() error { return b.err }

// exitCode maps an error to its exit code; unclassified errors are internal.
func exitCode(err error) int {
	var f *failure
	var b *badInput
	var ie *config.InputError
	var ies config.Errors
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &b), errors.As(err, &ie), errors.As(err, &ies):
		return ExitBadInput
	case errors.As(err, &f):
		return ExitFailed
	default:
		return ExitInternal
	}
}

// failureReason is the failure-reason output for err.
func failureReason(err error) string {
	var f *failure
	switch {
	case errors.As(err, &f):
		return f.Reason
	case exitCode(err) == ExitBadInput:
		return "bad-input"
	default:
		return "internal-error"
	}
}
