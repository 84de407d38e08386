// Package bench generates realistic Terraform plans and stacks at any size
// and measures what lockstep adds on top of Terraform: decoding the plan,
// summarising it and rendering the comment and job summary (the benchmarks in
// this directory, run by make bench), and a whole lockstep plan against bare
// Terraform (overhead.sh).
//
// The generated plans follow what Terraform 1.11 writes for terraform show
// -json (format_version 1.2, keys in Terraform's order, compact, one line),
// with the mix of changes the benchmarks budget for: 10% create, 24% update
// with changed attributes, 10% replace (half of them create_before_destroy),
// 10% delete and the rest no-op, plus drift, nested sensitive values, long
// for_each keys and large nested inputs. Nothing large is committed: every
// plan is generated in memory or into a temporary directory.
package bench
