// Package engine is the contract between lockstep's pipeline and an
// infrastructure-as-code engine (Terraform, OpenTofu, and the engines that
// build on this interface): what a stack's engine must do for the pipeline
// to plan it, show the plan to reviewers, bind the saved plan to the run
// and apply exactly that plan.
//
// The package holds only the interface and the engine-neutral types that
// cross it; adapters live in subpackages (engine/terraform) and the pipeline
// never sees an engine's own types. The plan's Summary is pkg/plan's: the
// same renderer, budget and marker scheme serve every engine.
package engine
