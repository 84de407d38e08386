package childenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFilter(t *testing.T) {
	environ := []string{
		"PATH=/usr/bin",
		"INPUT_GITHUB-TOKEN=ghs_token123",
		"INPUT_COMMAND=plan",
		"input_lower=x",
		"ACTIONS_RUNTIME_TOKEN=rt",
		"ACTIONS_RUNTIME_URL=https://pipelines.example/",
		"ACTIONS_CACHE_URL=https://cache.example/",
		"ACTIONS_RESULTS_URL=https://results.example/",
		"ACTIONS_ID_TOKEN_REQUEST_URL=https://oidc.example/",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc",
		"LOCKSTEP_PLAN_KEY=age-passphrase",
		"GITHUB_TOKEN=ghs_token123",
		"GH_TOKEN=gho_other",
		"MY_COPY=ghs_token123",
		"TF_VAR_admin_password=kept-for-terraform",
		"GITHUB_SHA=abc",
		"EMPTY=",
	}
	assert.Equal(t, []string{
		"PATH=/usr/bin",
		"ACTIONS_ID_TOKEN_REQUEST_URL=https://oidc.example/",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc",
		"TF_VAR_admin_password=kept-for-terraform",
		"GITHUB_SHA=abc",
		"EMPTY=",
	}, Filter(environ, "ghs_token123", ""))
}

// Scrub cleans the real process environment, which is what a child started
// without an explicit Env (terraform-exec's) inherits.
func TestScrubCleansWhatAChildInherits(t *testing.T) {
	t.Setenv("INPUT_GITHUB-TOKEN", "ghs_scrubtoken")
	t.Setenv("ACTIONS_RUNTIME_TOKEN", "runtime-secret")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "oidc-kept")
	t.Setenv("SOMEWHERE_ELSE", "ghs_scrubtoken")
	t.Setenv("TF_VAR_admin_password", "tf-var-kept")

	removed, err := Scrub("ghs_scrubtoken")
	require.NoError(t, err)
	assert.Subset(t, removed, []string{"INPUT_GITHUB-TOKEN", "ACTIONS_RUNTIME_TOKEN", "SOMEWHERE_ELSE"})

	out, err := exec.Command("env").Output()
	require.NoError(t, err)
	env := string(out)
	assert.NotContains(t, env, "ghs_scrubtoken")
	assert.NotContains(t, env, "INPUT_")
	assert.NotContains(t, env, "runtime-secret")
	assert.Contains(t, strings.Split(env, "\n"), "ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc-kept")
	assert.Contains(t, strings.Split(env, "\n"), "TF_VAR_admin_password=tf-var-kept")
	_, still := os.LookupEnv("INPUT_GITHUB-TOKEN")
	assert.False(t, still)
}
