package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadContextDefaultBranchAndActors(t *testing.T) {
	tests := []struct {
		name, event, payload string
		wantDefault          string
	}{
		{"push", "push", `{"ref":"refs/heads/main","repository":{"default_branch":"trunk"}}`, "trunk"},
		{"workflow_dispatch", "workflow_dispatch", `{"ref":"refs/heads/main","repository":{"default_branch":"main"}}`, "main"},
		{"no repository in the payload", "push", `{"ref":"refs/heads/main"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				"GITHUB_EVENT_NAME": tt.event, "GITHUB_EVENT_PATH": "/event.json",
				"GITHUB_ACTOR": "octocat", "GITHUB_TRIGGERING_ACTOR": "hubot",
			}
			c, err := LoadContext(func(k string) string { return env[k] }, func(p string) ([]byte, error) {
				if p != "/event.json" {
					return nil, errors.New("unexpected path " + p)
				}
				return []byte(tt.payload), nil
			})
			require.NoError(t, err)
			assert.Equal(t, tt.wantDefault, c.DefaultBranch)
			assert.Equal(t, "octocat", c.Actor)
			assert.Equal(t, "hubot", c.TriggeringActor)
		})
	}
}
