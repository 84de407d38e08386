package cli

import (
	"go/ast"
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

// The commands name no engine either: what differs between engines is in
// pkg/engine (the Engine interface, engine.TraitsOf) and in engine.go's
// wiring, so a new engine edits no command. engine.go alone may name the
// engines and import their adapters.
func TestCommandsNameNoEngine(t *testing.T) {
	names := map[string]bool{"Terraform": true, "OpenTofu": true, "Pulumi": true, "CloudFormation": true}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "engine.go" {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			assert.False(t, strings.HasPrefix(path, "github.com/lockstep-ci/lockstep/pkg/engine/"), "%s imports the adapter %s: only engine.go wires adapters", f, path)
		}
		ast.Inspect(parsed, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "engine" && names[sel.Sel.Name] {
				t.Errorf("%s names engine.%s: put what differs in pkg/engine (Traits, the Engine interface) or engine.go", f, sel.Sel.Name)
			}
			return true
		})
	}
}
