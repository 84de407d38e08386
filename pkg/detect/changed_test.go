package detect

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChanged(t *testing.T) {
	stacks, err := Discover(os.DirFS(fixtureDir), nil)
	require.NoError(t, err)

	tests := []struct {
		name    string
		changed []string
		deleted []string
		want    Result
	}{
		{
			name:    "a module used by every stack",
			changed: []string{"modules/tags/main.tf"},
			want: Result{
				Stacks: []string{"infra/app", "infra/db", "infra/network"},
				Reasons: map[string][]string{
					"infra/app":     {"module modules/tags"},
					"infra/db":      {"module modules/tags"},
					"infra/network": {"module modules/tags"},
				},
			},
		},
		{
			name:    "a nested module reaches the stacks through the module calling it",
			changed: []string{"modules/naming/main.tf"},
			want: Result{
				Stacks: []string{"infra/app", "infra/db", "infra/network"},
				Reasons: map[string][]string{
					"infra/app":     {"module modules/naming"},
					"infra/db":      {"module modules/naming"},
					"infra/network": {"module modules/naming"},
				},
			},
		},
		{
			name:    "a module used by one stack",
			changed: []string{"modules/queue/main.tf"},
			want: Result{
				Stacks:  []string{"infra/app"},
				Reasons: map[string][]string{"infra/app": {"module modules/queue"}},
			},
		},
		{
			name:    "a stack-only change",
			changed: []string{"infra/db/main.tf", "infra/db/README.md"},
			want: Result{
				Stacks:  []string{"infra/db"},
				Reasons: map[string][]string{"infra/db": {"infra/db/README.md", "infra/db/main.tf"}},
			},
		},
		{
			name:    "a file in a stack's plain subdirectory belongs to the stack",
			changed: []string{"infra/app/templates/policy.json"},
			want: Result{
				Stacks:  []string{"infra/app"},
				Reasons: map[string][]string{"infra/app": {"infra/app/templates/policy.json"}},
			},
		},
		{
			name:    "stack and module files together, reasons sorted",
			changed: []string{"infra/app/z.tf", "modules/queue/main.tf", "infra/app/a.tf", "modules/naming/main.tf"},
			want: Result{
				Stacks: []string{"infra/app", "infra/db", "infra/network"},
				Reasons: map[string][]string{
					"infra/app":     {"infra/app/a.tf", "infra/app/z.tf", "module modules/naming", "module modules/queue"},
					"infra/db":      {"module modules/naming"},
					"infra/network": {"module modules/naming"},
				},
			},
		},
		{
			name:    "changes outside any stack or module",
			changed: []string{"README.md", "src/app.js", "modules/README.md", "infra/README.md", ".github/workflows/ci.yml"},
			want:    Result{Reasons: map[string][]string{}},
		},
		{
			name:    "a deleted file in a stack that still exists is a change",
			changed: []string{"infra/network/outputs.tf"},
			deleted: []string{"infra/network/old.tf"},
			want: Result{
				Stacks:  []string{"infra/network"},
				Reasons: map[string][]string{"infra/network": {"infra/network/old.tf", "infra/network/outputs.tf"}},
			},
		},
		{
			name:    "a deleted stack is reported, not dropped",
			deleted: []string{"infra/cache/main.tf", "infra/cache/variables.tf", "infra/cache/files/init.sh", "infra/cache/.terraform.lock.hcl"},
			want: Result{
				Deleted: []string{"infra/cache"},
				Reasons: map[string][]string{"infra/cache": {
					"infra/cache/.terraform.lock.hcl", "infra/cache/files/init.sh", "infra/cache/main.tf", "infra/cache/variables.tf",
				}},
			},
		},
		{
			name:    "a renamed stack: the old directory is deleted, the new one changed",
			changed: []string{"infra/app/main.tf"},
			deleted: []string{"infra/application/main.tf"},
			want: Result{
				Stacks:  []string{"infra/app"},
				Deleted: []string{"infra/application"},
				Reasons: map[string][]string{
					"infra/app":         {"infra/app/main.tf"},
					"infra/application": {"infra/application/main.tf"},
				},
			},
		},
		{
			name:    "deleting non-Terraform files deletes no directory",
			deleted: []string{"docs/old.md", "infra/legacy/README.md"},
			want:    Result{Reasons: map[string][]string{}},
		},
		{
			name:    "paths are cleaned, duplicates and paths outside the repository ignored",
			changed: []string{"./infra/db/main.tf", "infra/db/main.tf", "infra/db//main.tf", "../infra/app/main.tf", "/infra/app/main.tf", ""},
			want: Result{
				Stacks:  []string{"infra/db"},
				Reasons: map[string][]string{"infra/db": {"infra/db/main.tf"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Changed(stacks, tt.changed, tt.deleted))
		})
	}
}

func TestChangedNestedStacks(t *testing.T) {
	stacks := []Stack{
		{Dir: "."},
		{Dir: "envs/prod", Modules: []string{"envs/prod/modules/app"}},
		{Dir: "envs/prod/dns"},
	}
	tests := []struct {
		name    string
		changed []string
		want    []string
	}{
		{"root file", []string{"main.tf"}, []string{"."}},
		{"unowned subdirectory falls to the root stack", []string{"docs/x.md"}, []string{"."}},
		{"a subdirectory that is another stack is not its parent's", []string{"envs/prod/dns/main.tf"}, []string{"envs/prod/dns"}},
		{"a module nested in its stack", []string{"envs/prod/modules/app/main.tf"}, []string{"envs/prod"}},
		{"the parent stack's own file", []string{"envs/prod/main.tf"}, []string{"envs/prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Changed(stacks, tt.changed, nil).Stacks)
		})
	}
}

func TestChangedDeletedFiltersWithGlobs(t *testing.T) {
	stacks := []Stack{{Dir: "infra/app"}}
	res := Changed(stacks, nil, []string{"modules/old/main.tf", "infra/old/main.tf"})
	assert.Equal(t, []string{"infra/old", "modules/old"}, res.Deleted)
	assert.Equal(t, []string{"infra/old"}, MatchDirs([]string{"infra/*"}, res.Deleted))
}

func TestPathsChanged(t *testing.T) {
	infra := []string{"infra/**", "modules/**"}
	app := []string{"src/**", "Dockerfile"}
	tests := []struct {
		name  string
		globs []string
		files []string
		want  bool
	}{
		{"infra file", infra, []string{"README.md", "infra/app/main.tf"}, true},
		{"deep module file", infra, []string{"modules/tags/sub/x.tf"}, true},
		{"app file", app, []string{"src/main.go"}, true},
		{"exact file", app, []string{"Dockerfile"}, true},
		{"not a prefix match", app, []string{"Dockerfile.dev", "docs/src/x"}, false},
		{"no files", infra, nil, false},
		{"no globs", nil, []string{"infra/app/main.tf"}, false},
		{"cleaned path", app, []string{"./src/x.go"}, true},
		{"bad glob matches nothing", []string{"src/[x"}, []string{"src/x"}, false},
		{"brace alternatives", []string{"{src,lib}/**/*.go"}, []string{"lib/a/b.go"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, PathsChanged(tt.globs, tt.files))
		})
	}
}
