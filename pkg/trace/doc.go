// Package trace owns lockstep's traceability: the versions it derives (the
// app version, the infra version and DEPLOYMENT_VERSION=app:<app>-infra:<infra>)
// and the deployment ledger that records which app version ran on which
// infra version, when, by whom and with what result.
//
// The ledger has two interchangeable implementations behind the Ledger
// interface: GitHub Deployments in action mode (implemented over go-github
// elsewhere) and FileLedger, a JSON-lines file in a state directory, in CLI
// mode. LastGood chooses the app version an app-only rollback returns to, and
// RenderHistory and RenderHistoryJSON print the ledger for the history
// command.
package trace
