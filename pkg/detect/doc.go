// Package detect decides which Terraform stacks a change touches and in
// which order they apply.
//
// A stack is a root-module directory. Discover finds the stacks in a
// repository (an fs.FS) and, for each, the local modules it calls directly or
// through other modules, read with terraform-config-inspect. Changed maps the
// changed and deleted files of a pull request or push onto those stacks;
// PushChangedFiles lists them for a push with git. PathsChanged evaluates the
// infra-paths and app-paths globs. Layers orders stacks by depends-on into
// layers that can apply together, and Matrix and SplitMatrix render a GitHub
// Actions job matrix.
//
// Detect sequences one run's detection over those: the candidate stacks
// (named, globbed, the root module, or discovered), what changed and why,
// deleted stacks, infra-paths matches outside every stack, the apply
// layers and the infra/app verdict. pkg/cli only gathers its inputs (the
// policy file, the event, the GitHub client) and reports the result.
//
// Everything here except the git readers (PushChangedFiles, LocalChanges)
// and SplitByExistence is pure: no network, no environment, and file
// access only through the fs.FS given to Discover and Detect.
package detect
