// Package install decides which version of an engine binary (Terraform or
// OpenTofu) a stack runs, and installs that version when it is missing.
//
// Resolve picks the version: the terraform-version input, else a
// .terraform-version file (for OpenTofu .opentofu-version first) in the
// stack's directory or a parent up to the repository root, else the root
// module's required_version settings, else the binary on PATH. A constraint
// ("~> 1.9") selects the newest release in the vendor's index that
// satisfies it; a binary on PATH that already satisfies what was asked is
// used as it is. The Resolution says where the version came from, for the
// log and the binding record.
//
// Ensure installs an exact version into the runner's tool cache
// (RUNNER_TOOL_CACHE) unless it is there already: hc-install for Terraform
// and tofudl for OpenTofu, each checking the archive's SHA-256 against the
// release's SHA256SUMS file and that file's OpenPGP signature against the
// vendor's key. A binary that fails either check is never run or returned.
//
// Releases holds the vendors' endpoints and keys; its zero value is
// production's, and only tests point it elsewhere.
package install
