package act

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

func readYAML(t *testing.T, path string) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc), path)
	return root(&doc)
}

// The example setup hooks (examples/lockstep-setup/*/action.yml) are
// composite actions as the reusable workflow runs them: every step of a
// third-party action pinned by commit with its version in a comment, every
// run step with a shell and no ${{ }} in its script, and each picks an
// identity for all four jobs that run the hook.
func TestOIDCSetupExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(tftest.RepoRoot(), "examples", "lockstep-setup", "*", "action.yml"))
	require.NoError(t, err)
	require.Len(t, files, 3, "AWS, Google Cloud and Azure")
	for _, path := range files {
		rel, _ := filepath.Rel(tftest.RepoRoot(), path)
		doc := readYAML(t, path)
		runs := lookup(doc, "runs")
		require.Equal(t, "composite", lookup(runs, "using").Value, rel)
		steps := lookup(runs, "steps")
		require.NotNil(t, steps, rel)
		logins := 0
		for _, step := range steps.Content {
			where := rel + ", step " + stepLabel(step)
			if uses := lookup(step, "uses"); uses != nil {
				require.Regexp(t, pinned, uses.Value, "%s: pin by full commit SHA", where)
				require.Regexp(t, versionComment, strings.TrimSpace(uses.LineComment), "%s: say the version in a comment", where)
				logins++
				continue
			}
			run := lookup(step, "run")
			require.NotNil(t, run, where)
			require.NotNil(t, lookup(step, "shell"), "%s: a composite's run step needs shell:", where)
			require.NotContains(t, run.Value, "${{", "%s: pass values through env:", where)
			for _, job := range []string{"plan)", "apply)", "deploy | verify)"} {
				require.Contains(t, run.Value, job, "%s: an identity for LOCKSTEP_JOB %s", where, job)
			}
		}
		require.Positive(t, logins, "%s logs in with an action", rel)
	}
}

// id-token: write only where it is used: the OIDC example callers grant it
// and call pipeline-oidc.yml, no other example caller grants it, and every
// `with:` key of a call of lockstep's reusable workflows is one of its
// inputs (actionlint cannot check a remote call).
func TestExampleCallersAndIDToken(t *testing.T) {
	inputsOf := func(file string) map[string]bool {
		call := lookup(lookup(readYAML(t, filepath.Join(tftest.RepoRoot(), ".github", "workflows", file)), "on"), "workflow_call")
		in := lookup(call, "inputs")
		require.NotNil(t, in, file)
		out := map[string]bool{}
		for i := 0; i < len(in.Content); i += 2 {
			out[in.Content[i].Value] = true
		}
		return out
	}
	inputs := map[string]map[string]bool{"pipeline.yml": inputsOf("pipeline.yml"), "pipeline-oidc.yml": inputsOf("pipeline-oidc.yml")}
	require.Equal(t, inputs["pipeline.yml"], inputs["pipeline-oidc.yml"])

	files, err := filepath.Glob(filepath.Join(tftest.RepoRoot(), "workflows", "*.yml"))
	require.NoError(t, err)
	oidcCallers := 0
	for _, path := range files {
		name := filepath.Base(path)
		jobs := lookup(readYAML(t, path), "jobs")
		for i := 0; i+1 < len(jobs.Content); i += 2 {
			job := jobs.Content[i+1]
			where := name + ", job " + jobs.Content[i].Value
			uses := lookup(job, "uses")
			grants := lookup(lookup(job, "permissions"), "id-token") != nil
			if uses == nil || !strings.HasPrefix(uses.Value, "lockstep-ci/lockstep/.github/workflows/") {
				require.False(t, grants, "%s grants id-token without calling pipeline-oidc.yml", where)
				continue
			}
			file, _, _ := strings.Cut(strings.TrimPrefix(uses.Value, "lockstep-ci/lockstep/.github/workflows/"), "@")
			if in, ok := inputs[file]; ok {
				with := lookup(job, "with")
				for k := 0; with != nil && k < len(with.Content); k += 2 {
					require.True(t, in[with.Content[k].Value], "%s: %s has no input %s", where, file, with.Content[k].Value)
				}
			}
			if strings.HasPrefix(name, "oidc-") {
				require.Equal(t, "pipeline-oidc.yml", file, where)
				require.True(t, grants, "%s: pipeline-oidc.yml needs id-token: write from its caller", where)
				require.Equal(t, "write", lookup(lookup(job, "permissions"), "id-token").Value, where)
				oidcCallers++
			} else {
				require.False(t, grants, "%s grants id-token: only the OIDC callers may", where)
			}
		}
	}
	require.Equal(t, 3, oidcCallers, "workflows/oidc-aws.yml, oidc-google-cloud.yml, oidc-azure.yml")
}
