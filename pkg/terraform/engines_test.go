package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// engines are the binaries the lifecycle tests run: the one every test runs
// (Terraform, or whatever LOCKSTEP_TERRAFORM names) and OpenTofu, which
// tftest.Tofu skips without (or fails without, under LOCKSTEP_REQUIRE_TOFU=1).
var engines = map[string]func(testing.TB) string{"path": tftest.Path, "tofu": tftest.Tofu}

// newModule writes files into a new module directory and returns a runner
// for it with bin.
func newModule(t *testing.T, bin string, files map[string]string) (*Terraform, string) {
	t.Helper()
	t.Setenv("CHECKPOINT_DISABLE", "1")
	dir := t.TempDir()
	tftest.WriteFiles(t, dir, files)
	var log showLog
	tf, err := New(Options{ExecPath: bin, Dir: dir, Log: &log})
	require.NoError(t, err)
	_, _, err = tf.Product(context.Background())
	require.NoError(t, err)
	require.NoError(t, tf.Init(context.Background(), InitOptions{}))
	return tf, dir
}

// manyResources is a module of n independent resources and an output.
func manyResources(n int, input string) map[string]string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "resource \"terraform_data\" \"r%02d\" {\n  input = %q\n}\n\n", i, input)
	}
	b.WriteString("output \"first\" {\n  value = terraform_data.r00.output\n}\n")
	return map[string]string{"main.tf": b.String()}
}

// Plan, show and apply a saved plan, then plan again with nothing to do:
// what lockstep reads from both engines is the same, and the plan text it
// shows does not depend on the order of the refresh lines, which OpenTofu
// changes from run to run.
func TestLifecycle(t *testing.T) {
	for name, find := range engines {
		t.Run(name, func(t *testing.T) {
			bin := find(t)
			ctx := context.Background()
			tf, _ := newModule(t, bin, manyResources(12, "v1"))

			res, err := tf.Plan(ctx, PlanOptions{Out: "tfplan"})
			require.NoError(t, err)
			assert.True(t, res.HasChanges)
			text := DisplayText(res.Text)
			assert.True(t, strings.HasPrefix(text, "  # terraform_data.r00 will be created\n"), "the text starts at the first change:\n%s", text)
			assert.Contains(t, text, "Plan: 12 to add, 0 to change, 0 to destroy.")
			p, err := tf.ShowPlan(ctx, "tfplan")
			require.NoError(t, err)
			s, err := plan.Summarize(p)
			require.NoError(t, err)
			assert.Equal(t, 12, s.Add)

			report, err := tf.Apply(ctx, ApplyOptions{PlanFile: "tfplan"})
			require.NoError(t, err)
			assert.Len(t, report.Planned, 12)
			assert.Len(t, report.Applied, 12)
			assert.Empty(t, report.Failed)
			assert.Empty(t, report.NotReached)
			assert.Empty(t, report.Errors)
			require.Contains(t, report.Outputs, "first")
			assert.JSONEq(t, `"v1"`, string(report.Outputs["first"].Value))
			outs, err := tf.Outputs(ctx)
			require.NoError(t, err)
			assert.JSONEq(t, `"v1"`, string(outs["first"].Value))

			// Twelve resources refresh in parallel; the shown text must be
			// the same every time.
			var shown []string
			for range 3 {
				res, err := tf.Plan(ctx, PlanOptions{Out: "tfplan"})
				require.NoError(t, err)
				assert.False(t, res.HasChanges)
				assert.Contains(t, res.Text, "terraform_data.r11: Refreshing state...")
				shown = append(shown, DisplayText(res.Text))
			}
			assert.True(t, strings.HasPrefix(shown[0], "No changes."), shown[0])
			assert.NotContains(t, shown[0], "Refreshing state")
			assert.Equal(t, shown[0], shown[1])
			assert.Equal(t, shown[0], shown[2])
		})
	}
}

// A saved plan made before another apply changed the state is refused as
// stale by both engines, and nothing is applied.
func TestStalePlanIsRefused(t *testing.T) {
	for name, find := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			tf, dir := newModule(t, find(t), manyResources(1, "v1"))
			_, err := tf.Plan(ctx, PlanOptions{Out: "first"})
			require.NoError(t, err)
			_, err = tf.Apply(ctx, ApplyOptions{PlanFile: "first"})
			require.NoError(t, err)

			tftest.WriteFiles(t, dir, manyResources(1, "v2"))
			_, err = tf.Plan(ctx, PlanOptions{Out: "old"})
			require.NoError(t, err)
			tftest.WriteFiles(t, dir, manyResources(1, "v3"))
			_, err = tf.Plan(ctx, PlanOptions{Out: "new"})
			require.NoError(t, err)
			_, err = tf.Apply(ctx, ApplyOptions{PlanFile: "new"})
			require.NoError(t, err)

			report, err := tf.Apply(ctx, ApplyOptions{PlanFile: "old"})
			require.ErrorIs(t, err, ErrStalePlan)
			assert.True(t, report.Stale)
			assert.Empty(t, report.Applied)
			outs, err := tf.Outputs(ctx)
			require.NoError(t, err)
			assert.JSONEq(t, `"v3"`, string(outs["first"].Value), "the stale plan changed nothing")
		})
	}
}

// A failure in the middle of an apply is reported per resource by both
// engines: applied, failed with the engine's error, never reached.
func TestPartialApplyReport(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "partial", "main.tf"))
	require.NoError(t, err)
	for name, find := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			tf, _ := newModule(t, find(t), map[string]string{"main.tf": string(src)})
			_, err := tf.Plan(ctx, PlanOptions{Out: "tfplan"})
			require.NoError(t, err)

			report, err := tf.Apply(ctx, ApplyOptions{PlanFile: "tfplan"})
			require.Error(t, err)
			assert.False(t, report.Stale)
			assert.Equal(t, []ResourceResult{{Address: "terraform_data.ok", Action: "create"}}, report.Applied)
			require.Len(t, report.Failed, 1)
			assert.Equal(t, "terraform_data.bad", report.Failed[0].Address)
			assert.Contains(t, report.Failed[0].Error, "local-exec provisioner error")
			assert.Equal(t, []ResourceResult{{Address: "terraform_data.after", Action: "create"}}, report.NotReached)
		})
	}
}
