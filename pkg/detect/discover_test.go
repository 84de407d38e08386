package detect

import (
	"os"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureDir is the fixture monorepo shared with pkg/policy's tests.
const fixtureDir = "../../test/fixtures/monorepo"

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func call(name, source string) string {
	return "module \"" + name + "\" {\n  source = \"" + source + "\"\n}\n"
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		globs []string
		want  []Stack
	}{
		{
			name: "uncalled directories are stacks, called ones modules, transitively",
			fsys: fstest.MapFS{
				"infra/app/main.tf":     file(call("tags", "../../modules/tags") + call("q", "../../modules/queue")),
				"infra/db/main.tf":      file(call("tags", "../../modules/tags")),
				"modules/tags/main.tf":  file(call("naming", "../naming")),
				"modules/naming/x.tf":   file(`variable "x" {}`),
				"modules/queue/main.tf": file(`resource "terraform_data" "q" {}`),
				"README.md":             file("# repo"),
			},
			want: []Stack{
				{Dir: "infra/app", Modules: []string{"modules/naming", "modules/queue", "modules/tags"}},
				{Dir: "infra/db", Modules: []string{"modules/naming", "modules/tags"}},
			},
		},
		{
			name: "globs choose the stacks; unmatched uncalled directories are not stacks",
			fsys: fstest.MapFS{
				"infra/app/main.tf":    file(call("tags", "../../modules/tags")),
				"infra/app/sub/x.tf":   file(`variable "x" {}`),
				"examples/demo/ex.tf":  file(call("tags", "../../modules/tags")),
				"infra/empty/README":   file("no terraform here"),
				"modules/tags/main.tf": file(`variable "x" {}`),
			},
			globs: []string{"infra/*"},
			want:  []Stack{{Dir: "infra/app", Modules: []string{"modules/tags"}}},
		},
		{
			name: "a glob may match a directory that is also called as a module",
			fsys: fstest.MapFS{
				"a/main.tf": file(call("b", "../b")),
				"b/main.tf": file(`variable "x" {}`),
			},
			globs: []string{"*"},
			want:  []Stack{{Dir: "a", Modules: []string{"b"}}, {Dir: "b"}},
		},
		{
			name: "remote, registry and escaping sources are not followed",
			fsys: fstest.MapFS{
				"stack/main.tf": file(call("reg", "terraform-aws-modules/vpc/aws") +
					call("git", "git::https://example.com/m.git//sub?ref=v1") +
					call("gh", "github.com/org/repo") +
					call("out", "../../outside") +
					call("missing", "./not-there") +
					call("notf", "./docs")),
				"stack/docs/README.md": file("docs"),
			},
			want: []Stack{{Dir: "stack"}},
		},
		{
			name: "the repository root can be a stack, calling nested local modules",
			fsys: fstest.MapFS{
				"main.tf":               file(call("a", "./modules/a")),
				"modules/a/main.tf":     file(call("b", "./b")),
				"modules/a/b/main.tf":   file(call("c", "../../c")),
				"modules/c/main.tf":     file(`variable "x" {}`),
				"modules/c/main.tf~":    file(`this is an editor backup, not HCL {{{`),
				"modules/c/.hidden.tf":  file(`neither is this {{{`),
				"modules/c/#autosave#":  file(`{{{`),
				"modules/c/tests/x.hcl": file(`{{{`),
			},
			want: []Stack{{Dir: ".", Modules: []string{"modules/a", "modules/a/b", "modules/c"}}},
		},
		{
			name: "hidden directories, .terraform and node_modules are skipped",
			fsys: fstest.MapFS{
				"stack/main.tf":                         file(`variable "x" {}`),
				"stack/.terraform/modules/tags/main.tf": file(`broken {{{`),
				".github/tf/main.tf":                    file(`broken {{{`),
				"node_modules/pkg/main.tf":              file(`broken {{{`),
				"web/node_modules/pkg/main.tf":          file(`broken {{{`),
			},
			want: []Stack{{Dir: "stack"}},
		},
		{
			name: "JSON configuration counts",
			fsys: fstest.MapFS{
				"stack/main.tf.json": file(`{"module": {"m": {"source": "../mod"}}}`),
				"mod/main.tf":        file(`variable "x" {}`),
			},
			want: []Stack{{Dir: "stack", Modules: []string{"mod"}}},
		},
		{
			name: "a module called twice and by two paths is listed once",
			fsys: fstest.MapFS{
				"s/main.tf": file(call("a1", "../a") + call("a2", "../a/") + call("b", "../b")),
				"a/main.tf": file(call("c", "../c")),
				"b/main.tf": file(call("c", "../c")),
				"c/main.tf": file(`variable "x" {}`),
			},
			want: []Stack{{Dir: "s", Modules: []string{"a", "b", "c"}}},
		},
		{
			name: "module cycles end instead of recursing",
			fsys: fstest.MapFS{
				"s/main.tf": file(call("a", "../a")),
				"a/main.tf": file(call("b", "../b")),
				"b/main.tf": file(call("a", "../a")),
			},
			want: []Stack{{Dir: "s", Modules: []string{"a", "b"}}},
		},
		{
			name: "files that cannot hold a module block are not parsed",
			fsys: fstest.MapFS{
				"s/main.tf":      file("# uses the module below\n" + call("m", "../m")),
				"s/variables.tf": file(`variable "x" { this is not HCL`),
				"m/main.tf":      file(`variable "x" {}`),
			},
			want: []Stack{{Dir: "s", Modules: []string{"m"}}},
		},
		{
			name: "no Terraform at all",
			fsys: fstest.MapFS{"README.md": file("hi")},
			want: []Stack{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Discover(tt.fsys, tt.globs)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDiscoverErrors(t *testing.T) {
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		globs []string
		want  string
	}{
		{
			name: "unparsable Terraform names the file and line",
			fsys: fstest.MapFS{
				"infra/app/main.tf": file("module \"a\" {\n  source = \"../a\"\n\nresource {\n"),
			},
			want: "reading module calls in infra/app: infra/app/main.tf:",
		},
		{
			name:  "bad stacks glob",
			fsys:  fstest.MapFS{},
			globs: []string{"infra/[x"},
			want:  `stacks glob "infra/[x" is not a valid pattern`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Discover(tt.fsys, tt.globs)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestDiscoverFixture(t *testing.T) {
	want := []Stack{
		{Dir: "infra/app", Modules: []string{"modules/naming", "modules/queue", "modules/tags"}},
		{Dir: "infra/db", Modules: []string{"modules/naming", "modules/tags"}},
		{Dir: "infra/network", Modules: []string{"modules/naming", "modules/tags"}},
	}
	for _, globs := range [][]string{nil, {"infra/*"}} {
		got, err := Discover(os.DirFS(fixtureDir), globs)
		require.NoError(t, err)
		assert.Equal(t, want, got, "globs %q", globs)
	}
}

func TestMatchDirs(t *testing.T) {
	dirs := []string{"infra/app", "infra/app/sub", "modules/tags", "."}
	assert.Equal(t, []string{"infra/app"}, MatchDirs([]string{"infra/*"}, dirs))
	assert.Equal(t, []string{"infra/app", "infra/app/sub"}, MatchDirs([]string{"infra/**/*"}, dirs))
	assert.Equal(t, []string{"infra/app", "modules/tags"}, MatchDirs([]string{"modules/*", "infra/*"}, dirs))
	assert.Nil(t, MatchDirs([]string{"infra/[x"}, dirs))
	assert.Nil(t, MatchDirs(nil, dirs))
}
