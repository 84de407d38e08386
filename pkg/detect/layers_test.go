package detect

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/policy"
)

func TestLayers(t *testing.T) {
	tests := []struct {
		name      string
		stacks    []string
		dependsOn map[string][]string
		want      [][]string
		wantErr   string
	}{
		{
			name:   "no dependencies: one sorted layer",
			stacks: []string{"c", "a", "b"},
			want:   [][]string{{"a", "b", "c"}},
		},
		{
			name:      "the fixture's order: app after db and network",
			stacks:    []string{"infra/app", "infra/db", "infra/network"},
			dependsOn: map[string][]string{"infra/app": {"infra/network", "infra/db"}},
			want:      [][]string{{"infra/db", "infra/network"}, {"infra/app"}},
		},
		{
			name:   "a chain and a diamond",
			stacks: []string{"app", "db", "network", "dns", "cdn", "edge"},
			dependsOn: map[string][]string{
				"db":   {"network"},
				"dns":  {"network"},
				"app":  {"db", "dns"},
				"edge": {"app", "cdn"},
			},
			want: [][]string{{"cdn", "network"}, {"db", "dns"}, {"app"}, {"edge"}},
		},
		{
			name:      "dependencies outside the set are ignored for ordering",
			stacks:    []string{"infra/app"},
			dependsOn: map[string][]string{"infra/app": {"infra/network", "infra/db"}},
			want:      [][]string{{"infra/app"}},
		},
		{
			name:      "entries for stacks outside the set are ignored",
			stacks:    []string{"a", "b"},
			dependsOn: map[string][]string{"z": {"a"}, "b": {"z"}},
			want:      [][]string{{"a", "b"}},
		},
		{
			name:      "paths are cleaned and duplicates dropped",
			stacks:    []string{"infra/app/", "./infra/db", "infra/db"},
			dependsOn: map[string][]string{"./infra/app": {"infra/db/", "infra/db"}},
			want:      [][]string{{"infra/db"}, {"infra/app"}},
		},
		{
			name: "no stacks",
			want: nil,
		},
		{
			name:      "a three-stack cycle, named in order from its first stack",
			stacks:    []string{"infra/network", "infra/app", "infra/db"},
			dependsOn: map[string][]string{"infra/app": {"infra/db"}, "infra/db": {"infra/network"}, "infra/network": {"infra/app"}},
			wantErr:   "depends-on has a cycle: infra/app -> infra/db -> infra/network -> infra/app (each stack depends on the next); remove one of these dependencies",
		},
		{
			name:      "a cycle behind acyclic stacks names only the cycle",
			stacks:    []string{"a", "b", "c", "d", "root"},
			dependsOn: map[string][]string{"a": {"d"}, "d": {"c", "root"}, "c": {"b"}, "b": {"c"}},
			wantErr:   "depends-on has a cycle: b -> c -> b (each stack depends on the next); remove one of these dependencies",
		},
		{
			name:      "a stack of the cycle that also depends on a placed stack: the walk follows the cycle",
			stacks:    []string{"a", "m", "n"},
			dependsOn: map[string][]string{"m": {"a", "n"}, "n": {"m"}},
			wantErr:   "depends-on has a cycle: m -> n -> m (each stack depends on the next); remove one of these dependencies",
		},
		{
			name:      "a stack depending on itself",
			stacks:    []string{"a", "b"},
			dependsOn: map[string][]string{"b": {"b"}},
			wantErr:   "depends-on has a cycle: b -> b (each stack depends on the next); remove one of these dependencies",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Layers(tt.stacks, tt.dependsOn)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				var cycle *CycleError
				require.True(t, errors.As(err, &cycle))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCycleErrorStacks(t *testing.T) {
	_, err := Layers([]string{"x", "y", "z"}, map[string][]string{"z": {"x"}, "x": {"y"}, "y": {"z"}})
	var cycle *CycleError
	require.True(t, errors.As(err, &cycle))
	assert.Equal(t, []string{"x", "y", "z"}, cycle.Stacks)
}

func TestExternalDependencies(t *testing.T) {
	got := ExternalDependencies(
		[]string{"infra/app", "infra/db"},
		map[string][]string{
			"infra/app":   {"infra/network", "infra/db", "infra/dns", "infra/network/"},
			"infra/db":    {"infra/network"},
			"infra/other": {"infra/zzz"},
		})
	assert.Equal(t, []Dependency{
		{Stack: "infra/app", On: "infra/dns"},
		{Stack: "infra/app", On: "infra/network"},
		{Stack: "infra/db", On: "infra/network"},
	}, got)
	assert.Nil(t, ExternalDependencies([]string{"a"}, map[string][]string{"a": {"a"}}))
}

// TestFixturePolicies runs the fixture monorepo end to end through its
// policy files: discovery, a module change, and ordering, then the cycle.
func TestFixturePolicies(t *testing.T) {
	f, err := policy.Load(fixtureDir + "/.lockstep.yml")
	require.NoError(t, err)
	stacks, err := Discover(os.DirFS(fixtureDir), f.Stacks)
	require.NoError(t, err)
	res := Changed(stacks, []string{"modules/naming/main.tf"}, nil)
	layers, err := Layers(res.Stacks, f.DependsOn)
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"infra/db", "infra/network"}, {"infra/app"}}, layers)
	assert.True(t, PathsChanged(f.InfraPaths, []string{"modules/naming/main.tf"}))
	assert.False(t, PathsChanged(f.AppPaths, []string{"modules/naming/main.tf"}))

	cyc, err := policy.Load("../../test/fixtures/monorepo-cycle/.lockstep.yml")
	require.NoError(t, err)
	_, err = Layers(res.Stacks, cyc.DependsOn)
	require.EqualError(t, err, "depends-on has a cycle: infra/app -> infra/db -> infra/network -> infra/app (each stack depends on the next); remove one of these dependencies")
}
