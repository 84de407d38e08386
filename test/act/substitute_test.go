package act

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/substitute")

// testInputs is a small action.yml input list for the golden files.
var testInputs = []Input{
	{Name: "command"},
	{Name: "working-directory", Default: "."},
	{Name: "github-token", Default: "${{ github.token }}"},
	{Name: "allow-destroy", Default: "false"},
}

var testOptions = Options{Binary: "/opt/lockstep/bin/lockstep", Helper: "/opt/act helper", Inputs: testInputs}

func TestSubstituteGolden(t *testing.T) {
	in, err := filepath.Glob(filepath.Join("testdata", "substitute", "*.in.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, in)
	for _, path := range in {
		name := strings.TrimSuffix(filepath.Base(path), ".in.yml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			got, err := SubstituteBytes(src, testOptions)
			require.NoError(t, err)
			golden := filepath.Join("testdata", "substitute", name+".golden.yml")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./test/act -run TestSubstituteGolden -update to create it")
			require.Equal(t, string(want), string(got))
		})
	}
}

func TestSubstituteRejects(t *testing.T) {
	tests := []struct {
		name     string
		workflow string
		wantErr  string
	}{
		{
			name: "an action without a stand-in",
			workflow: `
jobs:
  j:
    steps:
      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020
`,
			wantErr: "job j, step 1 (actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020): no substitution for uses",
		},
		{
			name: "an input action.yml does not declare",
			workflow: `
jobs:
  j:
    steps:
      - name: Plan
        uses: ./.lockstep-action
        with:
          command: plan
          working-directroy: infra
`,
			wantErr: `job j, step 1 (Plan): input "working-directroy" is not declared in action.yml`,
		},
		{
			name: "an anchor inside a substituted step",
			workflow: `
jobs:
  j:
    steps:
      - uses: actions/checkout@v4
        with: &w
          path: x
      - uses: actions/checkout@v4
        with: *w
`,
			wantErr: "an anchor inside a step that uses an action is not supported",
		},
		{
			name:     "no jobs",
			workflow: "on: push\n",
			wantErr:  "the workflow has no jobs",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SubstituteBytes([]byte(tt.workflow), testOptions)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// TestSubstitutePipeline runs the substitution over the real pipeline.yml:
// no step may still use an action, every lockstep step gets every input
// action.yml declares, and every cache step gets its post step.
func TestSubstitutePipeline(t *testing.T) {
	repo := tftest.RepoRoot()
	inputs := actionInputs(t)
	o := Options{Binary: "/bin/lockstep", Helper: "/bin/helper", Inputs: inputs}

	src, err := os.ReadFile(filepath.Join(repo, ".github", "workflows", "pipeline.yml"))
	require.NoError(t, err)
	out, err := SubstituteBytes(src, o)
	require.NoError(t, err)

	// The post steps that save a cache belong to actions/cache steps only
	// (actions/cache/restore never saves).
	var srcDoc yaml.Node
	require.NoError(t, yaml.Unmarshal(src, &srcDoc))
	saving := map[string]int{}
	srcJobs := lookup(root(&srcDoc), "jobs")
	for i := 0; i+1 < len(srcJobs.Content); i += 2 {
		if steps := lookup(srcJobs.Content[i+1], "steps"); steps != nil {
			for _, step := range steps.Content {
				if u := lookup(step, "uses"); u != nil && actionName(resolve(u).Value) == "actions/cache" {
					saving[srcJobs.Content[i].Value]++
				}
			}
		}
	}

	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(out, &doc))
	jobs := lookup(root(&doc), "jobs")
	require.NotNil(t, jobs)
	commands := map[string][]string{}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		job := jobs.Content[i].Value
		steps := lookup(jobs.Content[i+1], "steps")
		require.NotNil(t, steps, "job %s", job)
		posts := 0
		for _, step := range steps.Content {
			if u := lookup(step, "uses"); u != nil && resolve(u).Value == "./.github/actions/lockstep-setup" {
				continue // the caller's own hook: act runs it as it is
			}
			require.Nil(t, lookup(step, "uses"), "job %s still uses an action in step %s", job, stepLabel(step))
			run := resolve(lookup(step, "run")).Value
			env := lookup(step, "env")
			switch {
			case strings.Contains(run, "/bin/lockstep"):
				require.Equal(t, `cd "$GITHUB_WORKSPACE" && exec '/bin/lockstep' action`, run)
				for _, in := range inputs {
					require.NotNil(t, lookup(env, inputEnv(in.Name)), "job %s: %s missing", job, inputEnv(in.Name))
				}
				commands[job] = append(commands[job], lookup(env, "INPUT_COMMAND").Value)
			case strings.Contains(run, VerbCacheSave):
				posts++
				require.Equal(t, "${{ success() }}", lookup(step, "if").Value)
			}
		}
		require.Equal(t, saving[job], posts, "job %s: one post step per actions/cache step", job)
	}
	require.Equal(t, map[string][]string{
		"detect": {"detect"}, "plan": {"validate", "plan"}, "apply": {"gate", "apply", "cleanup"}, "deploy": {"deploy"}, "verify": {"verify"},
		// The twins that name deploy-environment (pkg/release.EnvironmentTwins).
		"deploy-in-environment": {"deploy"}, "verify-in-environment": {"verify"},
	}, commands, "each job runs its lockstep commands (plans only sums up the plan jobs' records)")
}

func TestReadActionInputs(t *testing.T) {
	inputs, err := ReadActionInputs(filepath.Join(tftest.RepoRoot(), "action.yml"))
	require.NoError(t, err)
	byName := map[string]string{}
	for _, in := range inputs {
		byName[in.Name] = in.Default
	}
	require.Equal(t, "command", inputs[0].Name)
	require.Equal(t, ".", byName["working-directory"])
	require.Equal(t, "${{ github.token }}", byName["github-token"])
}

func TestInputEnv(t *testing.T) {
	require.Equal(t, "INPUT_WORKING-DIRECTORY", inputEnv("working-directory"))
	require.Equal(t, "INPUT_A_B", inputEnv("a b"))
}
