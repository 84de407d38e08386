package detect

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file deep inside a stack that infra-paths matches is that stack's
// change, not a change outside every stack (which would change them all).
func TestInfraPathsMatchDeepInsideAStackIsThatStacks(t *testing.T) {
	fsys := fstest.MapFS{
		"infra/app/main.tf":                {Data: []byte("resource \"terraform_data\" \"a\" {}\n")},
		"infra/app/files/conf/config.yaml": {Data: []byte("a: 1\n")},
		"infra/db/main.tf":                 {Data: []byte("resource \"terraform_data\" \"d\" {}\n")},
	}
	d, err := Detect(Request{FS: fsys, InfraGlobs: []string{"infra/**"}, ListChanges: changes("infra/app/files/conf/config.yaml")})
	require.NoError(t, err)
	assert.Equal(t, []string{"infra/app"}, d.Changed)
	assert.Equal(t, []string{"infra/app/files/conf/config.yaml"}, d.Reasons["infra/app"])
	assert.Empty(t, d.Reasons["infra/db"])
}

// Past GitHub's limit the stacks are packed evenly: ceil(n/256) a job, so
// 512 stacks are 256 entries of 2 and 600 are 200 of 3 (not 600 of 1, nor
// 171 of 3).
func TestStacksMatrixPacksCeilOfNOver256(t *testing.T) {
	for n, want := range map[int][2]int{257: {129, 2}, 512: {256, 2}, 513: {171, 3}, 600: {200, 3}} {
		stacks := make([]string, n)
		for i := range stacks {
			stacks[i] = "stacks/s" + strconv.Itoa(i)
		}
		entries := matrixDirs(t, StacksMatrix(stacks, "prod"))
		assert.Len(t, entries, want[0], "%d stacks", n)
		assert.Len(t, strings.Split(entries[0], "\n"), want[1], "%d stacks: the first entry", n)
	}
}

// A stack's Terraform that does not parse is refused with the diagnostic's
// summary and detail, at its file and line.
func TestDiscoverNamesTheDiagnosticsDetail(t *testing.T) {
	fsys := fstest.MapFS{"infra/app/main.tf": {Data: []byte("module \"a\" {\n  source = \"../a\"\n\nresource {\n")}}
	_, err := Discover(fsys, []string{"infra/*"})
	require.Error(t, err)
	assert.Regexp(t, `^reading module calls in infra/app: infra/app/main\.tf:\d+: [^:]+: .+`, err.Error())
}

// A git failure carries git's own message.
func TestGitErrorsCarryGitsMessage(t *testing.T) {
	_, _, err := PushChangedFiles(context.Background(), t.TempDir(), "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a git repository")
}
