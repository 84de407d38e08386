package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine/install"
	"github.com/lockstep-ci/lockstep/test/releaseserver"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// These tests run lockstep with the engine version a repository asks for.
// The lockstep binary only knows the vendors' real release sites and keys;
// the machine has no network for it (a proxy nobody listens on), so a run
// that would download anything fails. A pinned version that runs was put
// into the runner's tool cache beforehand by this test process, with
// install.Ensure against a loopback release server serving the local
// terraform under its own version, signed by a key made for the test.

// deadProxy is where every HTTP(S) request of lockstep goes: nothing
// listens, so no run reaches the network. Loopback (the fake GitHub) is
// never proxied.
const deadProxy = "http://127.0.0.1:1"

// offline makes w's lockstep runs see a tool cache of their own (returned),
// no network, and a PATH with no terraform or tofu on it, so the only
// engines they can run are terraform-path and the tool cache's.
func offline(t *testing.T, w *workspace) (toolCache string) {
	t.Helper()
	toolCache = t.TempDir()
	w.env["RUNNER_TOOL_CACHE"] = toolCache
	w.env["HTTPS_PROXY"] = deadProxy
	w.env["HTTP_PROXY"] = deadProxy
	w.env["NO_PROXY"] = ""
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if !isFile(filepath.Join(d, "terraform")) && !isFile(filepath.Join(d, "tofu")) {
			dirs = append(dirs, d)
		}
	}
	w.env["PATH"] = strings.Join(dirs, string(filepath.ListSeparator))
	return toolCache
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// localTerraform is the local terraform's content and version.
func localTerraform(t *testing.T) ([]byte, *version.Version) {
	t.Helper()
	p := tftest.Path(t)
	content, err := os.ReadFile(p)
	require.NoError(t, err)
	v, err := install.BinaryVersion(t.Context(), p)
	require.NoError(t, err)
	return content, v
}

// preinstall installs the local terraform, as release v, into toolCache
// the way lockstep would from HashiCorp: from a loopback release server,
// checksum and signature (the server's test key) verified. It returns the
// installed binary.
func preinstall(t *testing.T, toolCache string, content []byte, v *version.Version) string {
	t.Helper()
	srv := releaseserver.Start(t, releaseserver.Options{Binary: content, Versions: []string{v.String()}})
	bin, err := install.Ensure(context.Background(), install.EnsureOptions{
		Engine: install.Terraform, Version: v, CacheDir: toolCache,
		Releases: install.Releases{TerraformURL: srv.TerraformURL(), TerraformKey: srv.Key.Public, HTTPClient: srv.Client()},
	})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(toolCache, "terraform", v.String()), filepath.Dir(filepath.Dir(bin)), "the runner's tool-cache layout")
	require.EqualValues(t, 1, srv.Archives(), "the release was downloaded from the loopback server")
	return bin
}

// terraformOnly skips a pinned-install test in the OpenTofu pass of the
// suite (make test-opentofu): it pre-installs and expects Terraform's
// release layout and URLs, and the Terraform pass of make test runs it.
// pkg/engine/install's tests install OpenTofu from the loopback server.
func terraformOnly(t *testing.T) {
	t.Helper()
	if e := engineInput(t); e != "terraform" {
		t.Skipf("pins Terraform; this pass runs engine %s (the Terraform pass of make test runs it)", e)
	}
}

// assertNothingUnderHome checks that no run wrote a tool cache of its own
// into HOME: RUNNER_TOOL_CACHE named an existing directory.
func assertNothingUnderHome(t *testing.T, w *workspace) {
	t.Helper()
	_, err := os.Stat(filepath.Join(w.env["HOME"], ".cache", "lockstep"))
	assert.True(t, os.IsNotExist(err), "lockstep wrote into HOME's cache: %v", err)
}

func TestPinnedVersionRunsTheInstalledTerraform(t *testing.T) {
	terraformOnly(t)
	w, _ := pushWorkspace(t)
	toolCache := offline(t, w)
	content, v := localTerraform(t)
	bin := preinstall(t, toolCache, content, v)
	w.fixture("changes/v1", "infra")
	writeFile(t, w, ".terraform-version", v.String()+"\n")
	in := map[string]string{
		"working-directory": "infra", "environment": "staging",
		// Nothing here: the PATH binary cannot be the one that runs.
		"terraform-path": filepath.Join(t.TempDir(), "no-terraform-here"),
	}

	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "infra: terraform "+v.String()+" (from .terraform-version)")
	assert.Contains(t, r.stdout, "infra: running "+bin+" (verified install in the tool cache)")
	assert.NotContains(t, r.stdout, "Installing", "the version was in the tool cache: nothing is downloaded")
	assert.NotContains(t, r.stdout, "holds no install lockstep verified")
	var record map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(w.root, "infra", "tfplan.lockstep.json"))), &record))
	assert.Equal(t, "terraform", record["engine"])
	assert.Equal(t, v.String(), record["engine_version"])

	r = w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Equal(t, "success", r.outputs["result"])
	assert.Contains(t, r.stdout, "infra: running "+bin+" (verified install in the tool cache)")
	assert.Equal(t, []string{"terraform_data.delete", "terraform_data.keep", "terraform_data.old_name",
		"terraform_data.replace_cbd", "terraform_data.replace_default", "terraform_data.update"}, w.stateAddresses("infra"))

	// deploy reads the stack's outputs for the deploy command with the
	// pinned install too: nothing else could run.
	app := newFakeApp(w)
	r = w.action(merge(in, map[string]string{"command": "deploy", "app-version": "v1.0.0",
		"deploy-command": app.command(), "smoke-urls": app.healthURL(), "smoke-timeout": "0"}))
	requireCode(t, 0, r)
	assert.Contains(t, r.stdout, "infra: running "+bin+" (verified install in the tool cache)")
	assert.Equal(t, []string{"v1.0.0 100"}, app.deploys())
	assert.Equal(t, "v1", app.env()["LOCKSTEP_OUTPUT_VERSION"], "the outputs came from the installed terraform")

	// The install lockstep ran is still the verified one, and the only one.
	installed, err := os.ReadFile(bin)
	require.NoError(t, err)
	assert.True(t, string(installed) == string(content), "the cached binary changed")
	entries, err := os.ReadDir(filepath.Join(toolCache, "terraform"))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "one version in the tool cache")
	assertNothingUnderHome(t, w)
}

func TestPinnedVersionPlanComment(t *testing.T) {
	terraformOnly(t)
	w, gh := prWorkspace(t)
	toolCache := offline(t, w)
	content, v := localTerraform(t)
	bin := preinstall(t, toolCache, content, v)
	changesStack(w)
	writeFile(t, w, ".terraform-version", v.String()+"\n")

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging",
		"terraform-path": filepath.Join(t.TempDir(), "no-terraform-here")})
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "infra: running "+bin+" (verified install in the tool cache)")
	mine := lockstepComments(gh)
	require.Len(t, mine, 1)
	assert.Contains(t, mine[0].Body, "Terraform "+v.String(), "the footer names the engine version that planned")
	assert.Contains(t, mine[0].Body, "to add")
	assertNothingUnderHome(t, w)
}

func TestPinnedVersionRefusesATamperedInstall(t *testing.T) {
	terraformOnly(t)
	w, _ := pushWorkspace(t)
	toolCache := offline(t, w)
	content, v := localTerraform(t)
	bin := preinstall(t, toolCache, content, v)
	w.fixture("changes/v1", "infra")
	writeFile(t, w, ".terraform-version", v.String()+"\n")
	in := map[string]string{"working-directory": "infra", "environment": "staging",
		"terraform-path": filepath.Join(t.TempDir(), "no-terraform-here")}

	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)

	// After the plan, the cached binary's bytes change: a script that would
	// pass for the pinned version and leave a marker if it ever ran.
	marker := filepath.Join(t.TempDir(), "tampered-ran")
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> '%s'\necho '{\"terraform_version\":\"%s\"}'\n", marker, v)
	require.NoError(t, os.WriteFile(bin, []byte(script), 0o755))

	r = w.action(with(in, "command", "apply"))
	assert.Equal(t, 1, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Equal(t, "failed", r.outputs["result"])
	assert.Equal(t, "engine-install-failed", r.outputs["failure-reason"])
	// Ensure's marker records the verified binary's SHA-256: the changed
	// binary is not reused, lockstep says so and reinstalls from HashiCorp,
	// which it cannot reach here.
	dir := filepath.Dir(bin)
	assert.Contains(t, r.stdout, dir+" holds no install lockstep verified: replacing it.")
	assert.Contains(t, r.stdout, "Installing terraform "+v.String()+" from "+install.DefaultTerraformURL)
	assert.Contains(t, r.stdout, "::error title=lockstep failed::installing terraform "+v.String()+" (from .terraform-version) for infra: terraform "+v.String()+" from "+install.DefaultTerraformURL+": ")
	assert.NotContains(t, r.stdout, "terraform init", "no engine ran")
	_, err := os.Stat(marker)
	assert.True(t, os.IsNotExist(err), "the tampered binary ran")
	assert.Empty(t, w.stateAddresses("infra"), "nothing was applied")
	// A failed reinstall leaves the cache as it was (the temporary install
	// directory is removed): the next run refuses the binary again.
	now, err := os.ReadFile(bin)
	require.NoError(t, err)
	assert.Equal(t, script, string(now))
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".*tmp*"))
	assert.Empty(t, leftovers, "temporary install directories left behind")
	assertNothingUnderHome(t, w)
}

func TestPinnedRequiredVersionThePATHBinarySatisfies(t *testing.T) {
	terraformOnly(t)
	w, _ := pushWorkspace(t)
	toolCache := offline(t, w)
	_, v := localTerraform(t)
	w.fixture("nochange", "infra")
	constraint := fmt.Sprintf(">= %d.%d", v.Segments()[0], v.Segments()[1])
	writeFile(t, w, "infra/versions.tf", "terraform {\n  required_version = \""+constraint+"\"\n}\n")

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging"})
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, fmt.Sprintf("infra: terraform %s (from required_version %q in infra/versions.tf; the one on PATH: %s)", v, constraint, w.terraform))
	assert.NotContains(t, r.stdout, "Installing")
	assertEmptyDir(t, toolCache)
	assertNothingUnderHome(t, w)
}

func TestPinnedConstraintInputThePATHBinarySatisfies(t *testing.T) {
	terraformOnly(t)
	w, _ := pushWorkspace(t)
	toolCache := offline(t, w)
	_, v := localTerraform(t)
	w.fixture("nochange", "infra")
	constraint := fmt.Sprintf("~> %d.%d", v.Segments()[0], v.Segments()[1])

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging", "terraform-version": constraint})
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, fmt.Sprintf("infra: terraform %s (from the terraform-version input %q; the one on PATH: %s)", v, constraint, w.terraform))
	assert.NotContains(t, r.stdout, "Installing")
	assertEmptyDir(t, toolCache)
	assertNothingUnderHome(t, w)
}

func TestPinnedMalformedVersionFile(t *testing.T) {
	w, _ := pushWorkspace(t)
	toolCache := offline(t, w)
	w.fixture("nochange", "infra")
	writeFile(t, w, ".terraform-version", "latest:^1.9\n")

	r := w.action(map[string]string{"command": "plan", "working-directory": "infra", "environment": "staging"})
	assert.Equal(t, 2, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "::error title=Invalid input::")
	assert.Contains(t, r.stdout, `.terraform-version:1: "latest:^1.9" is not a version`)
	assert.NotContains(t, r.stdout, "terraform init", "nothing planned")
	assert.NoFileExists(t, filepath.Join(w.root, "infra", "tfplan"))
	assert.NoFileExists(t, filepath.Join(w.root, "infra", "tfplan.lockstep.json"))
	assertEmptyDir(t, toolCache)
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "%s must stay empty: nothing is installed", dir)
}
