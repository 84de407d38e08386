package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/trace"
	"github.com/lockstep-ci/lockstep/pkg/verify"
)

func TestDispatchRef(t *testing.T) {
	tests := []struct {
		name    string
		ctx     config.Context
		want    string
		wantErr string
	}{
		{"branch", config.Context{Ref: "refs/heads/main", RefName: "main", RefType: "branch"}, "main", ""},
		{"tag", config.Context{Ref: "refs/tags/v1.2.0", RefName: "v1.2.0", RefType: "tag"}, "v1.2.0", ""},
		{"branch without ref type", config.Context{Ref: "refs/heads/release/2"}, "release/2", ""},
		{"tag without ref type", config.Context{Ref: "refs/tags/v3"}, "v3", ""},
		{"pull request event", config.Context{EventName: "pull_request", Ref: "refs/pull/7/merge", RefName: "7/merge", RefType: "branch"}, "",
			"refusing to dispatch deploy workflow on pull request ref refs/pull/7/merge"},
		{"pull request ref", config.Context{EventName: "workflow_run", Ref: "refs/pull/7/head"}, "", "pull request ref refs/pull/7/head"},
		{"no ref", config.Context{}, "", "the run's ref (none) is neither a branch nor a tag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dispatchRef(&tc.ctx)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestEnvironmentURL(t *testing.T) {
	tests := []struct {
		urls []string
		want string
	}{
		{nil, ""},
		{[]string{"https://shop.example.com/healthz"}, "https://shop.example.com/"},
		{[]string{"http://user:secret@127.0.0.1:8080/healthz?deep=1", "https://other/"}, "http://127.0.0.1:8080/"},
		{[]string{"::not a url"}, ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, environmentURL(tc.urls), "%v", tc.urls)
	}
}

func TestParseOutputsJSON(t *testing.T) {
	got, err := parseOutputsJSON(`{"url":"https://x","port":8080,"ok":true,"tags":["a","b"],"cfg":{"b":1, "a":2},"none":null}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"url": "https://x", "port": "8080", "ok": "true", "tags": `["a","b"]`, "cfg": `{"b":1,"a":2}`, "none": "",
	}, outputStrings(got))

	_, err = parseOutputsJSON(`["not", "an", "object"]`)
	assert.ErrorContains(t, err, "want a JSON object of output name to value")
}

// outputsFunc is an outputsReader.
type outputsFunc func(ctx context.Context) (map[string]engine.Output, error)

func (f outputsFunc) Outputs(ctx context.Context) (map[string]engine.Output, error) { return f(ctx) }

func TestTerraformOutputsDropsSensitiveOnes(t *testing.T) {
	got, err := terraformOutputs(context.Background(), outputsFunc(func(context.Context) (map[string]engine.Output, error) {
		return map[string]engine.Output{
			"database_url": {Value: json.RawMessage(`"postgres://db.internal/app"`)},
			"replicas":     {Value: json.RawMessage(`2`)},
			"db_password":  {Sensitive: true, Value: json.RawMessage(`"hunter2"`)},
		}, nil
	}))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"database_url": "postgres://db.internal/app", "replicas": "2"}, outputStrings(got))

	_, err = terraformOutputs(context.Background(), outputsFunc(func(context.Context) (map[string]engine.Output, error) {
		return nil, errors.New("backend not initialized")
	}))
	assert.ErrorContains(t, err, "backend not initialized")
}

func TestFencedNeverClosesEarly(t *testing.T) {
	assert.Equal(t, "```text\nplain\n```\n", fenced("plain\n"))
	got := fenced("a ``` b ```` c")
	assert.True(t, strings.HasPrefix(got, "`````text\n"), got)
	assert.True(t, strings.HasSuffix(got, "\n`````\n"), got)
}

func TestDecidingReport(t *testing.T) {
	ok := verify.Report{Kind: verify.KindSmoke, Results: []verify.Result{{URL: "u", OK: true}}}
	bad := verify.Report{Kind: verify.KindSmoke, Results: []verify.Result{{URL: "u", OK: false, Status: 503}}}

	_, found := decidingReport(nil)
	assert.False(t, found)
	r, _ := decidingReport([]verify.Report{ok, bad, ok})
	assert.False(t, r.OK(), "the failure that stopped the rollout, not the rollback's passing checks")
	r, _ = decidingReport([]verify.Report{ok, ok})
	assert.True(t, r.OK())
}

func TestLatestAndCurrentDeployment(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2025, 1, 1, 0, min, 0, 0, time.UTC) }
	entries := []trace.Entry{ // newest first, as ledgers list them
		{ID: "5", Environment: "staging", AppVersion: "v3", InfraVersion: "i2", Task: trace.TaskDeploy, CreatedAt: at(5)},
		{ID: "4", Environment: "staging", AppVersion: "v2", InfraVersion: "i2", Task: trace.TaskRollback, CreatedAt: at(4)},
		{ID: "3", Environment: "staging", AppVersion: "v2", InfraVersion: "i1", Task: trace.TaskDeploy, CreatedAt: at(3)},
		{ID: "2", Environment: "prod", AppVersion: "v2", InfraVersion: "i2", Task: trace.TaskDeploy, CreatedAt: at(2)},
		{ID: "1", Environment: "staging", AppVersion: "v2", InfraVersion: "i2", Task: "deploy", CreatedAt: at(1)},
	}
	e, ok := latestDeployment(entries, "staging", deployVersion{app: "v2", infra: "i2"})
	require.True(t, ok)
	assert.Equal(t, "4", e.ID, "the newest app deployment of exactly that pair, rollbacks included")
	_, ok = latestDeployment(entries, "staging", deployVersion{app: "v9", infra: "i2"})
	assert.False(t, ok)

	e, ok = currentDeployment(entries, "staging")
	require.True(t, ok)
	assert.Equal(t, "5", e.ID)
	_, ok = currentDeployment(entries, "dev")
	assert.False(t, ok)
}

func TestRollbackTarget(t *testing.T) {
	tests := []struct {
		name       string
		appVersion string
		local      *localFlags
		want       string
		wantErr    string
	}{
		{"action: the app-version input", "v1", nil, "v1", ""},
		{"action: last good", "", nil, "", ""},
		{"cli: --to", "", &localFlags{to: "v2"}, "v2", ""},
		{"cli: --app-version", "v2", &localFlags{}, "v2", ""},
		{"cli: both agree", "v2", &localFlags{to: "v2"}, "v2", ""},
		{"cli: both differ", "v1", &localFlags{to: "v2"}, "", `flag --to: "v2" contradicts --app-version "v1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{cfg: &config.Config{AppVersion: tc.appVersion}, local: tc.local}
			got, err := rollbackTarget(a)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Equal(t, ExitBadInput, exitCode(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestInfraRollbackGuidanceIsASentence(t *testing.T) {
	g := infraRollbackGuidance()
	assert.True(t, strings.HasPrefix(g, "Refusing to roll back infrastructure"), g)
	assert.True(t, strings.HasSuffix(g, "."), g)
	assert.Contains(t, g, "revert the change in a pull request")
}

// A tag name becomes the app version only when it is one: a tag such as
// `v1"; rm -rf` would otherwise reach DEPLOYMENT_VERSION and the deploy
// command's environment.
func TestDeployVersionsRefuseATagThatIsNoVersion(t *testing.T) {
	for _, tc := range []struct {
		tag, wantErr string
	}{
		{"v1.4.2", ""},
		{`v1"; rm -rf`, `input "app-version": derived from the tag name "v1\"; rm -rf", which is not a version: use letters, digits and . _ + - / (at most 128), like v1.4.2; give app-version explicitly or use a plain tag`},
		{"v1\x1b[31m", `input "app-version": derived from the tag name "v1\x1b[31m", which is not a version`},
		{"v1\nDEPLOYMENT_VERSION=x", `derived from the tag name "v1\nDEPLOYMENT_VERSION=x"`},
	} {
		a := &app{
			cfg: &config.Config{InfraVersion: "abc1234", WorkingDirectories: []string{"."}},
			gh:  &config.Context{RefType: "tag", RefName: tc.tag, SHA: "0123456789abcdef"},
		}
		v, err := deployVersions(context.Background(), a)
		if tc.wantErr == "" {
			require.NoError(t, err)
			assert.Equal(t, deployVersion{app: tc.tag, infra: "abc1234"}, v)
			continue
		}
		require.Error(t, err, tc.tag)
		assert.Contains(t, err.Error(), tc.wantErr)
		assert.Equal(t, ExitBadInput, exitCode(err))
	}
}
