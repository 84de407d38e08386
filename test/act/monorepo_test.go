package act

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/fakegithub"
)

// monorepoFiles are two stacks that call one shared module, with
// stacks/web applying after stacks/api. Each keeps its state outside the
// workspace (@STATE@), as a remote backend would.
var monorepoFiles = map[string]string{
	".lockstep.yml": `stacks: ["stacks/*"]
depends-on:
  stacks/web: [stacks/api]
app-paths: ["src/**"]
`,
	"modules/shared/main.tf": `variable "name" {
  type = string
}

output "label" {
  value = "shared-${var.name}-v1"
}
`,
	"stacks/api/main.tf": `terraform {
  backend "local" {
    path = "@STATE@/api.tfstate"
  }
}

module "shared" {
  source = "../../modules/shared"
  name   = "api"
}

resource "terraform_data" "api" {
  input = module.shared.label
}
`,
	"stacks/web/main.tf": `terraform {
  backend "local" {
    path = "@STATE@/web.tfstate"
  }
}

module "shared" {
  source = "../../modules/shared"
  name   = "web"
}

resource "terraform_data" "web" {
  input = module.shared.label
}
`,
	"src/app.txt":  "the app, v1\n",
	"README.md":    "# shop\n",
	"docs/note.md": "nothing that ships\n",
}

// stateHolds reports whether the state file at path has a resource of type
// and name.
func stateHolds(t *testing.T, path, typ, name string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var st struct {
		Resources []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"resources"`
	}
	require.NoError(t, json.Unmarshal(data, &st))
	for _, r := range st.Resources {
		if r.Type == typ && r.Name == name {
			return true
		}
	}
	return false
}

// TestMonorepo runs the pipeline over a repository of two stacks sharing a
// module: a pull request touching only the module plans both (a comment
// each); then push after push, a change to only the module plans and applies
// both stacks, in their depends-on order; an app-only change skips
// Terraform and deploys; a change to neither skips the deploy too.
func TestMonorepo(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ".", monorepoFiles)
	w.backend = "" // each stack names its own state
	apiState := filepath.Join(filepath.Dir(w.state), "api.tfstate")
	webState := filepath.Join(filepath.Dir(w.state), "web.tfstate")

	t.Run("a pull request touching the module plans both stacks, one comment each", func(t *testing.T) {
		w.gh.AddPullRequest(owner, repo, 7, w.sha)
		w.gh.AddPullFiles(owner, repo, 7, fakegithub.PullFile{Filename: "modules/shared/main.tf"})
		res := w.act("pull_request")

		res.requireJobs(t, map[string]string{
			"detect": "success", "plan": "success", "plans": "success", "apply": "skipped", "deploy": "skipped", "verify": "skipped",
		})
		require.Equal(t, map[string]string{"stacks/api": "success", "stacks/web": "success"}, res.matrix["plan"])
		comments := w.gh.Comments(owner, repo, 7)
		require.Len(t, comments, 2, "one plan comment per stack")
		var markers []string
		for _, c := range comments {
			markers = append(markers, strings.SplitN(c.Body, "\n", 2)[0])
		}
		require.ElementsMatch(t, []string{
			"<!-- lockstep:plan dir=stacks/api env=staging -->",
			"<!-- lockstep:plan dir=stacks/web env=staging -->",
		}, markers)
		require.False(t, stateHolds(t, apiState, "terraform_data", "api"), "nothing applied on a pull request")
	})

	t.Run("a change to the shared module applies both stacks in order", func(t *testing.T) {
		w.commit(map[string]string{"modules/shared/main.tf": strings.Replace(monorepoFiles["modules/shared/main.tf"], "-v1", "-v2", 1)})
		res := w.act("push")

		res.requireJobs(t, map[string]string{
			"detect": "success", "plan": "success", "plans": "success", "apply": "success", "deploy": "success", "verify": "success",
		})
		require.Equal(t, map[string]string{"stacks/api": "success", "stacks/web": "success"}, res.matrix["plan"], "one plan job per stack")
		detect := res.steps["detect"]
		require.JSONEq(t, `{"include":[{"directory":"stacks/api","environment":"staging"},{"directory":"stacks/web","environment":"staging"}]}`, detect["stacks"])
		require.JSONEq(t, `[["stacks/api"],["stacks/web"]]`, detect["layers"])
		require.Equal(t, "true", detect["infra-changed"])
		require.Equal(t, "false", detect["app-changed"], "only the module changed")
		require.Equal(t, "true", res.steps["plans"]["has-changes"])
		require.Equal(t, "2", res.steps["plans"]["add"], "one resource in each stack")
		require.Equal(t, "stacks/api", strings.Split(res.steps["plans"]["directories"], "\n")[0])

		// One apply job, layer by layer: api applied before web started.
		applied := strings.Index(res.log, "stacks/api · layer 1 · applied")
		webStarted := strings.Index(res.log, "→ stacks/web: started")
		require.Positive(t, applied, "api's apply log group")
		require.Greater(t, webStarted, applied, "web (layer 2) starts after api (layer 1) applied")
		require.True(t, stateHolds(t, apiState, "terraform_data", "api"), "api applied")
		require.True(t, stateHolds(t, webState, "terraform_data", "web"), "web applied")

		// Infra changed, so the app deploys on it (app-paths did not match).
		w.requireAppDeployment(t)
		require.Equal(t, 1, strings.Count(w.deployed(), deployTarget))
		res.requireNoSecrets(t)
	})

	t.Run("an app-only change skips Terraform and deploys", func(t *testing.T) {
		w.commit(map[string]string{"src/app.txt": "the app, v2\n"})
		res := w.act("push")

		res.requireJobs(t, map[string]string{
			"detect": "success", "plan": "skipped", "plans": "skipped", "apply": "skipped", "deploy": "success", "verify": "success",
		})
		require.Equal(t, `{"include":[]}`, res.steps["detect"]["stacks"])
		require.Equal(t, "false", res.steps["detect"]["infra-changed"])
		require.Equal(t, "true", res.steps["detect"]["app-changed"])
		require.NotContains(t, res.log, "terraform plan in", "Terraform never ran")
		require.Equal(t, 2, strings.Count(w.deployed(), deployTarget), "the app deployed again")
		require.Regexp(t, `^app:.+-infra:.+$`, res.outputs["deployment-version"])
		require.Equal(t, "success", res.outputs["result"])
		w.requireAppDeployment(t)
	})

	t.Run("a change to neither skips the deploy", func(t *testing.T) {
		w.commit(map[string]string{"docs/note.md": "still nothing that ships\n"})
		res := w.act("push")

		res.requireJobs(t, map[string]string{
			"detect": "success", "plan": "skipped", "plans": "skipped", "apply": "skipped", "deploy": "skipped", "verify": "skipped",
		})
		require.Equal(t, "false", res.steps["detect"]["infra-changed"])
		require.Equal(t, "false", res.steps["detect"]["app-changed"])
		require.Equal(t, 2, strings.Count(w.deployed(), deployTarget), "no deploy")
	})
}
