package cli

// commandDoc is what `lockstep <command> --help` says: what the command
// does, the flags it reads (action inputs, then the terminal's own options)
// and an example. Flags not listed are still accepted (one configuration
// for every command); the help shows what changes the command's behaviour.
type commandDoc struct {
	summary string
	inputs  []string // action inputs, in config.Inputs order
	local   []string // terminal-only flags
	example string
}

// The inputs every command that runs the engine reads.
var engineInputs = []string{"working-directory", "environment", "engine", "stack", "template", "parameters-file", "terraform-version", "terraform-path", "config", "secret-env"}

func with(base []string, more ...string) []string {
	return append(append([]string{}, base...), more...)
}

var commandDocs = map[string]commandDoc{
	"validate": {
		summary: "Check formatting (fmt -check), init -backend=false and validate every stack; each problem is reported at its file and line.",
		inputs:  with(engineInputs),
		local:   []string{"summary-file"},
		example: "lockstep validate --working-directory infra",
	},
	"plan": {
		summary: "init, plan -out and summarise each stack: write the saved plan and its binding record, the summary (stdout or --summary-file) and the pull request comment (--comment-file to preview it).",
		inputs: with(engineInputs, "comment-author", "var-files", "backend-config", "plan-file", "comment", "allow-destroy",
			"require-approval", "approval-mode", "min-approvals", "lock-timeout", "parallelism", "promote-from"),
		local:   []string{"summary-file", "comment-file", "changed"},
		example: "lockstep plan --working-directory infra --environment staging --var-files staging.tfvars --comment-file comment.md",
	},
	"apply": {
		summary: "Apply the reviewed saved plan after checking its binding record and the environment's policy; never re-plans, never rolls infrastructure back.",
		inputs: with(engineInputs, "comment-author", "backend-config", "plan-file", "comment", "allow-destroy", "require-approval",
			"approval-mode", "min-approvals", "infra-version", "lock-timeout", "parallelism", "promote-from", "requires-outputs"),
		local:   []string{"auto-approve", "summary-file", "changed", "state-dir"},
		example: "lockstep apply --working-directory infra --environment staging --auto-approve",
	},
	"gate": {
		summary: "In GitHub Actions only: check what apply checks before its first engine command (promote-from, then the approval gate of every stack) without running any engine; the reusable workflow runs it before the repository's setup hook.",
		inputs:  []string{"working-directory", "environment", "require-approval", "approval-mode", "min-approvals", "promote-from", "config"},
		example: "lockstep gate --working-directory infra --environment production (in Actions: command: gate)",
	},
	"deploy": {
		summary: "Deploy the app after the infrastructure (deploy-command, or deploy-workflow in Actions) with the environment's strategy, smoke checks and automatic app rollback; records app:<v>-infra:<v>.",
		inputs: []string{"working-directory", "environment", "app-version", "infra-version", "deploy-workflow", "deploy-command",
			"strategy", "canary-steps", "smoke-urls", "smoke-timeout", "rollback", "config", "deploy-timeout", "canary-bake",
			"expect-status", "watch", "promote-from", "requires-outputs", "prometheus-url", "metrics-queries", "metrics-interval",
			"metrics-require-data", "secret-env"},
		local:   []string{"summary-file", "state-dir"},
		example: "lockstep deploy --environment staging --app-version 1.4.2 --deploy-command ./deploy.sh --smoke-urls https://staging.example.com/health",
	},
	"verify": {
		summary: "Smoke checks and the watch window; on failure (rollback auto) redeploy the last good app version for the same infrastructure.",
		inputs: []string{"working-directory", "environment", "app-version", "infra-version", "deploy-command", "smoke-urls",
			"smoke-timeout", "rollback", "expect-status", "watch", "prometheus-url", "metrics-queries", "metrics-interval",
			"metrics-require-data", "secret-env"},
		local:   []string{"summary-file", "state-dir"},
		example: "lockstep verify --environment staging --smoke-urls https://staging.example.com/health --watch 5m",
	},
	"rollback": {
		summary: "Redeploy the last good app version for the current infrastructure (or --to <version>). App only: to undo an infrastructure change, revert it and run the pipeline.",
		inputs: []string{"working-directory", "environment", "app-version", "infra-version", "deploy-workflow", "deploy-command",
			"smoke-urls", "smoke-timeout", "expect-status", "secret-env"},
		local:   []string{"to", "force", "summary-file", "state-dir"},
		example: "lockstep rollback --environment production --deploy-command ./deploy.sh --to 1.4.1",
	},
	"detect": {
		summary: "The stacks a pull request, push or (locally) the last commit and uncommitted changes touch, as a job matrix with their apply layers, and whether infra or app paths changed.",
		inputs:  []string{"working-directory", "environment", "config", "infra-paths", "app-paths"},
		local:   []string{"json"},
		example: "lockstep detect --infra-paths 'infra/**' --app-paths 'src/**' --json",
	},
	"history": {
		summary: "Which app version ran on which infrastructure version, when, by whom and how it ended.",
		inputs:  []string{"environment"},
		local:   []string{"json", "state-dir"},
		example: "lockstep history --environment production --json",
	},
	"cleanup": {
		summary: "In GitHub Actions: delete this run's plan artifacts once apply has used them.",
		inputs:  []string{"artifact-prefix"},
		example: "lockstep cleanup --artifact-prefix lockstep-plan",
	},
	"drift": {
		summary: "Plan the checked-out commit of every stack (no saved plan) and report drift: changes made outside the engine and code not applied; in Actions, one issue per stack and environment.",
		inputs:  with(engineInputs, "comment-author", "var-files", "backend-config", "comment", "lock-timeout", "parallelism"),
		local:   []string{"summary-file", "comment-file"},
		example: "lockstep drift --working-directory infra --environment production",
	},
	"run": {
		summary: "The local pipeline: validate, plan, approval (a prompt, or --auto-approve), apply, deploy, verify, history; stops at the first failing stage.",
		inputs: with(engineInputs, "var-files", "backend-config", "plan-file", "allow-destroy", "require-approval",
			"app-version", "infra-version", "deploy-command", "strategy", "canary-steps", "smoke-urls", "smoke-timeout",
			"rollback", "lock-timeout", "canary-bake", "expect-status", "watch", "parallelism", "requires-outputs"),
		local:   []string{"auto-approve", "summary-file", "comment-file", "changed", "state-dir"},
		example: "lockstep run --working-directory infra --environment dev --deploy-command ./deploy.sh --auto-approve",
	},
}
