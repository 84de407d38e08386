package detect

import (
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
