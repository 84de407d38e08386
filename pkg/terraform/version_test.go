package terraform

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

func TestCheckMinVersion(t *testing.T) {
	for _, tc := range []struct {
		product  string
		found    string
		segments []int
		wantErr  string
	}{
		{ProductTerraform, "1.5.0", []int{1, 5, 0}, ""},
		{ProductTerraform, "1.11.4", []int{1, 11, 4}, ""},
		{ProductTerraform, "2.0.0", []int{2, 0, 0}, ""},
		{ProductTerraform, "1.5.0-beta1", []int{1, 5, 0}, ""},
		{ProductTerraform, "1.4.7", []int{1, 4, 7}, "terraform is version 1.4.7; lockstep needs Terraform 1.5.0 or newer"},
		{ProductTerraform, "0.15.5", []int{0, 15, 5}, "terraform is version 0.15.5; lockstep needs Terraform 1.5.0 or newer"},
		{ProductTerraform, "1", []int{1}, "terraform is version 1; lockstep needs Terraform 1.5.0 or newer"},
		{"", "1.4.7", []int{1, 4, 7}, "terraform is version 1.4.7; lockstep needs Terraform 1.5.0 or newer"},
		{ProductOpenTofu, "1.6.0", []int{1, 6, 0}, ""},
		{ProductOpenTofu, "1.6.0-alpha1", []int{1, 6, 0}, ""},
		{ProductOpenTofu, "1.12.6", []int{1, 12, 6}, ""},
		{ProductOpenTofu, "1.5.7", []int{1, 5, 7}, "terraform is version 1.5.7; lockstep needs OpenTofu 1.6.0 or newer"},
	} {
		err := checkMinVersion("terraform", tc.product, tc.found, tc.segments)
		if tc.wantErr == "" {
			assert.NoError(t, err, tc.found)
			continue
		}
		var old *TooOldError
		require.ErrorAs(t, err, &old, tc.found)
		assert.EqualError(t, err, tc.wantErr)
	}
}

func TestParseProduct(t *testing.T) {
	for _, tc := range []struct {
		name, out, want, wantErr string
	}{
		{"terraform", "Terraform v1.11.4\non linux_amd64\n", ProductTerraform, ""},
		{"terraform with providers", "Terraform v1.5.7\non linux_amd64\n+ provider registry.terraform.io/hashicorp/null v3.2.1\n", ProductTerraform, ""},
		{"opentofu", "OpenTofu v1.12.6\non linux_amd64\n", ProductOpenTofu, ""},
		{"no newline", "OpenTofu v1.6.0", ProductOpenTofu, ""},
		{"json", `{"terraform_version":"1.4.6"}`, "", "`version` printed \"{\\\"terraform_version\\\":\\\"1.4.6\\\"}\", not \"Terraform v…\" or \"OpenTofu v…\""},
		{"empty", "", "", "`version` printed \"\", not \"Terraform v…\" or \"OpenTofu v…\""},
		{"not first line", "Warning: something\nTerraform v1.11.4\n", "", "`version` printed \"Warning: something\", not \"Terraform v…\" or \"OpenTofu v…\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProduct([]byte(tc.out))
			if tc.wantErr != "" {
				assert.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Binaries that answer the version commands as Terraform 1.4.6 and a
// (hypothetical) OpenTofu 1.5.9 would: no binary that old is installed
// here, and lockstep must refuse each, naming its own minimum.
func TestVersionRefusesAnOldBinary(t *testing.T) {
	for _, tc := range []struct{ product, version, need string }{
		{ProductTerraform, "1.4.6", "lockstep needs Terraform 1.5.0 or newer"},
		{ProductOpenTofu, "1.5.9", "lockstep needs OpenTofu 1.6.0 or newer"},
	} {
		t.Run(tc.product, func(t *testing.T) {
			bin := tftest.VersionStub(t, tc.product, tc.version)
			tf, err := New(Options{ExecPath: bin, Dir: t.TempDir()})
			require.NoError(t, err)
			name, v, err := tf.Product(context.Background())
			assert.Equal(t, tc.product, name)
			assert.Equal(t, tc.version, v)
			assert.EqualError(t, err, bin+" is version "+tc.version+"; "+tc.need)
			var old *TooOldError
			require.ErrorAs(t, err, &old)
			assert.Equal(t, tc.product, old.Product)
			assert.Equal(t, tc.version, old.Found)
		})
	}
}

// The real binaries say what they are: OpenTofu (tftest.Tofu), and the
// binary every other test runs (tftest.Path), which is Terraform unless it
// is named tofu (`make test-opentofu` points LOCKSTEP_TERRAFORM at tofu).
func TestProduct(t *testing.T) {
	for name, find := range map[string]func(testing.TB) string{"tofu": tftest.Tofu, "path": tftest.Path} {
		t.Run(name, func(t *testing.T) {
			bin := find(t)
			want := ProductTerraform
			if strings.HasPrefix(filepath.Base(bin), "tofu") {
				want = ProductOpenTofu
			}
			tf, err := New(Options{ExecPath: bin, Dir: t.TempDir()})
			require.NoError(t, err)
			product, v, err := tf.Product(context.Background())
			require.NoError(t, err)
			assert.Equal(t, want, product)
			assert.Regexp(t, `^\d+\.\d+\.\d+`, v)
			again, err := tf.Version(context.Background())
			require.NoError(t, err)
			assert.Equal(t, v, again)
		})
	}
}
