package act

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine/install"
	"github.com/lockstep-ci/lockstep/test/releaseserver"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// deadProxy is where every proxied HTTP(S) request of the steps goes:
// nothing listens, so a step that tried to download an engine would fail.
// Loopback (the fake GitHub, the smoke target) is never proxied.
const deadProxy = "http://127.0.0.1:1"

// TestPushWithPinnedTerraformRunsTheInstalledOne: the caller pins
// .terraform-version, the PATH the steps see holds no terraform or tofu,
// and nothing can be downloaded. The runner's tool cache (act's
// RUNNER_TOOL_CACHE on the host) holds that version, installed beforehand
// by this test process the way lockstep installs from HashiCorp (a loopback
// release server serving the local terraform, checksum and signature
// verified). Every job that runs the engine runs that install, and the push
// plans, applies, deploys and verifies.
func TestPushWithPinnedTerraformRunsTheInstalledOne(t *testing.T) {
	t.Parallel()
	content, err := os.ReadFile(tftest.Path(t))
	require.NoError(t, err)
	v := version.Must(version.NewVersion(terraformVersion(t)))

	w := newWorld(t, "infra", map[string]string{".terraform-version": v.String() + "\n"})
	// The caller names no terraform-version: the file decides.
	w.engine = "terraform"
	w.noEnginesOnPath = true
	w.extraEnv = []string{"HTTPS_PROXY=" + deadProxy, "HTTP_PROXY=" + deadProxy, "NO_PROXY="}
	toolCache := w.runnerToolCache()
	srv := releaseserver.Start(t, releaseserver.Options{Binary: content, Versions: []string{v.String()}})
	bin, err := install.Ensure(context.Background(), install.EnsureOptions{
		Engine: install.Terraform, Version: v, CacheDir: toolCache,
		Releases: install.Releases{TerraformURL: srv.TerraformURL(), TerraformKey: srv.Key.Public, HTTPClient: srv.Client()},
	})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(toolCache, "terraform", v.String()), filepath.Dir(filepath.Dir(bin)), "the runner's tool-cache layout")
	w.seedPlanArtifacts()

	res := w.act("push")
	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	w.requireEngineInputs(t, "detect", "validate", "plan", "apply", "cleanup", "deploy", "verify")
	// The engine steps are validate and plan (plan job) and apply (apply
	// job); deploy runs no engine (it takes apply's outputs). Each of the
	// three resolved the pinned version and ran the install.
	resolved := "infra: terraform " + v.String() + " (from .terraform-version)"
	require.Equal(t, 3, strings.Count(res.log, resolved), "every engine step resolved the pinned version:\n%s", resolved)
	running := "infra: running " + bin + " (verified install in the tool cache)"
	require.Equal(t, 3, strings.Count(res.log, running), "every engine step ran the installed terraform:\n%s", running)
	require.Contains(t, res.log, "terraform apply in infra")
	require.NotContains(t, res.log, "Installing", "the version was in the tool cache: nothing is downloaded")
	require.NotContains(t, res.log, "holds no install lockstep verified")

	require.FileExists(t, w.state, "apply wrote the state")
	var state struct {
		TerraformVersion string `json:"terraform_version"`
		Resources        []struct {
			Type, Name string
		} `json:"resources"`
	}
	data, err := os.ReadFile(w.state)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &state))
	require.Equal(t, v.String(), state.TerraformVersion)
	require.NotEmpty(t, state.Resources, "apply created the stack")
	require.Equal(t, "success", res.outputs["result"])
	w.requireAppDeployment(t)
	require.Contains(t, w.deployed(), deployTarget, "deploy-command ran with DEPLOY_ENV")
	require.Positive(t, w.smokeHits.Load(), "verify probed the smoke URL")
	res.requireNoSecrets(t)

	// The install that ran is the verified one, still the only one, and no
	// step fell back to a tool cache of its own under HOME.
	installed, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.True(t, string(installed) == string(content), "the cached binary changed")
	entries, err := os.ReadDir(filepath.Join(toolCache, "terraform"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "one version in the tool cache")
	require.EqualValues(t, 1, srv.Archives(), "only the test process downloaded, before the run")
	_, err = os.Stat(filepath.Join(w.dir, "home", ".cache", "lockstep"))
	require.True(t, os.IsNotExist(err), "a step installed into HOME's cache: %v", err)
}
