package policy

import (
	"fmt"
	"strings"
)

// maxListed caps how many resources a DestroyRefusedError names.
const maxListed = 20

// DestroyRefusedError is returned by DestroyGuard when a plan deletes or
// replaces resources and the policy does not allow it. Callers branch on it
// with errors.As to report result=refused.
type DestroyRefusedError struct {
	Environment string
	// Resources are the addresses of the resources the plan deletes or
	// replaces, in the order given to DestroyGuard.
	Resources []string
}

func (e *DestroyRefusedError) Error() string {
	var b strings.Builder
	where, envKey := "", "the environment"
	if e.Environment != "" {
		where = fmt.Sprintf(" to %s", e.Environment)
		envKey = "environments." + e.Environment
	}
	noun := "resources"
	if len(e.Resources) == 1 {
		noun = "resource"
	}
	fmt.Fprintf(&b, "refusing to apply%s: the plan deletes or replaces %d %s:", where, len(e.Resources), noun)
	for i, r := range e.Resources {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  and %d more", len(e.Resources)-maxListed)
			break
		}
		b.WriteString("\n  - " + r)
	}
	fmt.Fprintf(&b, "\nto allow it, set the input allow-destroy: true for this run, or allow-destroy: true under %s in %s", envKey, DefaultFile)
	return b.String()
}

// DestroyGuard refuses a plan that deletes or replaces resources (dangerous
// holds their addresses) unless p allows destroys. It returns nil or a
// *DestroyRefusedError.
func DestroyGuard(p Policy, dangerous []string) error {
	if len(dangerous) == 0 || p.AllowDestroy {
		return nil
	}
	return &DestroyRefusedError{
		Environment: p.Environment,
		Resources:   append([]string(nil), dangerous...),
	}
}
