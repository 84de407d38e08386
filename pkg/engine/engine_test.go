package engine

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTraitsOf(t *testing.T) {
	// "" is Terraform: the engine input's default.
	assert.Equal(t, Traits{Display: "Terraform", Command: "terraform", PlanNoun: "plan",
		ValidMarkdown: "✅ **Valid and formatted.** `terraform fmt -check` and `terraform validate` found nothing."}, TraitsOf(""))
	assert.Equal(t, "OpenTofu", DisplayName("opentofu"))
	assert.Equal(t, "tofu", Identity{Name: "opentofu", Version: "1.12.6"}.Command())
	assert.Equal(t, "preview", PlanNoun("pulumi"))
	assert.True(t, TraitsOf("pulumi").WholeDirectory)
	assert.True(t, TraitsOf("cloudformation").WholeDirectory)
	assert.False(t, TraitsOf("terraform").WholeDirectory)
	// An unknown engine is displayed as it is, and plans.
	assert.Equal(t, Traits{Display: "crossplane", Command: "crossplane", PlanNoun: "plan"}, TraitsOf("crossplane"))
	assert.Equal(t, "Terraform 1.11.4", Identity{Name: "", Version: "1.11.4"}.String())
	assert.Equal(t, "CloudFormation", Identity{Name: "cloudformation"}.Display())
}

func TestUnsupportedError(t *testing.T) {
	err := &UnsupportedError{Path: "/usr/bin/terraform", Found: "Terraform 1.4.6", Problem: "lockstep needs Terraform 1.6 or later"}
	assert.Equal(t, "/usr/bin/terraform is Terraform 1.4.6; lockstep needs Terraform 1.6 or later", err.Error())
}

func TestLockedError(t *testing.T) {
	cause := errors.New("exit status 1")
	err := &LockedError{ID: "8f3c", Who: "runner@host", Operation: "OperationTypeApply", Created: "2026-12-03 10:00:00", Err: cause}
	assert.Equal(t, "the state is locked (lock ID 8f3c, OperationTypeApply by runner@host since 2026-12-03 10:00:00): exit status 1", err.Error())
	assert.ErrorIs(t, err, cause)
	// What the engine did not say is "unknown", and a field it did say is kept.
	assert.Equal(t, "the state is locked (lock ID unknown, unknown by unknown since unknown): exit status 1", (&LockedError{Err: cause}).Error())
	assert.Equal(t, "the state is locked (lock ID unknown, unknown by ci since unknown): exit status 1", (&LockedError{Who: "ci", Err: cause}).Error())
}
