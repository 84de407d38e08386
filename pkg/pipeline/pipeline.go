package pipeline

import (
	"io"

	"github.com/lockstep-ci/lockstep/pkg/engine"
)

// Reporter is where a step's progress goes: the runner's masked log in
// Actions, the terminal locally.
type Reporter interface {
	Printf(format string, args ...any)
	// Group opens a collapsible section of the log; the returned func
	// closes it.
	Group(title string) (end func())
	// Log is the masked writer for the engine's own output.
	Log() io.Writer
	// Mask hides each value from everything logged afterwards.
	Mask(secrets ...string)
}

// Stack is one stack and its engine.
type Stack struct {
	// Dir is the stack as the run names it (relative to the repository
	// root); it goes into the binding record.
	Dir string
	// Root is the stack's directory on disk.
	Root string
	// Engine drives the stack; Identity is what Engine.Identity said.
	Engine   engine.Engine
	Identity engine.Identity
}
