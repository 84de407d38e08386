package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDirectoryOwners(t *testing.T) {
	rules := ParseCodeowners(`# owners
*                @acme/everyone
/infra/          @acme/infra   # the platform team
infra/prod/**    @alice @acme/sre
*.tf             @hcl-fans
docs             @writers
/infra/sandbox/
`)
	tests := []struct {
		dir  string
		want []string
	}{
		{"infra/prod", []string{"@alice", "@acme/sre"}},
		{"infra/prod/eu", []string{"@alice", "@acme/sre"}},
		{"infra/staging", []string{"@acme/infra"}},
		{"infra", []string{"@acme/infra"}},
		{"infra/sandbox", nil},
		{"app", []string{"@acme/everyone"}},
		{"app/docs/site", []string{"@writers"}},
		{"other/infra/prod", []string{"@acme/everyone"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, DirectoryOwners(rules, tt.dir), tt.dir)
	}
	assert.Nil(t, DirectoryOwners(ParseCodeowners("/infra/ @acme/infra\n"), "app"))
}
