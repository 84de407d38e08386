package deploy

import (
	"errors"
	"testing"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ledgerEntry(id, env, app, infra, status, task string, minute int) trace.Entry {
	return trace.Entry{
		ID: id, Environment: env, AppVersion: app, InfraVersion: infra, Status: status, Task: task,
		DeploymentVersion: trace.DeploymentVersion(app, infra),
		CreatedAt:         t0.Add(time.Duration(minute) * time.Minute),
	}
}

var history = []trace.Entry{
	ledgerEntry("1", "production", "v1", "infraA", trace.StatusSuccess, trace.TaskDeploy, 1),
	ledgerEntry("2", "production", "v2", "infraA", trace.StatusFailure, trace.TaskDeploy, 2),
	ledgerEntry("3", "production", "v3", "infraB", trace.StatusSuccess, trace.TaskDeploy, 3),
	ledgerEntry("4", "staging", "v4", "infraA", trace.StatusSuccess, trace.TaskDeploy, 4),
}

func TestChooseRollback(t *testing.T) {
	tests := []struct {
		name, env, infra, failed string
		wantApp                  string
		wantErr                  string
	}{
		{"previous good on the same infra", "production", "infraA", "v5", "v1", ""},
		{"never the failing version", "production", "infraA", "v1", "", "no earlier app version succeeded on infra infraA; nothing to roll back to"},
		{"not from another infra", "production", "infraB", "v3", "", "no earlier app version succeeded on infra infraB; nothing to roll back to"},
		{"not from another environment", "staging", "infraA", "v9", "v4", ""},
		{"new infra has no history", "production", "infraC", "v9", "", "no earlier app version succeeded on infra infraC; nothing to roll back to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseRollback(history, tt.env, tt.infra, tt.failed)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				assert.ErrorIs(t, err, ErrNoRollbackTarget)
				var nt *NoRollbackTargetError
				require.ErrorAs(t, err, &nt)
				assert.Equal(t, tt.infra, nt.InfraVersion)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantApp, got.AppVersion)
		})
	}
}

func TestCheckRollbackTo(t *testing.T) {
	tests := []struct {
		name, app, infra string
		wantErr          string
	}{
		{"succeeded on this infra", "v1", "infraA", ""},
		{"failed on this infra", "v2", "infraA",
			"refusing to roll back to app version v2: it never succeeded on infra infraA in production, so nothing shows it works there (rollback --to v2 --force deploys it anyway)"},
		{"succeeded only on another infra", "v3", "infraA",
			"refusing to roll back to app version v3: it never succeeded on infra infraA in production, so nothing shows it works there (rollback --to v3 --force deploys it anyway)"},
		{"never deployed", "v0", "infraA",
			"refusing to roll back to app version v0: it never succeeded on infra infraA in production, so nothing shows it works there (rollback --to v0 --force deploys it anyway)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRollbackTo(history, "production", tt.infra, tt.app)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
			assert.ErrorIs(t, err, ErrRollbackRefused)
		})
	}
}

func TestRefuseInfraRollback(t *testing.T) {
	err := RefuseInfraRollback()
	assert.True(t, errors.Is(err, ErrInfraRollbackRefused))
	assert.Contains(t, err.Error(), "never rolls back infrastructure automatically")
	assert.Contains(t, err.Error(), "revert the change in a pull request and let the pipeline plan and apply it, or fix forward")
}
