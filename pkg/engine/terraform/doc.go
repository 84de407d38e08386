// Package terraform is the engine.Engine for Terraform and OpenTofu, over
// pkg/terraform (terraform-exec) and pkg/plan (show -json to Summary). The
// two engines share one adapter: OpenTofu speaks Terraform's commands and
// JSON formats; what differs (its name in reports, its minimum version) is
// keyed on Options.Engine.
package terraform
