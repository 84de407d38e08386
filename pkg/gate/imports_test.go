package gate

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

// The gate decides through its interfaces only: no file of it talks to
// GitHub's API, the runner, the file system or an engine itself, so that
// its decisions are what its unit tests see, and pkg/cli is the one place
// that wires concrete types in.
func TestGateDependsOnItsInterfacesOnly(t *testing.T) {
	forbidden := []string{
		"github.com/google/go-github",
		"net/http",
		"os",
		"os/exec",
		"github.com/lockstep-ci/lockstep/pkg/cli",
		"github.com/lockstep-ci/lockstep/pkg/actions",
		"github.com/lockstep-ci/lockstep/pkg/config",
		"github.com/lockstep-ci/lockstep/pkg/engine",
		"github.com/lockstep-ci/lockstep/pkg/terraform",
		"github.com/lockstep-ci/lockstep/pkg/pipeline",
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
				assert.False(t, path == bad || strings.HasPrefix(path, bad+"/"), "%s imports %s: the gate reads GitHub and files through its interfaces", f, path)
			}
		}
	}
}
