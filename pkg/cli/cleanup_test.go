package cli

import "testing"

func TestIsPlanArtifact(t *testing.T) {
	const prefix = "lockstep-production-0a1b2c3d"
	tests := []struct {
		name string
		want bool
	}{
		{prefix + "-apply", true},
		{prefix + "-plan-0123456789ab", true},
		{prefix + "-plan-", true},
		{prefix + "-applied", false},
		{prefix + "-apply-2", false},
		{prefix + "ff-plan-0123456789ab", false}, // another call whose hash starts alike
		{"lockstep-production-ffffffff-apply", false},
		{"x-" + prefix + "-apply", false},
		{"coverage", false},
	}
	for _, tt := range tests {
		if got := isPlanArtifact(tt.name, prefix); got != tt.want {
			t.Errorf("isPlanArtifact(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
