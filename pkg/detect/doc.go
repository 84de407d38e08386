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
// Everything here except PushChangedFiles is pure: no network, no
// environment, and file access only through the fs.FS given to Discover.
package detect
