package act

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/cli"
)

// The binary under test is built by "go build", which go test's cache cannot
// see; depending on pkg/cli makes a change to lockstep's code invalidate the
// cached results of these tests.
var _ = cli.Main

// lockFile is a dependency lock file without providers: enough for
// hashFiles to find one (so the cache steps run) without a registry.
const lockFile = "# This file is maintained automatically by \"terraform init\".\n"

// providerPath is the only thing a cache entry may hold.
var providerPath = regexp.MustCompile(`^stacks/(api|web)/\.terraform/providers(/|$)`)

// TestCachesHoldOnlyProvidersWithSeveralStacks: with two changed stacks the
// apply job gets a newline list of directories, which hashFiles and the
// cache's path split into whole-directory patterns; no cache entry may then
// hold a plan, a record or anything but .terraform/providers, and the
// apply job never saves a cache.
func TestCachesHoldOnlyProvidersWithSeveralStacks(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"stacks/api/.terraform.lock.hcl": lockFile,
		"stacks/web/.terraform.lock.hcl": lockFile,
	}
	for k, v := range monorepoFiles {
		files[k] = v
	}
	w := newWorld(t, ".", files)
	w.backend = ""
	res := w.act("push")

	res.requireJobs(t, map[string]string{
		"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
	})
	require.Contains(t, res.steps["plans"]["directories"], "\n", "apply got several directories")

	// Every file of every cache entry is a provider file.
	var cached []string
	root := filepath.Join(w.shared, "cache")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".key") {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		entryRel := filepath.ToSlash(rel[strings.IndexByte(rel, filepath.Separator)+1:])
		cached = append(cached, entryRel)
		return nil
	})
	if !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	for _, f := range cached {
		require.Regexp(t, providerPath, f, "a cache entry holds more than providers")
		for _, bad := range []string{"tfplan", "tfplan.age", ".lockstep.json"} {
			require.False(t, strings.HasSuffix(f, bad), "a cache entry holds %s", f)
		}
	}
	require.NotContains(t, res.log, "Post Restore the cached Terraform providers", "apply restores only")

	// The plans left the plan jobs sealed, and only sealed.
	for _, a := range w.artifacts() {
		for _, f := range a.Files {
			require.False(t, strings.HasSuffix(f, "/tfplan"), "artifact %s holds a plaintext plan %s", a.Name, f)
		}
	}
	res.requireNoSecrets(t)
}

// TestPublicRepositoryWithoutPlanKeyUploadsNoPlan: without LOCKSTEP_PLAN_KEY
// a public repository's plan job refuses to upload a saved plan, with the
// fix in the error, and nothing is applied.
func TestPublicRepositoryWithoutPlanKeyUploadsNoPlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "infra")
	w.planKey = ""
	res := w.act("push")

	require.Equal(t, "failure", res.jobs["plan"])
	require.NotEqual(t, "success", res.jobs["apply"])
	require.Contains(t, res.log, "infra: refusing to upload an unencrypted saved plan from a public repository (anyone can download it). Fix: add a repository secret LOCKSTEP_PLAN_KEY")
	for _, a := range w.artifacts() {
		require.NotContains(t, a.Files, "infra/tfplan")
	}
	require.NoFileExists(t, w.state, "nothing applied")
}
