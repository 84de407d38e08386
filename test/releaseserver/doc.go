// Package releaseserver is a vendor release site on loopback for tests that
// install Terraform or OpenTofu: it serves real archives of a local binary
// under the versions a test names, in the layouts hc-install (HashiCorp's
// releases.hashicorp.com) and tofudl (OpenTofu's API and download mirror)
// request, with real SHA256SUMS files signed by an OpenPGP key generated for
// the test. The test points the installer at it (install.Releases) and
// trusts that key; the vendors' production keys are never involved. Options
// serve the faults an installer must refuse: a corrupt archive, a damaged
// signature, a signature by another key, a failing download.
package releaseserver
