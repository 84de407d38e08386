package detect

import (
	"path"
	"slices"
	"strings"
)

// CycleError reports stacks whose depends-on form a cycle, so no order
// exists.
type CycleError struct {
	// Stacks are the cycle in order: each depends on the next, and the last
	// on the first. It starts at the alphabetically first stack in it.
	Stacks []string
}

func (e *CycleError) Error() string {
	chain := append(slices.Clone(e.Stacks), e.Stacks[0])
	return "depends-on has a cycle: " + strings.Join(chain, " -> ") +
		" (each stack depends on the next); remove one of these dependencies"
}

// Dependency is one depends-on edge: Stack applies after On.
type Dependency struct {
	Stack string
	On    string
}

// Layers groups stacks into layers that can apply together: each layer only
// depends on earlier ones (Kahn's algorithm), and each layer is sorted.
// dependsOn maps a stack to the stacks that must apply first; dependencies on
// stacks not in stacks are ignored for ordering (ExternalDependencies lists
// them). A cycle is a *CycleError. Paths are cleaned; duplicates are dropped.
func Layers(stacks []string, dependsOn map[string][]string) ([][]string, error) {
	in := map[string]bool{}
	var nodes []string
	for _, s := range stacks {
		s = path.Clean(s)
		if !in[s] {
			in[s] = true
			nodes = append(nodes, s)
		}
	}
	deps := inSetDeps(in, dependsOn)

	pending := map[string]int{}         // stack -> dependencies not yet placed
	dependents := map[string][]string{} // stack -> stacks waiting on it
	for _, s := range nodes {
		pending[s] = len(deps[s])
		for _, d := range deps[s] {
			dependents[d] = append(dependents[d], s)
		}
	}

	var layers [][]string
	var layer []string
	for _, s := range nodes {
		if pending[s] == 0 {
			layer = append(layer, s)
		}
	}
	placed := 0
	for len(layer) > 0 {
		slices.Sort(layer)
		layers = append(layers, layer)
		placed += len(layer)
		var next []string
		for _, s := range layer {
			for _, t := range dependents[s] {
				if pending[t]--; pending[t] == 0 {
					next = append(next, t)
				}
			}
		}
		layer = next
	}
	if placed < len(nodes) {
		return nil, &CycleError{Stacks: findCycle(nodes, pending, deps)}
	}
	return layers, nil
}

// inSetDeps is dependsOn cleaned and restricted to stacks in the set, each
// list sorted and without duplicates.
func inSetDeps(in map[string]bool, dependsOn map[string][]string) map[string][]string {
	deps := map[string][]string{}
	for s, list := range dependsOn {
		s = path.Clean(s)
		if !in[s] {
			continue
		}
		for _, d := range list {
			if d = path.Clean(d); in[d] && !slices.Contains(deps[s], d) {
				deps[s] = append(deps[s], d)
			}
		}
		slices.Sort(deps[s])
	}
	return deps
}

// findCycle walks dependencies among the stacks Kahn could not place: each
// has an unplaced dependency, so the walk must revisit a stack, and the path
// from that stack on is a cycle.
func findCycle(nodes []string, pending map[string]int, deps map[string][]string) []string {
	var left []string
	for _, s := range nodes {
		if pending[s] > 0 {
			left = append(left, s)
		}
	}
	slices.Sort(left)
	at := map[string]int{}
	var walk []string
	s := left[0]
	for {
		if i, ok := at[s]; ok {
			cycle := walk[i:]
			first := slices.Index(cycle, slices.Min(cycle))
			return append(slices.Clone(cycle[first:]), cycle[:first]...)
		}
		at[s] = len(walk)
		walk = append(walk, s)
		for _, d := range deps[s] { // sorted: the walk is deterministic
			if pending[d] > 0 {
				s = d
				break
			}
		}
	}
}

// ExternalDependencies lists the depends-on edges of stacks in the set whose
// dependency is not in the set, sorted; Layers ignores them for ordering.
// A caller may warn about them: those stacks are not planned in this run.
func ExternalDependencies(stacks []string, dependsOn map[string][]string) []Dependency {
	in := map[string]bool{}
	for _, s := range stacks {
		in[path.Clean(s)] = true
	}
	var out []Dependency
	for s, list := range dependsOn {
		s = path.Clean(s)
		if !in[s] {
			continue
		}
		for _, d := range list {
			dep := Dependency{Stack: s, On: path.Clean(d)}
			if !in[dep.On] && !slices.Contains(out, dep) {
				out = append(out, dep)
			}
		}
	}
	slices.SortFunc(out, func(a, b Dependency) int {
		if c := strings.Compare(a.Stack, b.Stack); c != 0 {
			return c
		}
		return strings.Compare(a.On, b.On)
	})
	return out
}
