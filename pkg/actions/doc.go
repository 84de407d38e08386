// Package actions speaks the GitHub runner's protocol for lockstep: outputs,
// the job summary, exported variables, masks and annotations (over
// sethvargo/go-githubactions), and the same operations for a terminal in CLI
// mode. Everything it prints passes through a Masker.
package actions
