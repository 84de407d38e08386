package policy

import "strings"

// ProductionLike reports whether an environment name is one lockstep treats
// as production without a policy file: production, prod or prd, in any case.
func ProductionLike(env string) bool {
	switch strings.ToLower(strings.TrimSpace(env)) {
	case "production", "prod", "prd":
		return true
	}
	return false
}
