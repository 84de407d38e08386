package actions

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runnerFiles points the file commands at temp files, as the runner does.
func runnerFiles(t *testing.T) (func(string) string, map[string]string) {
	dir := t.TempDir()
	files := map[string]string{}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		files[name] = p
	}
	return func(k string) string { return files[k] }, files
}

func read(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestMaskerRedactsLongestFirst(t *testing.T) {
	m := NewMasker()
	assert.Equal(t, []string{"abc", "abcdef"}, m.Add("abc", "abcdef", "abc", ""))
	assert.Equal(t, "x *** y ***", m.Redact("x abcdef y abc"))
	assert.Empty(t, m.Add("abc"))
}

func TestActionMaskComesFirstAndPerLine(t *testing.T) {
	getenv, files := runnerFiles(t)
	var out bytes.Buffer
	r := NewActionReporter(&out, getenv)
	r.Mask("s3cr3t-value", "line-one\nline-two")
	r.Mask("s3cr3t-value") // already masked: no second ::add-mask::
	r.Printf("password is s3cr3t-value")
	_, _ = r.Log().Write([]byte("partial line-two"))
	r.Flush()
	require.NoError(t, r.SetOutput("note", "has s3cr3t-value inside"))
	require.NoError(t, r.Summary("summary s3cr3t-value\n"))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, "::add-mask::s3cr3t-value", lines[0])
	assert.Equal(t, "::add-mask::line-one", lines[1])
	assert.Equal(t, "::add-mask::line-two", lines[2])
	assert.Equal(t, "password is ***", lines[3])
	assert.Equal(t, "partial ***", lines[4])
	assert.NotContains(t, read(t, files["GITHUB_OUTPUT"]), "s3cr3t")
	assert.Contains(t, read(t, files["GITHUB_OUTPUT"]), "has *** inside")
	assert.Equal(t, "summary ***\n\n", read(t, files["GITHUB_STEP_SUMMARY"]))
}

func TestLogNeutralisesWorkflowCommands(t *testing.T) {
	getenv, _ := runnerFiles(t)
	var out bytes.Buffer
	r := NewActionReporter(&out, getenv)
	_, _ = r.Log().Write([]byte("ok line\n  ::add-mask::x\n::error::spoofed\nnot::a command\n"))
	got := out.String()
	assert.NotContains(t, got, "\n  ::add-mask")
	assert.NotRegexp(t, `(?m)^\s*::`, got)
	assert.Contains(t, got, "not::a command")
	assert.Contains(t, got, "  :\u200b:add-mask::x")
}

// Writing a string gives what writing its bytes gives, however the text is
// split between writes: whole lines redacted, commands neutralised, the last
// partial line held until it ends or the log is flushed.
func TestLogWriteStringMatchesWrite(t *testing.T) {
	text := "plan line with s3cr3t\n::error::spoof\n  half a s3c" + "r3t line\nlast partial s3cr3t"
	for _, cuts := range [][]int{nil, {5}, {22}, {40, 41}, {3, 30, 50, 60}} {
		outs := [2]bytes.Buffer{}
		for k, asString := range []bool{false, true} {
			r := NewActionReporter(&outs[k], func(string) string { return "" })
			r.Mask("s3cr3t")
			outs[k].Reset()
			prev := 0
			for _, c := range append(cuts, len(text)) {
				if asString {
					_, _ = io.WriteString(r.Log(), text[prev:c])
				} else {
					_, _ = r.Log().Write([]byte(text[prev:c]))
				}
				prev = c
			}
			r.Flush()
		}
		assert.Equal(t, outs[0].String(), outs[1].String(), "cuts %v", cuts)
		assert.NotContains(t, outs[1].String(), "s3cr3t")
		assert.Contains(t, outs[1].String(), "half a *** line\n")
		assert.Contains(t, outs[1].String(), ":\u200b:error::spoof\n")
	}
}

func TestAnnotation(t *testing.T) {
	getenv, _ := runnerFiles(t)
	var out bytes.Buffer
	r := NewActionReporter(&out, getenv)
	r.Annotate(Annotation{Level: "error", File: "infra/main.tf", Line: 3, Col: 5, EndLine: 3, EndColumn: 9,
		Title: "Unsupported argument", Message: "An argument named \"x\" is not expected here.\nSecond line, with: colons"})
	assert.Equal(t, "::error col=5,endColumn=9,endLine=3,file=infra/main.tf,line=3,title=Unsupported argument::An argument named \"x\" is not expected here.%0ASecond line, with: colons\n", out.String())
}

func TestAnnotationPropertiesEscaped(t *testing.T) {
	getenv, _ := runnerFiles(t)
	var out bytes.Buffer
	r := NewActionReporter(&out, getenv)
	r.Annotate(Annotation{Level: "warning", File: "a,b:c.tf", Title: "t: x, y", Message: "m"})
	assert.Equal(t, "::warning file=a%2Cb%3Ac.tf,title=t%3A x%2C y::m\n", out.String())
}

func TestFileCommandWithoutRunnerIsAnError(t *testing.T) {
	var out bytes.Buffer
	r := NewActionReporter(&out, func(string) string { return "" })
	err := r.SetOutput("x", "y")
	require.EqualError(t, err, "setting output x: GITHUB_OUTPUT is not set; is this running as a GitHub Action?")
	assert.Equal(t, "y", r.Outputs()["x"])
}

func TestLocalReporter(t *testing.T) {
	var stderr, summary bytes.Buffer
	r := NewLocalReporter(&stderr, &summary)
	r.Mask("topsecret")
	r.Annotate(Annotation{Level: "error", File: "main.tf", Line: 2, Col: 1, Title: "Bad", Message: "it is topsecret"})
	require.NoError(t, r.Summary("# hi topsecret\n"))
	require.NoError(t, r.SetOutput("a", "b"))
	assert.Equal(t, "main.tf:2:1: error: Bad: it is ***\n", stderr.String())
	assert.Equal(t, "# hi ***\n", summary.String())
	assert.NotContains(t, stderr.String(), "add-mask")
}

func TestStartsCommand(t *testing.T) {
	for s, want := range map[string]bool{
		"::error::x\n": true, "ok\n  \t::warning::y\n": true, "arn:aws:iam::123:role/x\n": false,
		"a\nb::c\n": false, "": false, "::": true, "x ::y": false,
	} {
		assert.Equal(t, want, startsCommand(s), "%q", s)
	}
}
