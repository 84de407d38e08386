// Package cli is lockstep's two front doors, the GitHub Action (INPUT_* and
// GITHUB_* variables) and the command line (one flag per input), which build
// the same validated config.Config; one file per command; and the single
// mapping from errors to exit codes. It is the only package that wires
// concrete adapters (terraform-exec, go-github) to the domain packages.
package cli
