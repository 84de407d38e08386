package terraform

import (
	"os"
	"testing"
)

// TestMain drops a TF_CLI_CONFIG_FILE (or TERRAFORM_CONFIG) that names a
// missing file from the environment the tests inherit: OpenTofu would warn
// about it into its JSON output, and Product refuses it (see
// TestProductRefusesAMissingCLIConfig). Terraform ignores such a file.
func TestMain(m *testing.M) {
	for _, name := range []string{"TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG"} {
		if p := os.Getenv(name); p != "" {
			if _, err := os.Stat(p); err != nil {
				os.Unsetenv(name)
			}
		}
	}
	os.Exit(m.Run())
}
