package terraform

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckMinVersion(t *testing.T) {
	for _, tc := range []struct {
		found    string
		segments []int
		wantErr  string
	}{
		{"1.5.0", []int{1, 5, 0}, ""},
		{"1.11.4", []int{1, 11, 4}, ""},
		{"2.0.0", []int{2, 0, 0}, ""},
		{"1.5.0-beta1", []int{1, 5, 0}, ""},
		{"1.4.7", []int{1, 4, 7}, "terraform is version 1.4.7; lockstep needs Terraform 1.5.0 or newer"},
		{"0.15.5", []int{0, 15, 5}, "terraform is version 0.15.5; lockstep needs Terraform 1.5.0 or newer"},
		{"1", []int{1}, "terraform is version 1; lockstep needs Terraform 1.5.0 or newer"},
	} {
		err := checkMinVersion("terraform", tc.found, tc.segments)
		if tc.wantErr == "" {
			assert.NoError(t, err, tc.found)
			continue
		}
		var old *TooOldError
		require.ErrorAs(t, err, &old, tc.found)
		assert.EqualError(t, err, tc.wantErr)
	}
}

// A binary that answers `version -json` as Terraform 1.4.6 does (a stub of
// that one command: no Terraform this old is installed here).
func TestVersionRefusesAnOldTerraform(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "terraform-1.4.6")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho '{\"terraform_version\":\"1.4.6\",\"platform\":\"linux_amd64\",\"provider_selections\":{},\"terraform_outdated\":false}'\n"), 0o755))
	tf, err := New(Options{ExecPath: bin, Dir: t.TempDir()})
	require.NoError(t, err)
	v, err := tf.Version(context.Background())
	assert.Equal(t, "1.4.6", v)
	assert.EqualError(t, err, bin+" is version 1.4.6; lockstep needs Terraform 1.5.0 or newer")
}
