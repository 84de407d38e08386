package cli

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lockstep-ci/lockstep/pkg/engine"
)

// A validate that could not run (a bad terraform-path, a failed init) says
// so, and never that the configuration is valid.
func TestValidateSummaryNeverPassesWhatDidNotRun(t *testing.T) {
	id := engine.Identity{Name: "opentofu"}
	got := validateSummary(id, []string{"infra"}, nil, []error{errors.New(`input "terraform-path": "/usr/bin/terraform" is Terraform 1.11.4`)})
	assert.Equal(t, "### OpenTofu validate · `infra`\n\n❌ **Could not validate:** input \"terraform-path\": \"/usr/bin/terraform\" is Terraform 1.11.4\n\n", got)

	got = validateSummary(id, []string{"infra"}, nil, nil)
	assert.Contains(t, got, "✅ **Valid and formatted.** `tofu fmt -check` and `tofu validate` found nothing.")
}
