package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDestroyGuard(t *testing.T) {
	many := make([]string, 23)
	for i := range many {
		many[i] = fmt.Sprintf("terraform_data.r[%d]", i)
	}
	var manyLines strings.Builder
	for _, r := range many[:20] {
		manyLines.WriteString("\n  - " + r)
	}

	tests := []struct {
		name      string
		policy    Policy
		dangerous []string
		want      string // "" = allowed
		refused   []string
	}{
		{
			name:   "nothing dangerous",
			policy: Policy{Environment: "production"},
		},
		{
			name:      "allowed by policy",
			policy:    Policy{Environment: "production", AllowDestroy: true},
			dangerous: []string{"aws_db_instance.main"},
		},
		{
			name:      "one resource refused",
			policy:    Policy{Environment: "production"},
			dangerous: []string{"aws_db_instance.main"},
			want: "refusing to apply to production: the plan deletes or replaces 1 resource that the policy does not allow:\n" +
				"  - aws_db_instance.main\n" +
				allowHint("environments.production"),
		},
		{
			name:      "allowed by an address list",
			policy:    Policy{Environment: "production", AllowDestroyAddresses: []string{"aws_db_instance.main", "module.db.*"}},
			dangerous: []string{"aws_db_instance.main", "module.db.aws_db_instance.x", "module.db.module.inner.a.b"},
		},
		{
			name:      "a list allows exactly what it matches",
			policy:    Policy{Environment: "production", AllowDestroyAddresses: []string{"aws_db_instance.main", "module.db.*"}},
			dangerous: []string{"aws_db_instance.main", "aws_db_instance.main2", "module.dbx.a.b", "module.db.a.b"},
			refused:   []string{"aws_db_instance.main2", "module.dbx.a.b"},
			want: "refusing to apply to production: the plan deletes or replaces 2 resources that the policy does not allow:\n" +
				"  - aws_db_instance.main2\n  - module.dbx.a.b\n" +
				allowHint("environments.production"),
		},
		{
			name:      "an empty list allows nothing",
			policy:    Policy{Environment: "production", AllowDestroyAddresses: []string{}},
			dangerous: []string{"a.b"},
			want: "refusing to apply to production: the plan deletes or replaces 1 resource that the policy does not allow:\n" +
				"  - a.b\n" + allowHint("environments.production"),
		},
		{
			name:      "no environment",
			policy:    Policy{},
			dangerous: []string{"a.b", "module.x.c.d"},
			want: "refusing to apply: the plan deletes or replaces 2 resources that the policy does not allow:\n" +
				"  - a.b\n  - module.x.c.d\n" +
				allowHint("the environment"),
		},
		{
			name:      "capped at 20",
			policy:    Policy{Environment: "staging"},
			dangerous: many,
			want: "refusing to apply to staging: the plan deletes or replaces 23 resources that the policy does not allow:" + manyLines.String() +
				"\n  and 3 more\n" +
				allowHint("environments.staging"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := DestroyGuard(tt.policy, tt.dangerous)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.want)
			var refused *DestroyRefusedError
			require.True(t, errors.As(err, &refused))
			assert.Equal(t, tt.policy.Environment, refused.Environment)
			want := tt.refused
			if want == nil {
				want = tt.dangerous
			}
			assert.Equal(t, want, refused.Resources)
		})
	}
}

func allowHint(envKey string) string {
	return "to allow it, someone with write permission adds the label lockstep:allow-destroy to the pull request after lockstep's plan comment for it (then re-run this job), " +
		"or list the addresses under allow-destroy for " + envKey + " in .lockstep.yml (allow-destroy: [aws_db_instance.main, module.db.*]), or set the input allow-destroy: true for this run"
}

func TestDestroyRefusedErrorLabel(t *testing.T) {
	err := &DestroyRefusedError{Environment: "production", Resources: []string{"a.b"}, Label: "PR #7 does not carry it"}
	assert.Equal(t, "refusing to apply to production: the plan deletes or replaces 1 resource that the policy does not allow:\n"+
		"  - a.b\n"+
		"the label lockstep:allow-destroy does not allow it: PR #7 does not carry it\n"+
		allowHint("environments.production"), err.Error())
}

func TestMatchAddress(t *testing.T) {
	tests := []struct {
		pattern, addr string
		want          bool
	}{
		{"aws_db_instance.main", "aws_db_instance.main", true},
		{"aws_db_instance.main", "aws_db_instance.main2", false},
		{"aws_db_instance.main", "module.x.aws_db_instance.main", false},
		{"module.db.*", "module.db.aws_db_instance.main", true},
		{"module.db.*", "module.db.module.inner.a.b", true},
		{"module.db.*", "module.dbx.a.b", false},
		{"module.db.*", "module.db", false},
		{"aws_instance.web[*]", "aws_instance.web[0]", true},
		{"aws_instance.web[0]", "aws_instance.web[0]", true},
		{"aws_instance.web[0]", "aws_instance.web0", false},
		{`aws_s3_bucket.b["logs"]`, `aws_s3_bucket.b["logs"]`, true},
		{"*.main", "aws_db_instance.main", true},
		{"*.main", "aws_db_instance.main.x", false},
		{"aws_*_instance.*", "aws_db_instance.main", true},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"*", "anything.at_all", true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, MatchAddress(tt.pattern, tt.addr), "%s ~ %s", tt.pattern, tt.addr)
	}
}

func TestDestroyGuardResolved(t *testing.T) {
	f := mustParse(t, "environments:\n  staging:\n    allow-destroy: true\n")
	assert.NoError(t, DestroyGuard(Resolve(f, "STAGING", Overrides{}), []string{"a.b"}))
	assert.Error(t, DestroyGuard(Resolve(f, "production", Overrides{}), []string{"a.b"}))
	assert.Error(t, DestroyGuard(Resolve(f, "staging", Overrides{AllowDestroy: boolPtr(false)}), []string{"a.b"}))

	f = mustParse(t, "environments:\n  production:\n    allow-destroy: [aws_db_instance.main, \"module.db.*\"]\n")
	pol := Resolve(f, "production", Overrides{})
	assert.Equal(t, []string{"aws_db_instance.main", "module.db.*"}, pol.AllowDestroyAddresses)
	assert.Equal(t, SourceFile, pol.Source[FieldAllowDestroy])
	assert.NoError(t, DestroyGuard(pol, []string{"aws_db_instance.main", "module.db.a.b"}))
	assert.Equal(t, []string{"aws_s3_bucket.logs"}, pol.DestroysRefused([]string{"aws_db_instance.main", "aws_s3_bucket.logs"}))
	// An input given wins over the file's list, either way.
	assert.Nil(t, Resolve(f, "production", Overrides{AllowDestroy: boolPtr(true)}).DestroysRefused([]string{"x.y"}))
	off := Resolve(f, "production", Overrides{AllowDestroy: boolPtr(false)})
	assert.Equal(t, []string{"aws_db_instance.main"}, off.DestroysRefused([]string{"aws_db_instance.main"}))
}
