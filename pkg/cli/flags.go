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

// parseFlags parses a local command's flags. --help writes the command's
// help to stdout and returns errHelp; a misuse returns an error whose one
// line points to --help (the caller prints it and exits 2).
func parseFlags(command string, args []string, stdout io.Writer) (*localFlags, error) {
	f := &localFlags{values: map[string]*inputValue{}}
	fs := flag.NewFlagSet("lockstep "+command, flag.ContinueOnError)
	// The flag package would print its own error and usage; lockstep prints
	// one line (the caller) or the command's help (below).
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
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
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "Approve the apply without a prompt.")
	fs.StringVar(&f.summaryFile, "summary-file", "", "Write the Markdown summary to this file instead of stdout.")
	fs.StringVar(&f.commentFile, "comment-file", "", "Write the pull request comment's body to this file.")
	fs.BoolVar(&f.json, "json", false, "Print JSON.")
	fs.StringVar(&f.to, "to", "", "The app version to roll back to.")
	fs.BoolVar(&f.force, "force", false, "Roll back to a version that never ran on the current infrastructure.")
	fs.BoolVar(&f.changed, "changed", false, "Plan or apply only the stacks detect reports as changed.")
	fs.StringVar(&f.stateDir, "state-dir", ".lockstep", "The directory of the local deployment ledger.")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeCommandHelp(stdout, command, fs)
			return nil, errHelp
		}
		return nil, unknownFlag(fs, command, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every option is a --flag (lockstep %s --help lists them)", fs.Arg(0), command)
	}
	cmd := &inputValue{}
	_ = cmd.Set(command)
	f.values["command"] = cmd
	return f, nil
}

// writeCommandHelp prints what the command does, the flags it reads and an
// example.
func writeCommandHelp(w io.Writer, command string, fs *flag.FlagSet) {
	doc := commandDocs[command]
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: lockstep %s [--flag value]...\n\n", command)
	if doc.summary != "" {
		b.WriteString(wrap(doc.summary, 78, "") + "\n\n")
	}
	b.WriteString("Flags:\n")
	for _, name := range append(append([]string{}, doc.inputs...), doc.local...) {
		fl := fs.Lookup(name)
		if fl == nil {
			continue
		}
		b.WriteString("  --" + name)
		switch {
		case isBoolFlag(fl):
		case listInputs[name]:
			b.WriteString(" value (repeat it for more)")
		default:
			b.WriteString(" value")
		}
		usage := fl.Usage
		if _, input := fs.Lookup(name).Value.(*inputValue); !input && !isBoolFlag(fl) && fl.DefValue != "" {
			usage += fmt.Sprintf(" (default %q)", fl.DefValue)
		}
		b.WriteString("\n" + wrap(usage, 78, "        ") + "\n")
	}
	if doc.example != "" {
		b.WriteString("\nExample:\n  " + doc.example + "\n")
	}
	b.WriteString("\nEach input flag is the action input of the same name (README: Inputs); the GitHub token\n" +
		"comes from GITHUB_TOKEN or GH_TOKEN. \"lockstep --help\" lists the commands.\n")
	_, _ = io.WriteString(w, b.String())
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// wrap breaks s into lines of at most width runes (a longer word stays
// whole), each starting with indent.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(s) {
		if line != indent && len([]rune(line))+1+len([]rune(word)) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}

// unknownFlag turns the flag package's "flag provided but not defined:
// -x" into an error naming the closest flag; other errors pass through.
func unknownFlag(fs *flag.FlagSet, command string, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		// "flag needs an argument: -x", "invalid boolean value ...": the
		// flag package writes flags with one dash; lockstep's have two.
		msg := strings.Replace(err.Error(), ": -", ": --", 1)
		return fmt.Errorf("%s (lockstep %s --help lists the flags)", msg, command)
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
