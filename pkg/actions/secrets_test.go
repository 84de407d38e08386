package actions

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A sensitive JSON map spans lines; its "{" and "}" lines must not be
// announced to the runner (it would blank every brace of every output and
// drop outputs-json), yet the whole map is still replaced.
func TestMaskSkipsLinesNotWorthMasking(t *testing.T) {
	getenv, files := runnerFiles(t)
	var out bytes.Buffer
	r := NewActionReporter(&out, getenv)
	secret := "{\n  \"db\": \"hunter2-long\",\n  \"ok\": true\n],\n}"
	r.Mask(secret, "ab", "{}", "true")
	require.NoError(t, r.SetOutput("outputs-json", `{"name":{"value":"web"}}`))
	r.Printf("map: %s", secret)
	r.Flush()

	assert.Equal(t, "::add-mask::\"db\": \"hunter2-long\",\n::add-mask::\"ok\": true\nmap: ***\n", out.String())
	assert.Contains(t, read(t, files["GITHUB_OUTPUT"]), "\n{\"name\":{\"value\":\"web\"}}\n")
}

// Secrets are replaced in JSON bodies too, where quotes and newlines are
// escaped.
func TestMaskerRedactsJSONEscapedForm(t *testing.T) {
	m := NewMasker()
	m.Add("pa\"ss\nword-<x>")
	assert.Equal(t, `{"body":"***"}`, m.Redact(`{"body":"pa\"ss\nword-<x>"}`))
}

func TestFileCommandsUseARandomDelimiterPerWrite(t *testing.T) {
	getenv, files := runnerFiles(t)
	r := NewActionReporter(&bytes.Buffer{}, getenv)
	require.NoError(t, r.SetOutput("a", "one"))
	require.NoError(t, r.SetOutput("b", "two"))
	lines := strings.Split(read(t, files["GITHUB_OUTPUT"]), "\n")
	require.Len(t, lines, 7) // two entries of three lines, then the final newline
	first, second := strings.TrimPrefix(lines[0], "a<<"), strings.TrimPrefix(lines[3], "b<<")
	assert.Regexp(t, `^ghadelimiter_[0-9a-f]{32}$`, first)
	assert.Regexp(t, `^ghadelimiter_[0-9a-f]{32}$`, second)
	assert.NotEqual(t, first, second)
	assert.Equal(t, []string{"one", first, "two", second, ""}, []string{lines[1], lines[2], lines[4], lines[5], lines[6]})
}

// A value that holds the delimiter (or the library's old fixed one, which
// lockstep no longer uses) cannot end its entry early and set another.
func TestFileCommandRefusesAValueHoldingTheDelimiter(t *testing.T) {
	getenv, files := runnerFiles(t)
	r := NewActionReporter(&bytes.Buffer{}, getenv)
	r.delimiter = func() (string, error) { return "ghadelimiter_fixed", nil }

	err := r.SetOutput("app-version", "v1\nghadelimiter_fixed\nPATH=/evil")
	require.EqualError(t, err, `setting output app-version: the value of app-version contains the file command delimiter "ghadelimiter_fixed": refusing to write it`)
	err = r.SetEnv("X", "ghadelimiter_fixed")
	require.EqualError(t, err, `exporting X: the value of X contains the file command delimiter "ghadelimiter_fixed": refusing to write it`)
	err = r.SetEnv("A\nB", "v")
	require.EqualError(t, err, `exporting A
B: name "A\nB" is not a valid file command key (empty, or holds a line break, = or <<)`)
	assert.Empty(t, read(t, files["GITHUB_OUTPUT"]))
	assert.Empty(t, read(t, files["GITHUB_ENV"]))

	require.NoError(t, r.SetOutput("ok", "x\n_GitHubActionsFileCommandDelimeter_\nPATH=/evil"))
	assert.Equal(t, "ok<<ghadelimiter_fixed\nx\n_GitHubActionsFileCommandDelimeter_\nPATH=/evil\nghadelimiter_fixed\n", read(t, files["GITHUB_OUTPUT"]))
}
