package detect

import (
	"encoding/json"
	"fmt"
)

// MaxMatrix is the most jobs GitHub Actions generates from one matrix.
const MaxMatrix = 256

type matrixEntry struct {
	Directory   string `json:"directory"`
	Environment string `json:"environment"`
}

type matrix struct {
	Include []matrixEntry `json:"include"`
}

func render(stacks []string, environment string) string {
	m := matrix{Include: make([]matrixEntry, len(stacks))}
	for i, s := range stacks {
		m.Include[i] = matrixEntry{Directory: s, Environment: environment}
	}
	b, _ := json.Marshal(m) // strings only: cannot fail
	return string(b)
}

// Matrix renders stacks, in the order given, as a GitHub Actions job matrix:
// {"include":[{"directory":…,"environment":…}]}. No stacks give
// {"include":[]}, which GitHub rejects as a matrix: skip the job instead.
// More than MaxMatrix stacks is an error; use SplitMatrix.
func Matrix(stacks []string, environment string) (string, error) {
	if len(stacks) > MaxMatrix {
		return "", fmt.Errorf("rendering the stacks matrix: %d stacks exceed GitHub's limit of %d jobs per matrix; split them with SplitMatrix", len(stacks), MaxMatrix)
	}
	return render(stacks, environment), nil
}

// SplitMatrix renders stacks, in order, as matrices of at most maxEntries
// entries each, and never more than MaxMatrix (maxEntries <= 0 means
// MaxMatrix). No stacks give no matrices.
func SplitMatrix(stacks []string, environment string, maxEntries int) []string {
	if maxEntries <= 0 || maxEntries > MaxMatrix {
		maxEntries = MaxMatrix
	}
	var out []string
	for start := 0; start < len(stacks); start += maxEntries {
		end := min(start+maxEntries, len(stacks))
		out = append(out, render(stacks[start:end], environment))
	}
	return out
}
