// Package pipeline sequences lockstep's steps for one stack (plan, apply)
// and for many (layers of stacks side by side). It knows engines only
// through pkg/engine's interface and GitHub not at all: what needs GitHub
// (the destroy label, the approval gate, comments) reaches it as hooks
// from pkg/cli, which wires the concrete types and maps this package's
// errors to exit codes.
//
// The promise kept here: apply applies exactly the saved plan that plan
// wrote, for this commit, directory, environment, engine and version, or
// refuses (a *Refusal) before the engine changes anything.
package pipeline
