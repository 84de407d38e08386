// Package version holds lockstep's own version, set at build time with
// -ldflags "-X github.com/lockstep-ci/lockstep/pkg/version.Version=v1.2.3".
package version

// Version is lockstep's version; "dev" when built without ldflags.
var Version = "dev"
