package act

import "github.com/lockstep-ci/lockstep/pkg/cli"

// The binary under test is built by "go build", which go test's cache cannot
// see; depending on pkg/cli makes a change to lockstep's code invalidate the
// cached results of these tests.
var _ = cli.Main
