package terraform

import (
	"os"
	"testing"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// TestMain drops a TF_CLI_CONFIG_FILE that names a missing file from the
// environment the tests inherit (see tftest.DropMissingCLIConfig;
// TestProductRefusesAMissingCLIConfig sets one on purpose).
func TestMain(m *testing.M) {
	tftest.DropMissingCLIConfig()
	os.Exit(m.Run())
}
