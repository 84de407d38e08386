package pulumi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/engine/pulumi"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/pulumitest"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// The drift command's plan (PlanOptions.Scratch) of a stack whose things
// the test provider keeps as files (LOCKSTEP_THING_DIR), so that they can
// change outside Pulumi.

// thingProject is newProject with the things kept in files of things.
func thingProject(t *testing.T) (p *project, things string) {
	t.Helper()
	bin := pulumitest.Path(t)
	things = t.TempDir()
	p = &project{dir: t.TempDir(), bin: bin, env: append(pulumitest.Env(t, bin), "LOCKSTEP_THING_DIR="+things)}
	program, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "pulumi", "Pulumi.yaml"))
	require.NoError(t, err)
	tftest.WriteFiles(t, p.dir, map[string]string{"Pulumi.yaml": string(program)})
	p.a, err = pulumi.New(pulumi.Options{ExecPath: bin, Dir: p.dir, Stack: "dev", Env: p.env})
	require.NoError(t, err)
	pulumitest.Run(t, bin, p.dir, p.env, "stack", "init", "dev", "--non-interactive")
	require.NoError(t, p.a.Init(context.Background(), engine.InitOptions{}))
	p.config(t, "password", secret, "--secret")
	return p, things
}

func (p *project) export(t *testing.T) string {
	t.Helper()
	return pulumitest.Run(t, p.bin, p.dir, p.env, "stack", "export", "--stack", "dev")
}

func driftOf(s *plan.Summary) []string {
	var out []string
	for _, c := range s.Drift {
		out = append(out, string(c.Action)+" "+c.Address)
	}
	return out
}

func TestTheProviderKeepsThingsInFiles(t *testing.T) {
	p, things := thingProject(t)
	p.up(t)
	for name, want := range map[string]string{
		"thing-first-k1": `{"key":"k1","value":"one"}`,
		"thing-second":   `{"fail":false,"value":"one"}`,
		"thing-third":    `{"value":"one"}`,
	} {
		got, err := os.ReadFile(filepath.Join(things, name))
		require.NoError(t, err)
		assert.Equal(t, want+"\n", string(got), name)
	}
	p.config(t, "value", "two")
	p.up(t)
	got, err := os.ReadFile(filepath.Join(things, "thing-third"))
	require.NoError(t, err)
	assert.Equal(t, `{"value":"two"}`+"\n", string(got), "an update rewrites the file")

	pulumitest.Run(t, p.bin, p.dir, p.env, "destroy", "--yes", "--stack", "dev", "--non-interactive", "--skip-preview")
	left, err := os.ReadDir(things)
	require.NoError(t, err)
	assert.Empty(t, left, "a delete removes the file")
}

func TestDriftSeesWhatChangedOutsidePulumiAndNeverWritesTheState(t *testing.T) {
	ctx := context.Background()
	p, things := thingProject(t)
	p.up(t)

	// Outside Pulumi: second's value is edited, third is deleted.
	require.NoError(t, os.WriteFile(filepath.Join(things, "thing-second"), []byte(`{"fail":false,"value":"edited"}`), 0o644))
	require.NoError(t, os.Remove(filepath.Join(things, "thing-third")))
	before := p.export(t)
	fp, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)

	// An ordinary plan does not refresh: it sees nothing.
	ordinary, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	assert.Empty(t, ordinary.Summary.Drift)
	assert.Empty(t, actions(ordinary.Summary))

	planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "drift.json", Scratch: true})
	require.NoError(t, err)
	assert.Equal(t, []plan.Change{
		{Address: "lockstep:index:Thing::third", Type: "lockstep:index:Thing", Name: "third", Mode: "managed", Action: plan.ActionDelete},
		{Address: "lockstep:index:Thing::second", Type: "lockstep:index:Thing", Name: "second", Mode: "managed", Action: plan.ActionUpdate, ChangedAttributes: []string{"value"}},
	}, planned.Summary.Drift)
	// What applying the program would do to the real things: put second's
	// value back and make third again.
	assert.Equal(t, []string{"create third", "update second"}, actions(planned.Summary))
	assert.Equal(t, []string{"value"}, planned.Summary.Changes[1].ChangedAttributes)
	assert.Equal(t, []int{1, 1, 0}, []int{planned.Summary.Add, planned.Summary.Change, planned.Summary.Destroy})
	assert.True(t, planned.HasChanges)
	assert.Equal(t, engine.Pulumi, planned.Summary.Engine)
	assert.Contains(t, planned.Text, `"edited" => "one"`)
	noSecret(t, planned)

	// Preview only: the state is exactly what it was, and so are the
	// things.
	assert.Equal(t, before, p.export(t), "a drift check never writes the state")
	after, err := p.a.StateFingerprint(ctx)
	require.NoError(t, err)
	assert.Equal(t, fp, after)
	got, err := os.ReadFile(filepath.Join(things, "thing-second"))
	require.NoError(t, err)
	assert.Equal(t, `{"fail":false,"value":"edited"}`, string(got))
	assert.NoFileExists(t, filepath.Join(things, "thing-third"))

	// A refresh (the documented way to accept the drift) and an update
	// that keeps the program's value: clean again.
	pulumitest.Run(t, p.bin, p.dir, p.env, "refresh", "--yes", "--stack", "dev", "--non-interactive", "--skip-preview")
	p.up(t)
	clean, err := p.a.Plan(ctx, engine.PlanOptions{Out: "drift.json", Scratch: true})
	require.NoError(t, err)
	assert.Empty(t, clean.Summary.Drift)
	assert.Empty(t, clean.Summary.Changes)
	assert.False(t, clean.HasChanges)
}

func TestDriftOfACleanStackAndOfUnappliedCode(t *testing.T) {
	ctx := context.Background()
	p, _ := thingProject(t)
	p.up(t)

	clean, err := p.a.Plan(ctx, engine.PlanOptions{Out: "drift.json", Scratch: true})
	require.NoError(t, err)
	assert.Empty(t, clean.Summary.Drift)
	assert.Empty(t, clean.Summary.Changes)
	assert.Empty(t, clean.Summary.Outputs)
	assert.False(t, clean.HasChanges)

	// An ordinary plan of the same clean stack: its secret output (token)
	// shows as [secret] before and after in the events, which is no change
	// (the plan's stack goal names no output), so apply can be skipped.
	ordinary, err := p.a.Plan(ctx, engine.PlanOptions{Out: "plan.json"})
	require.NoError(t, err)
	assert.Empty(t, ordinary.Summary.Changes)
	assert.Empty(t, ordinary.Summary.Outputs, "an unchanged secret output is no change")
	assert.False(t, ordinary.HasChanges)

	// The program has a change that is not applied; nothing changed
	// outside Pulumi.
	p.config(t, "value", "two")
	unapplied, err := p.a.Plan(ctx, engine.PlanOptions{Out: "drift.json", Scratch: true})
	require.NoError(t, err)
	assert.Empty(t, unapplied.Summary.Drift)
	assert.Equal(t, []string{"update first", "update second", "update third"}, actions(unapplied.Summary))
	assert.Equal(t, []plan.OutputChange{{Name: "greeting", Action: plan.ActionUpdate, Before: `"hello-one"`, After: `"hello-two"`}}, unapplied.Summary.Outputs)
	assert.True(t, unapplied.HasChanges)
	noSecret(t, unapplied)
}

// Without LOCKSTEP_THING_DIR the provider keeps nothing outside the state:
// a drift check of a stack applied that way finds nothing.
func TestDriftWithoutTheThingStoreFindsNothing(t *testing.T) {
	ctx := context.Background()
	p := newProject(t)
	p.up(t)
	planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "drift.json", Scratch: true})
	require.NoError(t, err)
	assert.Empty(t, planned.Summary.Drift)
	assert.False(t, planned.HasChanges)
}

// A failed refresh (the thing's file is not JSON) fails the drift plan
// with the provider's error, and writes nothing.
func TestDriftOfAnUnreadableThingFails(t *testing.T) {
	ctx := context.Background()
	p, things := thingProject(t)
	p.up(t)
	require.NoError(t, os.WriteFile(filepath.Join(things, "thing-first-k1"), []byte("not json"), 0o644))
	before := p.export(t)
	planned, err := p.a.Plan(ctx, engine.PlanOptions{Out: "drift.json", Scratch: true})
	require.Error(t, err)
	require.NotNil(t, planned)
	assert.Contains(t, planned.Text+err.Error(), "decoding thing thing-first-k1")
	assert.Equal(t, before, p.export(t))
}
