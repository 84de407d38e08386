package childenv

import (
	"os"
	"strings"
)

// Stripped lists the variables no child ever sees, by name: the runner's
// cache and artifact credentials, the plan encryption key, the approver
// token (LOCKSTEP_APPROVER_TOKEN, for team reads) and the tokens
// the GitHub CLI and lockstep's CLI mode read. Every INPUT_* variable (the
// action's inputs, github-token among them) is stripped too.
var Stripped = []string{
	"ACTIONS_RUNTIME_TOKEN",
	"ACTIONS_RUNTIME_URL",
	"ACTIONS_CACHE_URL",
	"ACTIONS_RESULTS_URL",
	"LOCKSTEP_PLAN_KEY",
	"LOCKSTEP_APPROVER_TOKEN",
	"GITHUB_TOKEN",
	"GH_TOKEN",
}

// Kept is for the README and the tests: variables a child keeps on purpose.
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN let
// providers (AWS, Azure, Google, Vault) get an OIDC token for the job when
// the workflow grants id-token: write; they can only mint identity tokens,
// not act on the repository.
var Kept = []string{"ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}

// Filter returns environ (KEY=value entries) without what a child must not
// inherit: INPUT_* variables, the Stripped names, and any variable whose
// value is one of tokens (the GitHub token, wherever else the workflow put
// it). Empty tokens are ignored.
func Filter(environ []string, tokens ...string) []string {
	secret := map[string]bool{}
	for _, t := range tokens {
		if t != "" {
			secret[t] = true
		}
	}
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !allowed(k) || secret[v] {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func allowed(name string) bool {
	if strings.HasPrefix(strings.ToUpper(name), "INPUT_") {
		return false
	}
	for _, s := range Stripped {
		if strings.EqualFold(name, s) {
			return false
		}
	}
	return true
}

// Environ is Filter applied to this process's environment.
func Environ(tokens ...string) []string { return Filter(os.Environ(), tokens...) }

// Scrub removes from this process's environment what Filter would drop, so
// that a child started by a library that passes the whole environment on
// (terraform-exec: its SetEnv refuses TF_VAR_* and the inherited ones only
// pass through without it) inherits the filtered one. Call it once, after
// reading the inputs, before starting any child. It returns the removed
// names.
func Scrub(tokens ...string) ([]string, error) {
	environ := os.Environ()
	kept := map[string]bool{}
	for _, kv := range Filter(environ, tokens...) {
		k, _, _ := strings.Cut(kv, "=")
		kept[k] = true
	}
	var removed []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if kept[k] {
			continue
		}
		if err := os.Unsetenv(k); err != nil {
			return removed, err
		}
		removed = append(removed, k)
	}
	return removed, nil
}
