package terraform

import (
	"context"
	"os"
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
		{"after a warning", "\nWarning: Unable to open CLI configuration file\n\nThe CLI configuration file at \"/root/.terraformrc\" does not exist.\nOpenTofu v1.12.6\non linux_amd64\n", ProductOpenTofu, ""},
		{"json", `{"terraform_version":"1.4.6"}`, "", "`version` printed no \"Terraform v…\" or \"OpenTofu v…\" line (its first: \"{\\\"terraform_version\\\":\\\"1.4.6\\\"}\")"},
		{"empty", "", "", "`version` printed no \"Terraform v…\" or \"OpenTofu v…\" line (its first: \"\")"},
		{"indented", "  Terraform v1.11.4\n", "", "`version` printed no \"Terraform v…\" or \"OpenTofu v…\" line (its first: \"  Terraform v1.11.4\")"},
		{"other product", "Pulumi v3.274.1\n", "", "`version` printed no \"Terraform v…\" or \"OpenTofu v…\" line (its first: \"Pulumi v3.274.1\")"},
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

func TestCheckCLIConfig(t *testing.T) {
	dir := t.TempDir()
	exists := filepath.Join(dir, "tofurc")
	require.NoError(t, os.WriteFile(exists, nil, 0o644))
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"none", nil, ""},
		{"exists", map[string]string{"TF_CLI_CONFIG_FILE": exists}, ""},
		{"missing", map[string]string{"TF_CLI_CONFIG_FILE": missing},
			`environment variable TF_CLI_CONFIG_FILE names the OpenTofu CLI configuration file "` + missing + `", which does not exist: ` +
				"OpenTofu would print a warning about it into the JSON that lockstep reads; create the file or unset TF_CLI_CONFIG_FILE"},
		{"legacy name missing", map[string]string{"TERRAFORM_CONFIG": missing}, "environment variable TERRAFORM_CONFIG names"},
		{"TF_CLI_CONFIG_FILE wins", map[string]string{"TF_CLI_CONFIG_FILE": exists, "TERRAFORM_CONFIG": missing}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkCLIConfig(func(k string) string { return tc.env[k] })
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// A real OpenTofu told to read a CLI configuration file that does not
// exist is refused with the variable's name, before its JSON breaks.
func TestProductRefusesAMissingCLIConfig(t *testing.T) {
	bin := tftest.Tofu(t)
	missing := filepath.Join(t.TempDir(), "missing.tofurc")
	t.Setenv("TF_CLI_CONFIG_FILE", missing)
	tf, err := New(Options{ExecPath: bin, Dir: t.TempDir()})
	require.NoError(t, err)
	_, _, err = tf.Product(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `TF_CLI_CONFIG_FILE names the OpenTofu CLI configuration file "`+missing+`", which does not exist`)
}
