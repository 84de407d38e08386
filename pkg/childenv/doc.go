// Package childenv decides the environment lockstep's child processes
// (Terraform or OpenTofu, git, the deploy command) inherit: lockstep's own
// environment without the action's inputs, the runner's credentials that are
// no business of theirs, and the GitHub token.
//
// Filter is the one rule, a pure function; Scrub applies it to the process
// environment itself, for libraries (terraform-exec) that pass the whole
// environment on and cannot be given a filtered one.
package childenv
