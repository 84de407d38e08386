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
			want: "refusing to apply to production: the plan deletes or replaces 1 resource:\n" +
				"  - aws_db_instance.main\n" +
				"to allow it, set the input allow-destroy: true for this run, or allow-destroy: true under environments.production in .lockstep.yml",
		},
		{
			name:      "no environment",
			policy:    Policy{},
			dangerous: []string{"a.b", "module.x.c.d"},
			want: "refusing to apply: the plan deletes or replaces 2 resources:\n" +
				"  - a.b\n  - module.x.c.d\n" +
				"to allow it, set the input allow-destroy: true for this run, or allow-destroy: true under the environment in .lockstep.yml",
		},
		{
			name:      "capped at 20",
			policy:    Policy{Environment: "staging"},
			dangerous: many,
			want: "refusing to apply to staging: the plan deletes or replaces 23 resources:" + manyLines.String() +
				"\n  and 3 more\n" +
				"to allow it, set the input allow-destroy: true for this run, or allow-destroy: true under environments.staging in .lockstep.yml",
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
			assert.Equal(t, tt.dangerous, refused.Resources)
		})
	}
}

func TestDestroyGuardResolved(t *testing.T) {
	f := mustParse(t, "environments:\n  staging:\n    allow-destroy: true\n")
	assert.NoError(t, DestroyGuard(Resolve(f, "STAGING", Overrides{}), []string{"a.b"}))
	assert.Error(t, DestroyGuard(Resolve(f, "production", Overrides{}), []string{"a.b"}))
	assert.Error(t, DestroyGuard(Resolve(f, "staging", Overrides{AllowDestroy: boolPtr(false)}), []string{"a.b"}))
}
