package e2e

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateAnnotatesEveryProblem(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("invalid", "infra/bad")

	r := w.action(map[string]string{"command": "validate", "working-directory": "infra/bad"})
	assert.Equal(t, 1, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)

	// fmt: the unformatted file, relative to the repository root.
	assert.Regexp(t, `(?m)^::error file=infra/bad/main\.tf,title=`+engineName(t)+` file is not formatted::run .`+engineCommand(t)+` fmt. in infra/bad`, r.stdout)
	assert.NotContains(t, r.stdout, "file=infra/bad/ok.tf,title="+engineName(t)+" file is not formatted")

	// validate: each diagnostic at its file, line and column range.
	diag := regexp.MustCompile(`(?m)^::error col=(\d+),endColumn=(\d+),endLine=(\d+),file=infra/bad/main\.tf,line=(\d+),title=([^:]+)::`)
	found := map[string]bool{}
	for _, m := range diag.FindAllStringSubmatch(r.stdout, -1) {
		found[m[5]] = true
	}
	assert.True(t, found["Unsupported argument"], "stdout:\n%s", r.stdout)
	assert.True(t, found["Reference to undeclared resource"], "stdout:\n%s", r.stdout)
	assert.Contains(t, r.stdout, "::error col=3,endColumn=19,endLine=3,file=infra/bad/main.tf,line=3,title=Unsupported argument::")

	// The job summary lists every problem.
	assert.Contains(t, r.summary, "infra/bad/main.tf:3")
	assert.Contains(t, r.summary, "Unsupported argument")
	assert.Contains(t, r.summary, "Reference to undeclared resource")
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "validate-failed", r.outputs["failure-reason"])
}

func TestValidateClean(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("nochange", "stack")
	r := w.action(map[string]string{"command": "validate", "working-directory": "stack"})
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Contains(t, r.summary, "Valid and formatted")
	assert.Equal(t, "success", r.outputs["result"])
}

func TestBadInputsExit2WithAnnotation(t *testing.T) {
	tests := []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"command": "plan", "smoke-timeout": "soon"}, `::error title=Invalid input::input "smoke-timeout": "soon" is not a duration like 90s or 2m`},
		{map[string]string{"command": "launch"}, `::error title=Invalid input::input "command": "launch" is not a command; valid commands are validate, plan, apply`},
		{map[string]string{}, `::error title=Invalid input::input "command": is required`},
		{map[string]string{"command": "plan", "working-directory": "does/not/exist"}, `input "working-directory": "does/not/exist" is not a directory in the repository`},
		{map[string]string{"command": "plan", "terraform-path": "/nonexistent/terraform"}, `::error title=Invalid input::`},
	}
	for _, tt := range tests {
		w := newWorkspace(t)
		r := w.action(tt.inputs)
		assert.Equal(t, 2, r.code, "inputs %v\nstdout:\n%s\nstderr:\n%s", tt.inputs, r.stdout, r.stderr)
		assert.Contains(t, r.stdout, tt.want)
		assert.NotContains(t, r.stderr, "panic")
	}
}

func TestCLI(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("changes/v1", "infra")
	sha := w.commitAll("init")

	r := w.cli("plan", "--working-directory", "infra", "--environment", "dev", "--terraform-path", w.terraform)
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	add, _, _ := w.terraformCounts("infra", "tfplan")
	assert.Contains(t, r.stdout, fmt.Sprintf("%d to add", add))
	assert.NotContains(t, r.stdout, "::add-mask::")
	record := readFile(t, w.root+"/infra/tfplan.lockstep.json")
	assert.Contains(t, record, `"commit": "`+sha+`"`, "CLI mode binds the plan to git HEAD")

	r = w.cli("plan", "--smoke-timeout", "soon")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `flag --smoke-timeout: "soon" is not a duration like 90s or 2m`)

	r = w.cli("deploy-everything")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `unknown command "deploy-everything"; valid commands: action, apply, cleanup, deploy, detect, drift, gate, help, history, plan, rollback, run, validate, verify, version`)

	r = w.cli("aply")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `unknown command "aply" (did you mean apply?); valid commands: `)

	r = w.cli("plan", "--no-such-flag", "x")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "lockstep plan: unknown flag --no-such-flag (--help lists the flags)")
	assert.NotContains(t, r.stderr, "-working-directory", "a mistyped flag does not dump every flag")

	r = w.cli("plan", "--workng-directory", "infra")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "unknown flag --workng-directory; did you mean --working-directory? (--help lists the flags)")

	r = w.cli("plan", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "Usage: lockstep plan [--flag value]...")
	assert.Contains(t, r.stdout, "\n  --working-directory value")
	assert.Contains(t, r.stdout, "\nExample:\n  lockstep plan ")
	assert.NotContains(t, r.stdout, "--deploy-command", "plan's help lists only the flags plan reads")
}

// validate catches at review time what would fail apply later: a policy
// file with an unknown key, a working directory that does not exist; and
// never calls what it could not check valid.
func TestValidateRefusesWhatApplyWouldRefuse(t *testing.T) {
	w := newWorkspace(t)
	w.fixture("nochange", "infra")
	writeFile(t, w, ".lockstep.yml", "environments:\n  staging:\n    bogus: 1\n")
	r := w.action(map[string]string{"command": "validate", "working-directory": "infra"})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, ".lockstep.yml:3: environments.staging.bogus: unknown key")
	assert.Contains(t, r.summary, "Could not validate")
	assert.NotContains(t, r.summary, "Valid and formatted")

	w = newWorkspace(t)
	r = w.action(map[string]string{"command": "validate", "working-directory": "nope"})
	requireCode(t, 2, r)
	assert.Contains(t, r.stdout, `input "working-directory": "nope" is not a directory in the repository`)
	assert.NotContains(t, r.summary, "Valid and formatted")
}
