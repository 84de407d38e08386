// Package deploy ships the application after the infrastructure: it deploys
// an app version to an environment through a Target (a shell command, or a
// dispatched GitHub Actions workflow it waits for), with a Strategy (direct,
// or canary steps with a bake time and checks after each step), records the
// deployment in a trace.Ledger, and on failure rolls back only the app, to
// the last version that succeeded on the same infra version. A Gate (the
// metrics gate) may watch each canary step through its bake instead of a
// silent wait; every wait reports its progress at least every 10 seconds.
//
// Nothing here calls Terraform or rolls back infrastructure:
// RefuseInfraRollback explains the controlled process instead. GitHub is
// reached only through the small Dispatcher interface, so the package has no
// dependency on an API client.
package deploy
