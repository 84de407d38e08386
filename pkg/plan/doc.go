// Package plan turns a Terraform plan, as decoded from `terraform show -json`
// by terraform-json, into a Summary: the counts Terraform prints in its
// "Plan: X to add, Y to change, Z to destroy." line, every resource change
// classified by action, drift detected outside Terraform, changed outputs, a
// semantic fingerprint of the change, and every sensitive value seen so that
// callers can mask and redact it.
//
// The package is pure: it does no I/O and never panics on any input. Values
// appear in Change.Attributes (the changed top-level attributes of updates
// and replaces, cut short, and nothing of an attribute marked sensitive at
// any depth), in OutputChange (rendered, with sensitive parts replaced by
// ValueSensitive) and in Summary.Secrets, which exists so that callers can
// hide them.
//
// Actions are classified only with the tfjson.Actions helpers (Create, Update,
// Delete, Replace, Read, NoOp, Forget). The one combination terraform-json has
// no helper for, ["create","forget"] (a replacement whose old object is kept
// because a removed block says destroy = false), is matched explicitly.
// Any other combination is an error rather than a guess: a tool that guards
// destroys must not miscount them.
package plan
