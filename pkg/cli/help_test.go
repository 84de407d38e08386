package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/config"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = Main(context.Background(), Env{Args: args, Stdout: &out, Stderr: &errs})
	return code, out.String(), errs.String()
}

// Every command has its help, naming only real flags, and every input is
// read by some command.
func TestEveryCommandHasHelp(t *testing.T) {
	inputs := map[string]bool{}
	for _, in := range config.Inputs {
		inputs[in.Name] = true
	}
	used := map[string]bool{}
	for _, c := range append(slices.Clone(config.Commands), "run") {
		doc, ok := commandDocs[c]
		require.True(t, ok, "%s has no help", c)
		assert.NotEmpty(t, doc.summary, c)
		assert.True(t, strings.HasPrefix(doc.example, "lockstep "+c+" "), "%s: example %q", c, doc.example)
		for _, in := range doc.inputs {
			assert.True(t, inputs[in], "%s: %q is no input", c, in)
			used[in] = true
		}
	}
	for name := range inputs {
		if name != "command" && name != "github-token" {
			assert.True(t, used[name], "input %q is in no command's help", name)
		}
	}
}

// lockstep plan --help prints, on stdout, the usage, what plan does, the
// flags plan reads and no others, and an example; it exits 0.
func TestCommandHelp(t *testing.T) {
	for _, args := range [][]string{{"plan", "--help"}, {"plan", "-h"}, {"help", "plan"}} {
		code, out, errs := runMain(args...)
		assert.Equal(t, ExitOK, code, "%q", args)
		assert.Empty(t, errs, "%q", args)
		assert.True(t, strings.HasPrefix(out, "Usage: lockstep plan [--flag value]...\n\ninit, plan -out and summarise each stack"), "%q:\n%s", args, out)
		for _, want := range []string{
			"\n  --working-directory value (repeat it for more)\n        The Terraform root module",
			"\n  --allow-destroy\n        Allow applying a plan that deletes or replaces resources.",
			"\n  --var-files value (repeat it for more)\n",
			"\n  --comment-file value\n        Write the pull request comment's body to this file.\n",
			"\nExample:\n  lockstep plan --working-directory infra --environment staging",
		} {
			assert.Contains(t, out, want, "%q", args)
		}
		for _, other := range []string{"--deploy-command", "--smoke-urls", "--to ", "--json", "--auto-approve", "--github-token"} {
			assert.NotContains(t, out, other, "%q: plan does not read %s", args, other)
		}
	}
	_, out, _ := runMain("history", "--help")
	assert.Contains(t, out, "\n  --state-dir value\n        The directory of the local deployment ledger. (default \".lockstep\")\n")
}

// lockstep --help lists the commands.
func TestTopHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		code, out, _ := runMain(arg)
		assert.Equal(t, ExitOK, code)
		for _, c := range append(slices.Clone(config.Commands), "run") {
			assert.Contains(t, out, "\n  "+c+" ", arg)
		}
	}
}

// Misuse exits 2 with one line on stderr that points to --help.
func TestMisusePointsToHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, `lockstep: no command given; "lockstep --help" lists the commands`},
		{[]string{"pln"}, `lockstep: unknown command "pln" (did you mean plan?); valid commands: `},
		{[]string{"plan", "--environment"}, "lockstep plan: flag needs an argument: --environment (lockstep plan --help lists the flags)"},
		{[]string{"plan", "extra"}, `lockstep plan: unexpected argument "extra": every option is a --flag (lockstep plan --help lists them)`},
		{[]string{"plan", "--enviroment", "x"}, "lockstep plan: unknown flag --enviroment; did you mean --environment? (--help lists the flags)"},
	}
	for _, tt := range tests {
		code, out, errs := runMain(tt.args...)
		assert.Equal(t, ExitBadInput, code, "%q", tt.args)
		assert.Empty(t, out, "%q", tt.args)
		assert.Equal(t, 1, strings.Count(errs, "\n"), "%q: one line: %q", tt.args, errs)
		assert.True(t, strings.HasPrefix(errs, tt.want), "%q: %q", tt.args, errs)
		assert.Contains(t, errs, "--help", "%q", tt.args)
	}
}
