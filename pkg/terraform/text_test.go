package terraform

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

func TestDisplayText(t *testing.T) {
	plan := "terraform_data.a: Refreshing state... [id=1]\n\n" +
		"Terraform used the selected providers to generate the following execution\nplan.\n\n" +
		"Terraform will perform the following actions:\n\n" +
		"  # terraform_data.a will be updated in-place\n  ~ resource \"terraform_data\" \"a\" {\n      ~ input = \"x\" -> \"y\"\n    }\n\n" +
		"Plan: 0 to add, 1 to change, 0 to destroy.\n" +
		"\n─────────────────────────────────────────────────────────────────────────────\n\n" +
		"Saved the plan to: tfplan\n"
	cases := map[string]struct{ in, want string }{
		"changes": {plan, "  # terraform_data.a will be updated in-place\n  ~ resource \"terraform_data\" \"a\" {\n      ~ input = \"x\" -> \"y\"\n    }\n\nPlan: 0 to add, 1 to change, 0 to destroy.\n"},
		"no changes": {"terraform_data.a: Refreshing state... [id=1]\n\nNo changes. Your infrastructure matches the configuration.\n\nTerraform has compared...\n",
			"No changes. Your infrastructure matches the configuration.\n\nTerraform has compared...\n"},
		"no trailing newline": {"Terraform will perform the following actions:\n\nPlan: 1 to add", "Plan: 1 to add\n"},
		"several trailing":    {"No changes.\n\n\n", "No changes.\n"},
		"something else":      {"\n\nError: oops\n", "Error: oops\n"},
		"opentofu changes": {"terraform_data.b: Refreshing state... [id=2]\nterraform_data.a: Refreshing state... [id=1]\n\n" +
			"OpenTofu used the selected providers to generate the following execution\nplan.\n\n" +
			"OpenTofu will perform the following actions:\n\n  # terraform_data.a will be created\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n" +
			"\n─────────────────────────────────────────────────────────────────────────────\n\nSaved the plan to: tfplan\n",
			"  # terraform_data.a will be created\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n"},
		"opentofu no changes": {"terraform_data.b: Refreshing state... [id=2]\nterraform_data.a: Refreshing state... [id=1]\n\nNo changes. Your infrastructure matches the configuration.\n\nOpenTofu has compared...\n",
			"No changes. Your infrastructure matches the configuration.\n\nOpenTofu has compared...\n"},
		"outputs only": {"terraform_data.a: Refreshing state... [id=1]\n\nChanges to Outputs:\n  + x = \"y\"\n\nYou can apply this plan to save these new output values.\n\n─────\n\nSaved the plan to: tfplan\n",
			"Changes to Outputs:\n  + x = \"y\"\n\nYou can apply this plan to save these new output values.\n"},
		"resources and outputs": {"Terraform will perform the following actions:\n\n  # terraform_data.a will be created\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n\nChanges to Outputs:\n  + x = \"y\"\n",
			"  # terraform_data.a will be created\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n\nChanges to Outputs:\n  + x = \"y\"\n"},
		"start only at a line's start": {"terraform_data.a: Refreshing state... [id=No changes.]\n\nNo changes. Your infrastructure matches the configuration.\n",
			"No changes. Your infrastructure matches the configuration.\n"},
		"progress dropped without a start": {"data.x.y: Reading...\nterraform_data.b: Refreshing state... [id=2]\ndata.x.y: Read complete after 0s [id=3]\ndata.x.z: Still reading... [10s elapsed]\n\nSomething new\n  value = \"a: Reading...\"\n",
			"Something new\n  value = \"a: Reading...\"\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, c.want, DisplayText(c.in))
		})
	}
	// OpenTofu prints the refresh lines in a different order on every run:
	// what is shown (and compared to decide whether the comment changed)
	// must not depend on it.
	for _, end := range []string{"No changes. Your infrastructure matches the configuration.\n", "Changes to Outputs:\n  + x = 1\n", "Error: oops\n"} {
		ab := DisplayText("a: Refreshing state... [id=1]\nb: Refreshing state... [id=2]\n\n" + end)
		ba := DisplayText("b: Refreshing state... [id=2]\na: Refreshing state... [id=1]\n\n" + end)
		assert.Equal(t, ab, ba)
		assert.Equal(t, end, ab)
	}
	// The plan text is a slice of what Terraform printed, not a copy.
	got := DisplayText(plan)
	start := strings.Index(plan, "  # terraform_data.a")
	assert.Equal(t, unsafe.StringData(plan[start:]), unsafe.StringData(got))
}
