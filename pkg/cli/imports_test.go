package cli

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The commands know engines only through pkg/engine: no file of this
// package may import an engine's own packages, so that adding an engine is
// one adapter and one line in engine.go's wiring, never an edit to a
// command.
func TestCommandsDoNotImportEngines(t *testing.T) {
	forbidden := []string{
		"github.com/lockstep-ci/lockstep/pkg/terraform",
		"github.com/hashicorp/terraform-exec",
		"github.com/hashicorp/terraform-json",
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				assert.False(t, path == bad || strings.HasPrefix(path, bad+"/"), "%s imports %s: go through pkg/engine", f, path)
			}
		}
	}
}
