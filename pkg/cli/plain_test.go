package cli

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// At a terminal the local summary is plain text; piped (or in a file) it
// stays Markdown.
func TestLocalSummaryIsPlainTextAtATerminal(t *testing.T) {
	r := newGitRepo(t, monorepoFixture, nil)
	r.commit(map[string]string{"infra/db/extra.tf": "# committed\n"})
	run := func(terminal bool) string {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), Env{
			Args:   []string{"detect"},
			Stdout: &stdout, Stderr: &stderr,
			Getwd:            func() (string, error) { return r.dir, nil },
			StdoutIsTerminal: func() bool { return terminal },
		})
		require.Equal(t, 0, code, "%s", stderr.String())
		return stdout.String()
	}
	md, plain := run(false), run(true)
	require.Contains(t, md, "### ")
	require.Contains(t, md, "`infra/db`")
	assert.NotContains(t, plain, "### ")
	assert.NotContains(t, plain, "`")
	assert.NotContains(t, plain, "| --- |")
	assert.Contains(t, plain, "infra/db")
}
