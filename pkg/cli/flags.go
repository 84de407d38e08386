package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/config"
)

var errHelp = errors.New("help requested")

// listInputs are newline-separated in action mode; as flags they repeat
// (--var-files a.tfvars --var-files b.tfvars).
var listInputs = map[string]bool{
	"working-directory": true, "var-files": true, "backend-config": true,
	"smoke-urls": true, "metrics-queries": true, "infra-paths": true, "app-paths": true, "secret-env": true,
}

// boolInputs may be given as a bare flag (--allow-destroy).
var boolInputs = map[string]bool{"allow-destroy": true}

// localFlags are the parsed command-line flags: the action's inputs plus the
// options that only make sense at a terminal.
type localFlags struct {
	values map[string]*inputValue

	autoApprove bool
	summaryFile string
	commentFile string
	json        bool
	to          string
	force       bool
	changed     bool
	stateDir    string
}

// lookup gives config.Load the flag values; the command comes from the
// command name.
func (f *localFlags) lookup(name string) (string, bool) {
	v, ok := f.values[name]
	if !ok || !v.set {
		return "", false
	}
	return v.String(), true
}

// inputValue is one input as a flag.Value.
type inputValue struct {
	list   bool
	isBool bool
	set    bool
	vals   []string
}

func (v *inputValue) String() string {
	if v == nil {
		return ""
	}
	return strings.Join(v.vals, "\n")
}

func (v *inputValue) Set(s string) error {
	if !v.list {
		v.vals = v.vals[:0]
	}
	v.vals = append(v.vals, s)
	v.set = true
	return nil
}

func (v *inputValue) IsBoolFlag() bool { return v.isBool }

func parseFlags(command string, args []string, stderr io.Writer) (*localFlags, error) {
	f := &localFlags{values: map[string]*inputValue{}}
	fs := flag.NewFlagSet("lockstep "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, in := range config.Inputs {
		if in.Name == "command" || in.Name == "github-token" {
			// Locally the token comes from GITHUB_TOKEN or GH_TOKEN, as gh's
			// does, never from a flag that lands in shell history.
			continue
		}
		v := &inputValue{list: listInputs[in.Name], isBool: boolInputs[in.Name]}
		f.values[in.Name] = v
		usage := in.Description
		if in.Default != "" && !strings.HasPrefix(in.Default, "${{") {
			usage += fmt.Sprintf(" (default %q)", in.Default)
		}
		fs.Var(v, in.Name, usage)
	}
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "approve the apply without a prompt")
	fs.StringVar(&f.summaryFile, "summary-file", "", "write the Markdown summary to this file instead of stdout")
	fs.StringVar(&f.commentFile, "comment-file", "", "write the PR comment body to this file")
	fs.BoolVar(&f.json, "json", false, "print JSON (history)")
	fs.StringVar(&f.to, "to", "", "app version to roll back to (rollback)")
	fs.BoolVar(&f.force, "force", false, "roll back to a version that never ran on the current infra (rollback)")
	fs.BoolVar(&f.changed, "changed", false, "plan or apply the stacks detect reports as changed")
	fs.StringVar(&f.stateDir, "state-dir", ".lockstep", "directory of the local deployment ledger")
	// A mistyped flag gets one line with the closest flag, not every
	// flag's description; --help prints them all.
	help := false
	fs.Usage = func() {
		if help {
			fmt.Fprintf(stderr, "Usage: lockstep %s [--flag value]...\n\nFlags (the action's inputs, and the terminal's own options):\n", command)
			fs.PrintDefaults()
		}
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			help = true
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, unknownFlag(fs, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every option is a --flag", fs.Arg(0))
	}
	cmd := &inputValue{}
	_ = cmd.Set(command)
	f.values["command"] = cmd
	return f, nil
}

// unknownFlag turns the flag package's "flag provided but not defined:
// -x" into an error naming the closest flag; other errors pass through.
func unknownFlag(fs *flag.FlagSet, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err
	}
	name = strings.TrimPrefix(name, "-")
	best, bestDist := "", 4 // suggest only near misses
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(name, f.Name); d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	msg := fmt.Sprintf("unknown flag --%s", name)
	if best != "" {
		msg += fmt.Sprintf("; did you mean --%s?", best)
	}
	return fmt.Errorf("%s (--help lists the flags)", msg)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
