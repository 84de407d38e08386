package detect

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRepo is a throwaway git repository isolated from the user's git
// configuration.
type testRepo struct {
	t   *testing.T
	dir string
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	require.NoError(r.t, err, "git %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

func (r *testRepo) write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		require.NoError(r.t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(r.t, os.WriteFile(p, []byte(content), 0o644))
	}
}

func (r *testRepo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func TestPushChangedFiles(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{
		"infra/app/main.tf":     "# app\n",
		"infra/db/main.tf":      "# db\n",
		"infra/old/main.tf":     "# old stack\n",
		"modules/tags/main.tf":  "# tags with enough content that a rename is detected as one\n# line two\n# line three\n",
		"README.md":             "hello\n",
		"docs/with space/é.md":  "unicode and a space\n",
		"src/untouched/file.go": "package untouched\n",
	})
	first := r.commit("first")

	r.write(map[string]string{
		"infra/app/main.tf":      "# app changed\n",
		"infra/new/main.tf":      "# new stack\n",
		"docs/with space/é.md":   "changed\n",
		"modules/labels/main.tf": "# tags with enough content that a rename is detected as one\n# line two\n# line three\n",
	})
	require.NoError(t, os.RemoveAll(filepath.Join(r.dir, "infra/old")))
	require.NoError(t, os.Remove(filepath.Join(r.dir, "modules/tags/main.tf")))
	second := r.commit("second")
	// The rename really is one in git's eyes, so the R branch is exercised.
	require.Contains(t, r.git("diff", "--name-status", "--find-renames", first, second), "R100\tmodules/tags/main.tf\tmodules/labels/main.tf")

	r.git("checkout", "-q", "-b", "feature")
	r.write(map[string]string{"feature.txt": "x\n"})
	third := r.commit("third")

	tests := []struct {
		name        string
		before      string
		after       string
		wantChanged []string
		wantDeleted []string
		wantErr     string
	}{
		{
			name:        "modify, add, delete and rename",
			before:      first,
			after:       second,
			wantChanged: []string{"docs/with space/é.md", "infra/app/main.tf", "infra/new/main.tf", "modules/labels/main.tf"},
			wantDeleted: []string{"infra/old/main.tf", "modules/tags/main.tf"},
		},
		{
			name:        "across several commits",
			before:      first,
			after:       third,
			wantChanged: []string{"docs/with space/é.md", "feature.txt", "infra/app/main.tf", "infra/new/main.tf", "modules/labels/main.tf"},
			wantDeleted: []string{"infra/old/main.tf", "modules/tags/main.tf"},
		},
		{
			name:   "nothing changed",
			before: second,
			after:  second,
		},
		{
			name:   "a new branch has no before: every file at after",
			before: "0000000000000000000000000000000000000000",
			after:  second,
			wantChanged: []string{
				"README.md", "docs/with space/é.md", "infra/app/main.tf", "infra/db/main.tf",
				"infra/new/main.tf", "modules/labels/main.tf", "src/untouched/file.go",
			},
		},
		{
			name:        "an empty before is treated like a new branch",
			before:      "",
			after:       first,
			wantChanged: []string{"README.md", "docs/with space/é.md", "infra/app/main.tf", "infra/db/main.tf", "infra/old/main.tf", "modules/tags/main.tf", "src/untouched/file.go"},
		},
		{
			name:    "a before commit missing from the clone",
			before:  "1234567890abcdef1234567890abcdef12345678",
			after:   second,
			wantErr: "listing the push's changed files: commit 1234567890ab (the push's before) is not in this clone; check out with fetch-depth: 0 or fetch it first: git cat-file: exit status",
		},
		{
			name:    "no after commit",
			before:  first,
			wantErr: "listing the push's changed files: no after commit given",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed, deleted, err := PushChangedFiles(context.Background(), r.dir, tt.before, tt.after)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantChanged, changed)
			assert.Equal(t, tt.wantDeleted, deleted)
		})
	}

	t.Run("the result feeds Changed", func(t *testing.T) {
		changed, deleted, err := PushChangedFiles(context.Background(), r.dir, first, second)
		require.NoError(t, err)
		stacks, err := Discover(os.DirFS(r.dir), nil)
		require.NoError(t, err)
		res := Changed(stacks, changed, deleted)
		assert.Equal(t, []string{"infra/app", "infra/new", "modules/labels"}, res.Stacks)
		assert.Equal(t, []string{"infra/old", "modules/tags"}, res.Deleted)
	})

	t.Run("a cancelled context stops git", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _, err := PushChangedFiles(ctx, r.dir, first, second)
		require.Error(t, err)
	})
}

func TestParseNameStatus(t *testing.T) {
	tests := []struct {
		name        string
		out         string
		wantChanged []string
		wantDeleted []string
		wantErr     string
	}{
		{
			name:        "every status",
			out:         "M\x00a\x00A\x00b\x00D\x00c\x00R087\x00old\x00new\x00C100\x00src\x00copy\x00T\x00link\x00U\x00conflict\x00",
			wantChanged: []string{"a", "b", "conflict", "copy", "link", "new"},
			wantDeleted: []string{"c", "old"},
		},
		{
			name:        "paths with newlines and tabs survive -z",
			out:         "M\x00odd\nname\x00A\x00tab\there\x00",
			wantChanged: []string{"odd\nname", "tab\there"},
		},
		{
			name: "empty",
			out:  "",
		},
		{
			name:    "a rename missing its new path",
			out:     "R100\x00old\x00",
			wantErr: `unexpected git diff output near "R100 old"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed, deleted, err := parseNameStatus([]byte(tt.out))
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantChanged, changed)
			assert.Equal(t, tt.wantDeleted, deleted)
		})
	}
}
