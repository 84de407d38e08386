package pipeline

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
