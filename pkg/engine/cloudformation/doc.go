// Package cloudformation is the engine.Engine for AWS CloudFormation
// stacks. It talks to CloudFormation through aws-sdk-go-v2 with the SDK's
// standard credential chain (environment, web identity as GitHub's OIDC
// gives it, shared profiles); AWS_ENDPOINT_URL_CLOUDFORMATION points it at
// another endpoint, which is how the tests reach test/fakecfn.
//
//   - plan validates the template (ValidateTemplate), creates a change set
//     named lockstep-<12 hex of the planned content's SHA-256> for the
//     stack (CREATE for a new stack or one left in REVIEW_IN_PROGRESS by an
//     earlier plan, UPDATE otherwise; nested stacks included), waits for
//     it, describes every page and writes the saved plan: lockstep's own
//     JSON (see savedPlan) naming exactly that change set by ARN, with the
//     SHA-256 of the template and parameters file and the described
//     changes, so that apply reads the plan without the network. A change
//     set CloudFormation refuses as empty ("didn't contain changes") is a
//     plan without changes and is deleted;
//   - apply executes exactly that change set, by ARN, after checking that
//     it still exists, is CREATE_COMPLETE and AVAILABLE, and that the
//     template and parameters file are the planned ones; anything else is
//     refused as engine.ErrStalePlan and nothing is executed. The stack's
//     events are followed and logged; the report names each failed
//     resource with CloudFormation's reason. By default the change set is
//     executed with DisableRollback (lockstep never rolls infrastructure
//     back by itself); Options.Rollback keeps CloudFormation's own;
//   - validate is offline: the template is parsed (JSON or YAML with the
//     short-form tags) and its resource types and property names checked
//     against goformation's CloudFormation schema, with the file and line
//     of each problem. When the working directory has cfn-guard rules
//     (*.guard files under GuardRulesDir, .cfn-guard/), the real cfn-guard
//     3 checks the template against them (never the parameters file, and
//     with no environment); each failed check is an error at the line of
//     the property it names. cfn-guard missing or unable to check is an
//     error: validate never passes rules it did not run.
//
// Secrets: values the parameters file gives to NoEcho parameters are the
// Summary's Secrets, and outputs showing one are sensitive. Change sets are
// described without property values, so a plan holds none.
package cloudformation
