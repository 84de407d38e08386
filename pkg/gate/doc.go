// Package gate is lockstep's trust boundary against a user with write
// access: it decides, in action mode and before any engine runs, whether
// this run may apply, and whether a pull request's allow-destroy label
// allows a plan's deletes and replaces.
//
// It proves approval per run in the policy's approval mode: in environment
// mode the GitHub environment's required reviewers approved this very run
// (GET actions/runs/{id}/approvals), by someone other than who triggered
// it, on an environment admins cannot bypass and whose deployment branch
// policy allows the ref; in pull-request mode the merged pull request (every
// one of a merge queue batch) was approved on its final commit, after
// lockstep's plan comment, by writers other than its author, and by the
// CODEOWNERS or teams the policy names.
//
// It knows GitHub only through the small interfaces declared here
// (Environments, PullRequests, Teams, Labels), which pkg/github's client
// implements, and uses pkg/github's plain value types. pkg/cli wires the
// client in and maps a *Refusal to the refusal's failure-reason, result
// "refused" and exit code 1.
package gate
