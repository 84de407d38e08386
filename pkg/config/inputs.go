package config

// Input describes one action input (and its command-line flag of the same
// name). The list is the single source for action.yml, the flag parser and
// the README's reference; a test keeps action.yml in step with it.
type Input struct {
	Name        string
	Default     string // the default as written in action.yml ("" when derived at run time)
	Description string
}

// Inputs lists every input of the design contract, in the order action.yml
// and the README present them.
var Inputs = []Input{
	{"command", "", "What to run: validate, plan, apply, gate, deploy, verify, rollback, detect, history, cleanup or drift."},
	{"working-directory", ".", "The Terraform root module, relative to the repository root. A newline-separated list runs several stacks."},
	{"environment", "", "The target environment; policies are keyed by it."},
	{"github-token", "${{ github.token }}", "Token for comments, deployments and workflow dispatch."},
	{"comment-author", "", "The GitHub login lockstep's comments are written by; only its comments are read, edited or compared. Default: the token's login, or github-actions[bot] for an installation token. Set it to the bot login (name[bot]) when github-token belongs to another GitHub App."},
	{"engine", "terraform", "The infrastructure engine: terraform, opentofu, pulumi or cloudformation."},
	{"stack", "", "The Pulumi or CloudFormation stack (engines pulumi and cloudformation, where it is required): its name, like dev or my-org/prod for Pulumi (working-directory is then the Pulumi project), shop-prod for CloudFormation."},
	{"template", "", "engine cloudformation: the template file (JSON or YAML), relative to the working directory; required with that engine."},
	{"parameters-file", "", "engine cloudformation: an optional JSON file of the stack's parameters, relative to the working directory: a list of {\"ParameterKey\", \"ParameterValue\"} or an object of keys and values."},
	{"terraform-version", "", "The Terraform (or OpenTofu) version to run: an exact version (1.9.8) or a constraint (~> 1.9). Empty: the repository's .terraform-version / .opentofu-version, else the root module's required_version, else the binary on PATH. A missing version is installed into the runner's tool cache, its checksum and signature verified."},
	{"terraform-path", "terraform", "The Terraform (or OpenTofu) binary when terraform-version resolves to the one on PATH; default: terraform, or tofu for engine opentofu."},
	{"var-files", "", "Newline-separated -var-file paths, relative to the working directory."},
	{"backend-config", "", "Newline-separated -backend-config values for terraform init."},
	{"plan-file", "tfplan", "Saved plan path, relative to the working directory."},
	{"comment", "auto", "Post the plan as a PR comment: auto (on pull requests), always (also on pushes, to the commit's pull requests) or never."},
	{"allow-destroy", "false", "Allow applying a plan that deletes or replaces resources."},
	{"require-approval", "auto", "auto (required for production-like environments), true or false."},
	{"approval-mode", "auto", "How apply proves approval: environment (the GitHub environment's required reviewers approved this run), pull-request (the merged pull request's approving reviews) or auto (environment when the environment has required reviewers, else pull-request)."},
	{"min-approvals", "1", "pull-request approval mode: how many approving reviews the merged pull request needs (a whole number, at least 1)."},
	{"app-version", "", "The application version; default: the tag name on tag refs, else the short commit SHA."},
	{"infra-version", "", "The infrastructure version; default: the short SHA of the last commit that touched working-directory."},
	{"deploy-workflow", "", "Workflow file name to dispatch for the app deploy; lockstep waits for its run."},
	{"deploy-command", "", "Shell command that deploys the app."},
	{"strategy", "auto", "direct or canary; auto is canary for production, direct elsewhere."},
	{"canary-steps", "10,50,100", "Canary traffic weights, in order, ending at 100."},
	{"smoke-urls", "", "Newline-separated URLs that must answer as expect-status says."},
	{"smoke-timeout", "2m", "How long smoke checks may retry."},
	{"rollback", "auto", "App rollback when checks fail: auto or never. Infrastructure is never rolled back."},
	{"config", ".lockstep.yml", "Optional policy file (environments, paths, stacks)."},
	{"lock-timeout", "5m", "Terraform state lock timeout for plan and apply."},
	{"deploy-timeout", "30m", "How long deploy waits for a dispatched workflow run."},
	{"canary-bake", "1m", "Wait after each canary step before its checks."},
	{"expect-status", "2xx", "What a smoke check must answer: a code (200), a class (2xx) or a comma-separated list."},
	{"watch", "0", "Keep probing this long after deploy; fail on too many errors."},
	{"prometheus-url", "", "The Prometheus server the metrics gate queries (http or https; user:password@ in it is sent as basic auth and masked)."},
	{"metrics-queries", "", "Newline-separated PromQL queries, one per line; like an alerting rule, a query that returns any sample fails the canary step or the watch and rolls the app back."},
	{"metrics-interval", "15s", "Time between evaluations of metrics-queries during each canary bake and the watch window."},
	{"metrics-require-data", "false", "Fail a metrics query whose measured value (the side before its comparison, like the ratio in ratio > 0.05) returned no data for the whole window."},
	{"infra-paths", "", "Newline-separated globs that decide infra-changed."},
	{"app-paths", "", "Newline-separated globs that decide app-changed."},
	{"parallelism", "", "Stacks planned or applied at once; default: the number of CPUs."},
	{"artifact-prefix", "", "cleanup: delete this run's artifacts named <artifact-prefix>-plan-* and <artifact-prefix>-apply."},
	{"promote-from", "", "apply and deploy: the environment this commit must have been deployed to and verified on first (read from the deployment ledger), like staging; refused as not-promoted otherwise. deploy then ships the app version that succeeded there."},
	{"requires-outputs", "", "deploy: newline-separated stack outputs the app needs; deploy refuses (infra-contract) when one is missing or null. Default: the names in lockstep-requires.txt at the repository root, if it exists."},
	{"secret-env", "", "Newline-separated names of environment variables whose values are secrets: masked in logs and replaced in everything lockstep renders or sends, like Terraform's sensitive values."},
}

// Output describes one action output.
type Output struct {
	Name        string
	Description string
}

// Outputs lists every output of the design contract.
var Outputs = []Output{
	{"has-changes", "true when the plan changes resources or outputs."},
	{"add", "Resources to add, as in Terraform's own Plan: line."},
	{"change", "Resources to change, as in Terraform's own Plan: line."},
	{"destroy", "Resources to destroy, as in Terraform's own Plan: line."},
	{"replace", "Resources to replace (each also counted in add and destroy)."},
	{"plan-sha256", "SHA-256 of the saved plan file."},
	{"plan-file", "Path of the saved plan file, relative to the repository root."},
	{"comment-url", "URL of the plan comment on the pull request."},
	{"infra-version", "The infrastructure version."},
	{"app-version", "The application version."},
	{"deployment-version", "app:<app-version>-infra:<infra-version>."},
	{"deployment-id", "ID of the GitHub Deployment created for the app."},
	{"result", "success, failed or refused."},
	{"failure-reason", "A short machine-readable reason when result is not success."},
	{"approved-by", "Logins of the people who approved this apply, comma separated."},
	{"outputs-json", "Non-sensitive Terraform outputs after apply, as JSON."},
	{"stacks", "Changed stacks as a matrix: {\"include\":[{\"directory\":...,\"environment\":...}]}."},
	{"layers", "Stacks grouped in apply order, as JSON."},
	{"infra-changed", "true when infra-paths changed."},
	{"app-changed", "true when app-paths changed."},
	{"drifted", "drift: true when any stack changed outside Terraform or has code that is not applied."},
	{"drift-json", "drift: per stack (by directory) whether it drifted, its counts and its drift issue, as JSON."},
}

// Commands lists the valid values of the command input.
var Commands = []string{"validate", "plan", "apply", "gate", "deploy", "verify", "rollback", "detect", "history", "cleanup", "drift"}
