package act

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// workflowFiles are lockstep's workflows and the example callers.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	root := tftest.RepoRoot()
	var files []string
	for _, dir := range []string{".github/workflows", "workflows"} {
		for _, ext := range []string{"*.yml", "*.yaml"} {
			m, err := filepath.Glob(filepath.Join(root, dir, ext))
			require.NoError(t, err)
			files = append(files, m...)
		}
	}
	require.NotEmpty(t, files)
	return files
}

// eachStep calls f with every step of every job of the workflow at path.
func eachStep(t *testing.T, path string, f func(job string, step *yaml.Node)) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc), path)
	jobs := lookup(root(&doc), "jobs")
	require.NotNil(t, jobs, path)
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		steps := lookup(jobs.Content[i+1], "steps")
		if steps == nil {
			continue
		}
		for _, step := range steps.Content {
			f(jobs.Content[i].Value, step)
		}
	}
}

// Inputs, outputs and event data reach scripts through env:, never as ${{ }}
// inside run:, where a crafted value would become shell code.
func TestNoExpressionsInRun(t *testing.T) {
	for _, path := range workflowFiles(t) {
		rel, _ := filepath.Rel(tftest.RepoRoot(), path)
		eachStep(t, path, func(job string, step *yaml.Node) {
			if run := lookup(step, "run"); run != nil {
				require.NotContains(t, resolve(run).Value, "${{", "%s, job %s, step %q: pass the value through env:", rel, job, stepLabel(step))
			}
		})
	}
}

var pinned = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
var versionComment = regexp.MustCompile(`^# v\d+\.\d+\.\d+$`)

// Every third-party action is pinned by full commit SHA, with its version in
// a comment for people and for update bots.
func TestActionsArePinned(t *testing.T) {
	for _, path := range workflowFiles(t) {
		rel, _ := filepath.Rel(tftest.RepoRoot(), path)
		eachStep(t, path, func(job string, step *yaml.Node) {
			uses := lookup(step, "uses")
			if uses == nil || strings.HasPrefix(uses.Value, "./") || strings.HasPrefix(uses.Value, "docker://") {
				return
			}
			where := rel + ", job " + job + ", step " + stepLabel(step)
			require.Regexp(t, pinned, uses.Value, "%s: pin by full commit SHA", where)
			require.Regexp(t, versionComment, strings.TrimSpace(uses.LineComment), "%s: say the version in a comment (# v1.2.3)", where)
		})
	}
}
