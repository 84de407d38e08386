package trace

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func entry(id, env, app, infra, status, task string, minute int) Entry {
	return Entry{
		ID: id, Environment: env, AppVersion: app, InfraVersion: infra, Status: status, Task: task,
		DeploymentVersion: DeploymentVersion(app, infra),
		CreatedAt:         t0.Add(time.Duration(minute) * time.Minute),
	}
}

func TestLastGood(t *testing.T) {
	history := []Entry{
		entry("1", "prod", "v1", "infraA", StatusSuccess, TaskDeploy, 1),
		entry("2", "prod", "v2", "infraA", StatusInactive, TaskDeploy, 2), // superseded after success
		entry("3", "prod", "v3", "infraB", StatusSuccess, TaskDeploy, 3),
		entry("4", "staging", "v4", "infraB", StatusSuccess, TaskDeploy, 4),
		entry("5", "prod", "v4", "infraB", StatusFailure, TaskDeploy, 5),
		entry("6", "prod", "v5", "infraB", StatusError, TaskDeploy, 6),
		entry("7", "prod", "v6", "infraB", StatusInProgress, TaskDeploy, 7),
		entry("8", "prod", "", "infraB", StatusSuccess, "deploy", 8), // GitHub's own environment deployment
	}
	tests := []struct {
		name               string
		entries            []Entry
		env, infra, failed string
		wantID             string // "" = none
	}{
		{"newest good on the same infra", history, "prod", "infraA", "v9", "2"},
		{"excludes the failing version", history, "prod", "infraA", "v2", "1"},
		{"only the same infra", history, "prod", "infraB", "v4", "3"},
		{"only the same environment", history, "staging", "infraB", "v9", "4"},
		{"no earlier good version", history, "prod", "infraB", "v3", ""},
		{"unknown infra", history, "prod", "infraC", "v1", ""},
		{"empty ledger", nil, "prod", "infraA", "v1", ""},
		{"a good rollback counts", []Entry{
			entry("1", "prod", "v1", "A", StatusFailure, TaskDeploy, 1),
			entry("2", "prod", "v0", "A", StatusSuccess, TaskRollback, 2),
		}, "prod", "A", "v3", "2"},
		{"order does not matter", []Entry{
			entry("1", "prod", "v1", "A", StatusSuccess, TaskDeploy, 1),
			entry("3", "prod", "v3", "A", StatusSuccess, TaskDeploy, 3),
			entry("2", "prod", "v2", "A", StatusSuccess, TaskDeploy, 2),
		}, "prod", "A", "v9", "3"},
		{"same time: higher ID is newer", []Entry{
			entry("9", "prod", "v1", "A", StatusSuccess, TaskDeploy, 1),
			entry("10", "prod", "v2", "A", StatusSuccess, TaskDeploy, 1),
		}, "prod", "A", "v9", "10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LastGood(tt.entries, tt.env, tt.infra, tt.failed)
			if tt.wantID == "" {
				assert.False(t, ok, "got %+v", got)
				return
			}
			assert.True(t, ok)
			assert.Equal(t, tt.wantID, got.ID)
		})
	}
}

func TestSucceededOn(t *testing.T) {
	h := []Entry{
		entry("1", "prod", "v1", "A", StatusSuccess, TaskDeploy, 1),
		entry("2", "prod", "v2", "A", StatusFailure, TaskDeploy, 2),
		entry("3", "prod", "v3", "B", StatusInactive, TaskRollback, 3),
	}
	assert.True(t, SucceededOn(h, "prod", "A", "v1"))
	assert.False(t, SucceededOn(h, "prod", "A", "v2"), "failed")
	assert.False(t, SucceededOn(h, "prod", "B", "v1"), "other infra")
	assert.False(t, SucceededOn(h, "dev", "A", "v1"), "other environment")
	assert.True(t, SucceededOn(h, "prod", "B", "v3"), "inactive means it succeeded before")
}

func TestPromoted(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 12, 2, 10, min, 0, 0, time.UTC) }
	e := func(id, env, commit, status, task string, min int) Entry {
		return Entry{ID: id, Environment: env, Commit: commit, Status: status, Task: task, AppVersion: "v" + id, CreatedAt: at(min)}
	}
	tests := []struct {
		name      string
		entries   []Entry
		wantID    string
		found, ok bool
	}{
		{"never deployed", []Entry{e("1", "staging", "bbb", StatusSuccess, TaskDeploy, 1)}, "", false, false},
		{"succeeded", []Entry{e("1", "staging", "aaa", StatusSuccess, TaskDeploy, 1)}, "1", true, true},
		{"superseded after succeeding still counts", []Entry{e("1", "staging", "aaa", StatusInactive, TaskDeploy, 1)}, "1", true, true},
		{"the newest decides: failed after an earlier success", []Entry{
			e("1", "staging", "aaa", StatusSuccess, TaskDeploy, 1), e("2", "staging", "aaa", StatusFailure, TaskDeploy, 2)}, "2", true, false},
		{"the newest decides, in any order", []Entry{
			e("2", "staging", "aaa", StatusSuccess, TaskDeploy, 2), e("1", "staging", "aaa", StatusFailure, TaskDeploy, 1)}, "2", true, true},
		{"still in progress", []Entry{e("1", "staging", "aaa", StatusInProgress, TaskDeploy, 1)}, "1", true, false},
		{"another environment", []Entry{e("1", "dev", "aaa", StatusSuccess, TaskDeploy, 1)}, "", false, false},
		{"a rollback is not a promotion", []Entry{e("1", "staging", "aaa", StatusSuccess, TaskRollback, 1)}, "", false, false},
		{"an entry without a commit never matches", []Entry{e("1", "staging", "", StatusSuccess, TaskDeploy, 1)}, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, ok := Promoted(tt.entries, "staging", "aaa")
			assert.Equal(t, tt.found, found)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.wantID, got.ID)
		})
	}
}
