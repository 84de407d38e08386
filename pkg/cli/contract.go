package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/config"
)

// RequiresFile lists, one per line, the stack outputs the app needs when
// the requires-outputs input is not given. It lives at the repository
// root; # starts a comment.
const RequiresFile = "lockstep-requires.txt"

// requiredOutputs are the outputs the app needs and where that list comes
// from: the requires-outputs input, else RequiresFile. None when neither
// names any.
func requiredOutputs(a *app) (names []string, source string, err error) {
	if len(a.cfg.RequiresOutputs) > 0 {
		return a.cfg.RequiresOutputs, "the input requires-outputs", nil
	}
	path := filepath.Join(a.gh.Workspace, RequiresFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", RequiresFile, err)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		n, _, _ := strings.Cut(sc.Text(), "#")
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		if !config.OutputNameRE.MatchString(n) {
			return nil, "", &badInput{fmt.Errorf("%s:%d: %q is not an output name (letters, digits, _ and -, not starting with a digit; one name per line)", RequiresFile, line, n)}
		}
		seen[n] = true
		names = append(names, n)
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", RequiresFile, err)
	}
	return names, RequiresFile, nil
}

// contractError names the outputs the app needs that the infrastructure
// does not provide.
type contractError struct {
	Dir     string
	Source  string   // where the list came from
	Missing []string // not among the stack's non-sensitive outputs
	Null    []string // present, with a null value
}

func (e *contractError) Error() string {
	var parts []string
	for _, n := range e.Missing {
		parts = append(parts, n+" (missing)")
	}
	for _, n := range e.Null {
		parts = append(parts, n+" (null)")
	}
	return fmt.Sprintf("the app needs outputs that the infrastructure of %s does not provide: %s (listed in %s); "+
		"apply the change that creates them before deploying this app, or remove them from the list. "+
		"A sensitive output counts as missing: lockstep never hands one to the deploy",
		e.Dir, strings.Join(parts, ", "), e.Source)
}

// checkContract refuses (infra-contract) when a required output is
// missing from outputs or null, naming each.
func checkContract(dir string, required []string, source string, outputs map[string]json.RawMessage) error {
	e := &contractError{Dir: dir, Source: source}
	for _, n := range required {
		v, ok := outputs[n]
		switch {
		case !ok:
			e.Missing = append(e.Missing, n)
		case isNull(v):
			e.Null = append(e.Null, n)
		}
	}
	if len(e.Missing)+len(e.Null) == 0 {
		return nil
	}
	return refuse("infra-contract", e)
}

func isNull(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) == 0 || string(t) == "null"
}

// outputNames are the names of outputs, sorted: what the deployment
// records it ran against.
func outputNames(outputs map[string]json.RawMessage) []string {
	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
