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
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, c.want, DisplayText(c.in))
		})
	}
	// The plan text is a slice of what Terraform printed, not a copy.
	got := DisplayText(plan)
	start := strings.Index(plan, "  # terraform_data.a")
	assert.Equal(t, unsafe.StringData(plan[start:]), unsafe.StringData(got))
}
