// Package metrics is lockstep's metrics gate: PromQL queries evaluated
// through a Prometheus server's HTTP API (client_golang's api/prometheus/v1)
// after each canary step, for its bake time, and through the watch window.
// Like an alerting rule, a query that returns any sample fails the gate; the
// report names the query and shows the samples with their labels.
//
// Credentials in the Prometheus URL (https://user:pass@host) are taken out of
// it and sent as basic auth; the URL shown in logs, errors and reports never
// carries them (see Credentials for what to mask).
package metrics
