package policy

import (
	"fmt"
	"strings"
)

// maxListed caps how many resources a DestroyRefusedError names.
const maxListed = 20

// AllowDestroyLabel is the pull request label that allows the deletes and
// replaces of the plan it was added after, when a user with write
// permission added it (checked at apply time).
const AllowDestroyLabel = "lockstep:allow-destroy"

// DestroyRefusedError is returned by DestroyGuard when a plan deletes or
// replaces resources and the policy does not allow it. Callers branch on it
// with errors.As to report result=refused.
type DestroyRefusedError struct {
	Environment string
	// Resources are the addresses of the deleted or replaced resources the
	// policy does not allow, in the order given to DestroyGuard.
	Resources []string
	// Label, when set, says why the pull request's AllowDestroyLabel did
	// not allow them either.
	Label string
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
	fmt.Fprintf(&b, "refusing to apply%s: the plan deletes or replaces %d %s that the policy does not allow:", where, len(e.Resources), noun)
	for i, r := range e.Resources {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  and %d more", len(e.Resources)-maxListed)
			break
		}
		b.WriteString("\n  - " + r)
	}
	if e.Label != "" {
		fmt.Fprintf(&b, "\nthe label %s does not allow it: %s", AllowDestroyLabel, e.Label)
	}
	fmt.Fprintf(&b, "\nto allow it, someone with write permission adds the label %s to the pull request after lockstep's plan comment for it (then re-run this job), "+
		"or list the addresses under allow-destroy for %s in %s (allow-destroy: [aws_db_instance.main, module.db.*]), or set the input allow-destroy: true for this run", AllowDestroyLabel, envKey, DefaultFile)
	return b.String()
}

// DestroyGuard refuses a plan that deletes or replaces resources (dangerous
// holds their addresses) unless p allows each of them (see DestroysRefused).
// It returns nil or a *DestroyRefusedError naming the ones refused.
func DestroyGuard(p Policy, dangerous []string) error {
	refused := p.DestroysRefused(dangerous)
	if len(refused) == 0 {
		return nil
	}
	return &DestroyRefusedError{Environment: p.Environment, Resources: refused}
}

// DestroysRefused returns the addresses among dangerous (deleted or
// replaced resources) that p does not allow: none when AllowDestroy is set,
// else those matching none of AllowDestroyAddresses. nil means all allowed.
func (p Policy) DestroysRefused(dangerous []string) []string {
	if p.AllowDestroy {
		return nil
	}
	var refused []string
	for _, addr := range dangerous {
		allowed := false
		for _, pattern := range p.AllowDestroyAddresses {
			if MatchAddress(pattern, addr) {
				allowed = true
				break
			}
		}
		if !allowed {
			refused = append(refused, addr)
		}
	}
	return refused
}

// MatchAddress reports whether the resource address addr matches pattern,
// in which "*" matches any run of characters, dots and brackets included
// (module.db.* is every resource in module db and its child modules), and
// everything else matches itself: brackets and quotes in an address such as
// aws_instance.web["a"] are literal.
func MatchAddress(pattern, addr string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == addr
	}
	if !strings.HasPrefix(addr, parts[0]) {
		return false
	}
	rest := addr[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, mid)
		if i < 0 {
			return false
		}
		rest = rest[i+len(mid):]
	}
	return len(rest) >= len(last) && strings.HasSuffix(rest, last)
}
