// Package pulumi is the engine.Engine for Pulumi stacks. It drives the real
// `pulumi` CLI (found on PATH or given) in the stack's project directory and
// reads its machine formats, never its human output:
//
//   - plan is `pulumi preview --json --save-plan <file> --event-log
//     <events>`: the saved plan file (Pulumi's apitype.DeploymentPlanV1,
//     JSON) gives the actions and the fingerprint; the engine events
//     (apitype.EngineEvent, one JSON object a line) give the changed and
//     replace-causing properties, the inputs before and after, the
//     diagnostics and the stack's outputs, from which lockstep writes the
//     plan text (text.go; the events show secrets as [secret]). --json is
//     the cheapest of Pulumi's displays (it only gathers the steps); its
//     output is not read;
//   - apply is `pulumi up --plan <file> --skip-preview --yes --event-log
//     <events>`: exactly the reviewed plan, with Pulumi itself refusing any
//     operation the plan does not allow, and the events saying per resource
//     what was applied and what failed;
//   - a stack config file in var-files is --config-file of the preview, of
//     the config reads and of the apply: a saved plan does not hold its
//     config, and up reads it again (the pipeline hands apply the file the
//     binding record names, unchanged since the plan);
//   - the drift command's plan (PlanOptions.Scratch) is the same preview
//     with --refresh: the refresh's steps in the events are the Summary's Drift
//     (resources changed or deleted outside Pulumi), the saved plan what
//     applying would do to the real resources; a preview never writes the
//     state (drift.go);
//   - the state fingerprint is the SHA-256 of `pulumi stack export` without
//     its manifest, since Pulumi does not bind a saved plan to the state it
//     was made from (it applies an old plan after another update). Secrets
//     stay in as ciphertext, which every update renews: after any update,
//     even one that changed nothing, a plan of a stack with secrets is
//     stale and must be made again;
//   - Pulumi's own refusals of steps the plan does not allow ("violates
//     plan", "is not allowed by the plan") are a *PlanConstraintError, and
//     engine.ErrStalePlan only when the state did not move: Pulumi still
//     writes the stack's outputs after refusing a resource.
//
// Secrets: Pulumi shows them as [secret] in its events; the config's
// secret values and every secret in the state are the Summary's Secrets
// for the caller to mask; secret outputs are Sensitive, without a value.
// For a stack on the passphrase provider lockstep decrypts them itself,
// from the stack file and the encrypted export (passphrase.go); for any
// other, it reads them with `pulumi config --show-secrets` and `pulumi
// stack export --show-secrets`. Either way they are read beside the
// preview and kept in memory only.
//
// The adapter execs the CLI rather than using Pulumi's Automation API
// (sdk/v3/go/auto), which execs the same CLI but would add about a hundred
// modules (gRPC, OpenTelemetry, go-git, terminal UI libraries) to lockstep's
// build. The few JSON shapes read here are declared locally, after
// github.com/pulumi/pulumi/sdk/v3/go/common/apitype.
package pulumi
