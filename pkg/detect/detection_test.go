package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// matrixDirs are the directories of a stacks matrix, in order.
func matrixDirs(t *testing.T, stacks string) []string {
	t.Helper()
	var m struct {
		Include []struct {
			Directory   string `json:"directory"`
			Environment string `json:"environment"`
		} `json:"include"`
	}
	require.NoError(t, json.Unmarshal([]byte(stacks), &m), "stacks output %q", stacks)
	dirs := []string{}
	for _, e := range m.Include {
		dirs = append(dirs, e.Directory)
	}
	return dirs
}

func TestStacksMatrixSplitsPastGitHubsLimit(t *testing.T) {
	for _, n := range []int{0, 1, 256, 257, 600, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			stacks := make([]string, n)
			for i := range stacks {
				stacks[i] = fmt.Sprintf("stacks/s%04d", i)
			}
			m := StacksMatrix(stacks, "prod")
			entries := matrixDirs(t, m)
			assert.LessOrEqual(t, len(entries), MaxMatrix)
			var got []string
			for _, e := range entries {
				got = append(got, strings.Split(e, "\n")...)
			}
			if n == 0 {
				assert.Equal(t, EmptyMatrix, m)
				return
			}
			assert.Equal(t, stacks, got, "every stack once, in order")
			if n <= MaxMatrix {
				assert.Len(t, entries, n, "one entry per stack up to the limit")
			}
		})
	}
}

func TestQuoteGlob(t *testing.T) {
	for _, dir := range []string{".", "infra/app", "odd[1]/x*y?", `we{ir}d\dir`} {
		got := MatchDirs([]string{QuoteGlob(dir)}, []string{dir, "infra/other", "odd1/xay"})
		assert.Equal(t, []string{dir}, got, "%q", dir)
	}
}

func TestSplitByExistence(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "a"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "a", "x.tf"), nil, 0o644))
	cs := SplitByExistence(root, []string{"a/x.tf", "b/gone.tf", "a/x.tf"})
	assert.Equal(t, []string{"a/x.tf"}, cs.Files)
	assert.Equal(t, []string{"b/gone.tf"}, cs.Deleted)
	assert.True(t, slices.IsSorted(cs.Files))
}

// repo is a small repository: stacks infra/app (calling modules/tags) and
// infra/db, a shared tfvars file, an app directory and docs/ without
// Terraform.
func repo() fstest.MapFS {
	return fstest.MapFS{
		"infra/app/main.tf":    {Data: []byte("module \"tags\" {\n  source = \"../../modules/tags\"\n}\n")},
		"infra/db/main.tf":     {Data: []byte("# db\n")},
		"modules/tags/main.tf": {Data: []byte("# tags\n")},
		"shared/common.tfvars": {Data: []byte("x = 1\n")},
		"app/main.go":          {Data: []byte("package main\n")},
		"docs/README.md":       {Data: []byte("# docs\n")},
	}
}

func changes(files ...string) func() (*ChangeSet, error) {
	return func() (*ChangeSet, error) { return &ChangeSet{Source: "test", Files: files}, nil }
}

func TestDetect(t *testing.T) {
	dependsOn := map[string][]string{"infra/app": {"infra/db"}}
	tests := []struct {
		name         string
		req          Request
		wantChanged  []string
		wantLayers   [][]string
		wantReasons  map[string][]string
		wantExternal []Dependency
		infra, app   bool
		wantUniverse string
	}{
		{name: "a module change changes its caller", req: Request{ListChanges: changes("modules/tags/main.tf"), DependsOn: dependsOn},
			wantChanged: []string{"infra/app"}, wantLayers: [][]string{{"infra/app"}}, infra: true, app: true,
			wantReasons:  map[string][]string{"infra/app": {ModuleReason + "modules/tags"}},
			wantExternal: []Dependency{{Stack: "infra/app", On: "infra/db"}},
			wantUniverse: "every directory with Terraform files that no other calls as a module"},
		{name: "both stacks, in depends-on order", req: Request{ListChanges: changes("infra/app/main.tf", "infra/db/main.tf"), DependsOn: dependsOn},
			wantChanged: []string{"infra/app", "infra/db"}, wantLayers: [][]string{{"infra/db"}, {"infra/app"}}, infra: true, app: true},
		{name: "app paths only", req: Request{ListChanges: changes("app/main.go"), AppGlobs: []string{"app/**"}},
			app: true},
		{name: "app paths not matched", req: Request{ListChanges: changes("docs/README.md"), AppGlobs: []string{"app/**"}}},
		{name: "an infra-paths match outside every stack changes every stack",
			req:         Request{ListChanges: changes("shared/common.tfvars"), InfraGlobs: []string{"shared/**"}},
			wantChanged: []string{"infra/app", "infra/db"}, wantLayers: [][]string{{"infra/app", "infra/db"}}, infra: true, app: true,
			wantReasons: map[string][]string{"infra/app": {"infra-paths shared/common.tfvars"}, "infra/db": {"infra-paths shared/common.tfvars"}}},
		{name: "a change that cannot be listed changes every stack, and the app",
			req:         Request{ListChanges: func() (*ChangeSet, error) { return &ChangeSet{Source: "test", Everything: "no base"}, nil }, AppGlobs: []string{"app/**"}},
			wantChanged: []string{"infra/app", "infra/db"}, wantLayers: [][]string{{"infra/app", "infra/db"}}, infra: true, app: true,
			wantReasons: map[string][]string{"infra/app": {"every stack counts as changed: no base"}, "infra/db": {"every stack counts as changed: no base"}}},
		{name: "the named working directories are the stacks", req: Request{Explicit: []string{"infra/db"}, ListChanges: changes("infra/app/main.tf")},
			app: true, wantUniverse: "the working-directory input"},
		{name: "the policy file's stacks globs", req: Request{StackGlobs: []string{"infra/*"}, PolicyName: ".lockstep.yml", ListChanges: changes("infra/db/main.tf")},
			wantChanged: []string{"infra/db"}, wantLayers: [][]string{{"infra/db"}}, infra: true, app: true, wantUniverse: "the stacks globs of .lockstep.yml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.FS = repo()
			d, err := Detect(tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.wantChanged, d.Changed)
			assert.Equal(t, tt.wantLayers, d.Layers)
			assert.Equal(t, tt.infra, d.InfraChanged, "infra changed")
			assert.Equal(t, tt.app, d.AppChanged, "app changed")
			if tt.wantReasons != nil {
				assert.Equal(t, tt.wantReasons, d.Reasons)
			}
			if tt.wantExternal != nil {
				assert.Equal(t, tt.wantExternal, d.External)
			}
			if tt.wantUniverse != "" {
				assert.Equal(t, tt.wantUniverse, d.Universe)
			}
		})
	}
}

func TestDetectRootModuleAndDeletedStacks(t *testing.T) {
	fsys := fstest.MapFS{"main.tf": {Data: []byte("# root\n")}, "examples/x/main.tf": {Data: []byte("# x\n")}}
	d, err := Detect(Request{FS: fsys, ListChanges: changes("examples/x/main.tf")})
	require.NoError(t, err)
	assert.Equal(t, "the root module at the repository root", d.Universe)
	assert.Equal(t, []string{"."}, StackDirs(d.Stacks), "only the root: examples are not stacks then")

	// A named stack whose files were all deleted is a deleted stack, not
	// an error.
	d, err = Detect(Request{FS: repo(), Explicit: []string{"infra/db", "infra/gone"},
		ListChanges: func() (*ChangeSet, error) { return &ChangeSet{Deleted: []string{"infra/gone/main.tf"}}, nil }})
	require.NoError(t, err)
	assert.Equal(t, []string{"infra/gone"}, d.Deleted)
	assert.True(t, d.InfraChanged)
}

func TestDetectErrors(t *testing.T) {
	_, err := Detect(Request{FS: repo(), Explicit: []string{"docs", "nowhere", "infra/db"}, ListChanges: changes()})
	var notStacks *NotStacksError
	require.True(t, errors.As(err, &notStacks), "%v", err)
	assert.Equal(t, []NotAStack{{Dir: "docs", Problem: "holds no Terraform files (*.tf, *.tf.json)"}, {Dir: "nowhere", Problem: "is not a directory in the repository"}}, notStacks.Dirs)

	_, err = Detect(Request{FS: repo(), DependsOn: map[string][]string{"infra/app": {"infra/db"}, "infra/db": {"infra/app"}}, ListChanges: changes("infra/db/main.tf")})
	var cycle *CycleError
	require.True(t, errors.As(err, &cycle), "%v", err)

	_, err = Detect(Request{FS: repo(), StackGlobs: []string{"infra/[a"}, ListChanges: changes()})
	var discover *DiscoverError
	require.True(t, errors.As(err, &discover), "%v", err)
	assert.True(t, strings.HasPrefix(err.Error(), "finding the stacks: "))

	listed := false
	_, err = Detect(Request{FS: repo(), StackGlobs: []string{"infra/[a"}, ListChanges: func() (*ChangeSet, error) { listed = true; return &ChangeSet{}, nil }})
	require.Error(t, err)
	assert.False(t, listed, "nothing is listed when the stacks cannot be found")

	boom := errors.New("boom")
	_, err = Detect(Request{FS: repo(), ListChanges: func() (*ChangeSet, error) { return nil, boom }})
	assert.ErrorIs(t, err, boom)
}

// A Pulumi project or a CloudFormation template is a whole directory: the
// named working directories are the stacks without any Terraform file, a
// stack changed when any file under it did, the stacks globs match plain
// directories, and with neither the repository root is the one stack.
func TestDetectWholeDirectories(t *testing.T) {
	fsys := fstest.MapFS{
		"cfn/stack.yaml":      {Data: []byte("Resources: {}\n")},
		"cfn/params.json":     {Data: []byte("{}\n")},
		"pulumi/Pulumi.yaml":  {Data: []byte("name: shop\n")},
		"stacks/a/stack.yaml": {Data: []byte("Resources: {}\n")},
		"stacks/b/stack.yaml": {Data: []byte("Resources: {}\n")},
		"app/main.go":         {Data: []byte("package main\n")},
	}
	d, err := Detect(Request{FS: fsys, Explicit: []string{"cfn", "pulumi"}, WholeDirectories: true, ListChanges: changes("cfn/params.json")})
	require.NoError(t, err)
	assert.Equal(t, []string{"cfn", "pulumi"}, StackDirs(d.Stacks))
	assert.Equal(t, []string{"cfn"}, d.Changed)
	assert.Equal(t, []string{"cfn/params.json"}, d.Reasons["cfn"])

	d, err = Detect(Request{FS: fsys, StackGlobs: []string{"stacks/*"}, WholeDirectories: true, ListChanges: changes("stacks/b/stack.yaml")})
	require.NoError(t, err)
	assert.Equal(t, []string{"stacks/a", "stacks/b"}, StackDirs(d.Stacks))
	assert.Equal(t, []string{"stacks/b"}, d.Changed)

	d, err = Detect(Request{FS: fsys, WholeDirectories: true, ListChanges: changes("app/main.go")})
	require.NoError(t, err)
	assert.Equal(t, []string{"."}, StackDirs(d.Stacks))
	assert.Equal(t, []string{"."}, d.Changed, "the root holds every file")

	_, err = Detect(Request{FS: fsys, Explicit: []string{"nowhere"}, WholeDirectories: true, ListChanges: changes()})
	var bad *NotStacksError
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "working-directory: nowhere is not a directory in the repository", err.Error())
}
