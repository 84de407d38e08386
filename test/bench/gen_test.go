package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

func TestKindMix(t *testing.T) {
	count := map[Kind]int{}
	for i := range 100 {
		count[KindOf(i)]++
	}
	assert.Equal(t, map[Kind]int{Create: 10, Update: 24, ReplaceDeleteFirst: 5, ReplaceCreateFirst: 5, Delete: 10, NoOp: 46}, count)
}

// A generated plan is a valid Terraform 1.11 plan whose counts are the mix,
// with every kind of secret where Summarize looks for it; lockstep's decode
// gives the same Summary and Fingerprint as the full decode.
func TestGeneratedPlan(t *testing.T) {
	for _, n := range []int{100, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := fixtureFor(n)
			full := fullDecode(f)
			require.NoError(t, full.Validate())
			assert.Equal(t, "1.2", full.FormatVersion)
			assert.Len(t, full.ResourceChanges, n)
			assert.True(t, bytes.HasPrefix(f.json(), []byte(`{"format_version":"1.2","terraform_version":"1.11.4","variables":`)), "Terraform's key order")

			s := summarize(full)
			k := n / 100
			assert.Equal(t, 20*k, s.Add)
			assert.Equal(t, 24*k, s.Change)
			assert.Equal(t, 20*k, s.Destroy)
			assert.Equal(t, 10*k, s.Replace)
			assert.NotEmpty(t, s.Drift)
			assert.NotEmpty(t, s.Outputs)
			for _, secret := range []string{
				sharedPassword,                // resource attribute and variable
				"ds-secret-000000-Zq8vLx",     // data source read during planning: prior_state only
				"sk-live-51HqLz8Tb2Vn4Ww",     // sensitive variable
				"cs-9fQ2mZr7Lw3xVt8p",         // nested in a sensitive object variable
				"out-tok-Rt7mWx2z",            // sensitive output
				"-----BEGIN PRIVATE KEY-----", // a line of a multi-line secret
			} {
				assert.True(t, slices.ContainsFunc(s.Secrets, func(x string) bool { return strings.Contains(x, secret) }), "secret %q", secret)
			}

			got := decode(f)
			assert.Equal(t, s, summarize(got))
			assert.Equal(t, plan.Fingerprint(full), plan.Fingerprint(got))

			assert.Contains(t, f.text(), fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy))
		})
	}
}

// The whole path's bodies fit GitHub's limits and hold no secret.
func TestWholePathFits(t *testing.T) {
	f := fixtureFor(1000)
	out := wholePath(f, f.capturedText())
	assert.LessOrEqual(t, utf8.RuneCountInString(out.comment), comment.CommentLimit)
	assert.LessOrEqual(t, len(out.summary), comment.SummaryLimitBytes)
	assert.Contains(t, out.comment, "200 to add")
	s := summarize(decode(f))
	for _, secret := range s.Secrets {
		require.NotContains(t, out.comment, secret)
		require.NotContains(t, out.summary, secret)
	}
}

func TestWriteStack(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteStack(dir, 200, 1))
	v1, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	require.NoError(t, err)
	items1, err := os.ReadFile(filepath.Join(dir, "items.json"))
	require.NoError(t, err)
	require.NoError(t, WriteStack(dir, 200, 2))
	v2, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	require.NoError(t, err)
	items2, err := os.ReadFile(filepath.Join(dir, "items.json"))
	require.NoError(t, err)
	assert.NotEqual(t, items1, items2)
	assert.Contains(t, string(v2), "create_before_destroy = true")
	assert.Contains(t, string(v2), "sensitive")
	assert.Contains(t, string(v1), "version 1")
	// Deleted items are gone, created ones are there.
	assert.Len(t, stackItems(200, 1), 180)
	assert.Len(t, stackItems(200, 2), 180)
	var cbd map[string]string
	b, err := os.ReadFile(filepath.Join(dir, "items_cbd.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &cbd))
	assert.Len(t, cbd, 10, "replaces planned create-first")
}

// Against real Terraform, the stack plans exactly the mix.
func TestStackPlansTheMix(t *testing.T) {
	if testing.Short() {
		t.Skip("applies and plans a stack with real Terraform")
	}
	dir := t.TempDir()
	tf := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tftest.Path(t), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "terraform %v:\n%s", args, out)
		return string(out)
	}
	require.NoError(t, WriteStack(dir, 100, 1))
	tf("init", "-input=false")
	tf("apply", "-input=false", "-auto-approve")
	require.NoError(t, WriteStack(dir, 100, 2))
	tf("plan", "-input=false", "-out=tfplan")
	out := tf("show", "-no-color", "tfplan")
	assert.Contains(t, out, "Plan: 20 to add, 24 to change, 20 to destroy.")
	assert.Contains(t, out, "create replacement and then destroy")
}
