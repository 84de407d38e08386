package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Tests for mutants that survived `make mutate` (test/README.md): each
// pins a boundary the other tests did not reach.

// A line that starts with "#" is a comment even when what follows looks
// like a rule: commented-out owners must not count.
func TestParseCodeownersSkipsLinesStartingWithHash(t *testing.T) {
	rules := ParseCodeowners("#* @mallory\n# /infra/ @mallory\n*.tf @hcl-fans # trailing\n")
	assert.Equal(t, []CodeownersRule{{Pattern: "*.tf", Owners: []string{"@hcl-fans"}}}, rules)
}

// A middle part of a pattern may match right where the previous part ended.
func TestMatchAddressMiddlePartAtTheStart(t *testing.T) {
	assert.True(t, MatchAddress("module.*db*", "module.db.aws_db_instance.main"))
	assert.True(t, MatchAddress("a*b*c", "abc"))
	assert.False(t, MatchAddress("a*b*c", "ac"))
}

// min-approvals: 1 is the smallest allowed value, not an error.
func TestMinApprovalsOfOne(t *testing.T) {
	f := mustParse(t, "environments:\n  production:\n    min-approvals: 1\n")
	assert.Equal(t, 1, Resolve(f, "production", Overrides{}).MinApprovals)
}

// An error without a line names the file alone, not line 0.
func TestFileErrorWithoutALine(t *testing.T) {
	assert.Equal(t, ".lockstep.yml: environments: is a list; want a mapping",
		(&FileError{Path: ".lockstep.yml", Key: "environments", Problem: "is a list; want a mapping"}).Error())
	assert.Equal(t, ".lockstep.yml:3: environments: bad",
		(&FileError{Path: ".lockstep.yml", Line: 3, Key: "environments", Problem: "bad"}).Error())
}
