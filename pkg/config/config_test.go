package config

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func source(values map[string]string) Source {
	return Source{Lookup: func(name string) (string, bool) {
		v, ok := values[name]
		return v, ok
	}}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(source(map[string]string{"command": "plan"}))
	require.NoError(t, err)
	assert.Equal(t, "plan", c.Command)
	assert.Equal(t, []string{"."}, c.WorkingDirectories)
	assert.Equal(t, "terraform", c.TerraformPath)
	assert.Equal(t, "tfplan", c.PlanFile)
	assert.Equal(t, Auto, c.Comment)
	assert.False(t, c.AllowDestroy)
	assert.Equal(t, Auto, c.RequireApproval)
	assert.Equal(t, Auto, c.ApprovalMode)
	assert.Equal(t, 1, c.MinApprovals)
	assert.Equal(t, Auto, c.Strategy)
	assert.Equal(t, []int{10, 50, 100}, c.CanarySteps)
	assert.Equal(t, 2*time.Minute, c.SmokeTimeout)
	assert.Equal(t, Auto, c.Rollback)
	assert.Equal(t, ".lockstep.yml", c.ConfigFile)
	assert.Equal(t, 5*time.Minute, c.LockTimeout)
	assert.Equal(t, 30*time.Minute, c.DeployTimeout)
	assert.Equal(t, time.Minute, c.CanaryBake)
	assert.Equal(t, time.Duration(0), c.Watch)
	assert.Equal(t, runtime.NumCPU(), c.Parallelism)
	assert.Equal(t, "", c.GitHubToken, "the ${{ github.token }} default is the runner's job, not ours")
	assert.True(t, c.ExpectStatus.Match(204))
	assert.False(t, c.ExpectStatus.Match(301))
	assert.Empty(t, c.Set["working-directory"])
	assert.True(t, c.Set["command"])
}

func TestLoadValues(t *testing.T) {
	c, err := Load(source(map[string]string{
		"command":           "apply",
		"working-directory": "infra/app\n\n  infra/db/ \n",
		"var-files":         "prod.tfvars\n common.tfvars",
		"allow-destroy":     "True",
		"canary-steps":      "5, 25%, 100",
		"smoke-urls":        "https://example.com/healthz\nhttp://localhost:8080/",
		"expect-status":     "2xx,301",
		"watch":             "90s",
		"infra-paths":       "infra/**\nmodules/**/*.tf",
		"parallelism":       "3",
		"app-version":       "v1.4.2",
		"deploy-workflow":   "deploy.yml",
		"require-approval":  "TRUE",
		"comment-author":    "acme-deployer[bot]",
	}))
	require.NoError(t, err)
	assert.Equal(t, []string{"infra/app", "infra/db"}, c.WorkingDirectories)
	assert.Equal(t, []string{"prod.tfvars", "common.tfvars"}, c.VarFiles)
	assert.True(t, c.AllowDestroy)
	assert.Equal(t, []int{5, 25, 100}, c.CanarySteps)
	assert.Len(t, c.SmokeURLs, 2)
	assert.True(t, c.ExpectStatus.Match(301))
	assert.False(t, c.ExpectStatus.Match(302))
	assert.Equal(t, 90*time.Second, c.Watch)
	assert.Equal(t, 3, c.Parallelism)
	assert.Equal(t, "true", c.RequireApproval)
	assert.Equal(t, "acme-deployer[bot]", c.CommentAuthor)
	assert.True(t, c.Set["allow-destroy"])
}

// Every input's bad values: the message names the input and says what is
// wrong.
func TestLoadBadInput(t *testing.T) {
	tests := []struct {
		input, value string
		want         string
	}{
		{"command", "", `input "command": is required; valid commands: validate, plan, apply, gate, deploy, verify, rollback, detect, history, cleanup, drift`},
		{"command", "deploy-all", `input "command": "deploy-all" is not a command; valid commands are validate, plan, apply, gate, deploy, verify, rollback, detect, history, cleanup, drift`},
		{"working-directory", "../other-repo", `input "working-directory": "../other-repo" points outside the repository`},
		{"working-directory", "infra\n../../etc", `input "working-directory": "../../etc" points outside the repository`},
		{"environment", "prod\x07", `input "environment": "prod\a" contains a control character`},
		{"comment-author", "mallory bot", `input "comment-author": "mallory bot" is not a GitHub login: letters, digits and single hyphens (at most 39), and [bot] after a GitHub App's name, like my-app[bot]`},
		{"comment-author", "-x[bot]", `input "comment-author": "-x[bot]" is not a GitHub login: letters, digits and single hyphens (at most 39), and [bot] after a GitHub App's name, like my-app[bot]`},
		{"comment-author", "github-actions[bot]\nmallory", `input "comment-author": "github-actions[bot]\nmallory" is not a GitHub login: letters, digits and single hyphens (at most 39), and [bot] after a GitHub App's name, like my-app[bot]`},
		{"terraform-path", "tf\nrm -rf /", `input "terraform-path": "tf\nrm -rf /" must be a single line`},
		{"var-files", "../secrets.tfvars", `input "var-files": "../secrets.tfvars" points outside the repository`},
		{"plan-file", "plans/", `input "plan-file": "plans/" is a directory: name a file such as tfplan`},
		{"plan-file", "../tfplan", `input "plan-file": "../tfplan" points outside the repository`},
		{"comment", "sometimes", `input "comment": "sometimes" is not one of auto, always, never`},
		{"allow-destroy", "yes", `input "allow-destroy": "yes" is not a boolean: use true or false`},
		{"require-approval", "maybe", `input "require-approval": "maybe" is not one of auto, true, false`},
		{"app-version", "v1 2", `input "app-version": "v1 2" is not a version: use letters, digits and . _ + - / (at most 128), like v1.4.2`},
		{"infra-version", "-x", `input "infra-version": "-x" is not a version: use letters, digits and . _ + - / (at most 128), like v1.4.2`},
		{"deploy-workflow", ".github/workflows/deploy.yml", `input "deploy-workflow": ".github/workflows/deploy.yml" is not a workflow file name like deploy.yml (no directories: the file lives in .github/workflows/)`},
		{"deploy-workflow", "deploy", `input "deploy-workflow": "deploy" is not a workflow file name like deploy.yml (no directories: the file lives in .github/workflows/)`},
		{"strategy", "blue-green", `input "strategy": "blue-green" is not one of auto, direct, canary`},
		{"canary-steps", "10,fifty,100", `input "canary-steps": "10,fifty,100" is not a list of traffic weights from 1 to 100 like 10,50,100`},
		{"canary-steps", "50,10,100", `input "canary-steps": "50,10,100" must increase step by step, like 10,50,100`},
		{"canary-steps", "10,50", `input "canary-steps": "10,50" must end at 100, or the canary never takes all traffic`},
		{"canary-steps", "0,100", `input "canary-steps": "0,100" is not a list of traffic weights from 1 to 100 like 10,50,100`},
		{"smoke-urls", "example.com/healthz", `input "smoke-urls": "example.com/healthz" is not an http:// or https:// URL`},
		{"smoke-urls", "ftp://example.com/", `input "smoke-urls": "ftp://example.com/" is not an http:// or https:// URL`},
		{"smoke-timeout", "soon", `input "smoke-timeout": "soon" is not a duration like 90s or 2m`},
		{"smoke-timeout", "-5s", `input "smoke-timeout": "-5s" must not be negative`},
		{"rollback", "always", `input "rollback": "always" is not one of auto, never`},
		{"lock-timeout", "5", `input "lock-timeout": "5" is not a duration like 90s or 2m`},
		{"deploy-timeout", "1 hour", `input "deploy-timeout": "1 hour" is not a duration like 90s or 2m`},
		{"canary-bake", "1d", `input "canary-bake": "1d" is not a duration like 90s or 2m`},
		{"expect-status", "ok", `input "expect-status": "ok" is not a status like 200, 2xx or 200,204`},
		{"expect-status", "200,6xx", `input "expect-status": "200,6xx" is not a status like 200, 2xx or 200,204`},
		{"watch", "forever", `input "watch": "forever" is not a duration like 90s or 2m`},
		{"infra-paths", "infra/[", `input "infra-paths": "infra/[" is not a valid glob pattern (like infra/** or src/**/*.go)`},
		{"app-paths", "src/{a,b", `input "app-paths": "src/{a,b" is not a valid glob pattern (like infra/** or src/**/*.go)`},
		{"parallelism", "0", `input "parallelism": "0" is not a whole number from 1 to 256`},
		{"approval-mode", "reviews", `input "approval-mode": "reviews" is not one of auto, environment, pull-request`},
		{"min-approvals", "0", `input "min-approvals": "0" is not a whole number of approvals, at least 1`},
		{"min-approvals", "two", `input "min-approvals": "two" is not a whole number of approvals, at least 1`},
		{"parallelism", "many", `input "parallelism": "many" is not a whole number from 1 to 256`},
	}
	for _, tt := range tests {
		t.Run(tt.input+"="+tt.value, func(t *testing.T) {
			values := map[string]string{"command": "plan", tt.input: tt.value}
			_, err := Load(source(values))
			require.Error(t, err)
			var errs Errors
			require.ErrorAs(t, err, &errs)
			require.Len(t, errs, 1, err.Error())
			assert.Equal(t, tt.input, errs[0].Input)
			assert.Equal(t, tt.want, errs[0].Error())
		})
	}
}

// The runner sets INPUT_X="" for an input given as an empty string: that
// means "use the default", as for every GitHub action.
func TestLoadBlankMeansDefault(t *testing.T) {
	c, err := Load(source(map[string]string{"command": "plan", "config": "  ", "plan-file": ""}))
	require.NoError(t, err)
	assert.Equal(t, ".lockstep.yml", c.ConfigFile)
	assert.Equal(t, "tfplan", c.PlanFile)
}

func TestLoadReportsEveryError(t *testing.T) {
	_, err := Load(source(map[string]string{"command": "plan", "smoke-timeout": "soon", "comment": "x", "parallelism": "-1"}))
	var errs Errors
	require.ErrorAs(t, err, &errs)
	assert.Len(t, errs, 3)
}

func TestLoadDeployWaysExclusive(t *testing.T) {
	_, err := Load(source(map[string]string{"command": "deploy", "deploy-workflow": "deploy.yml", "deploy-command": "make deploy"}))
	require.EqualError(t, err, `input "deploy-command": cannot be used together with deploy-workflow: choose one way to deploy`)
}

func TestFlagErrorsSayFlag(t *testing.T) {
	s := source(map[string]string{"command": "plan", "smoke-timeout": "soon"})
	s.Flags = true
	_, err := Load(s)
	require.EqualError(t, err, `flag --smoke-timeout: "soon" is not a duration like 90s or 2m`)
}

func TestStatusSet(t *testing.T) {
	s, err := ParseStatusSet("200, 204,3xx")
	require.NoError(t, err)
	for code, want := range map[int]bool{200: true, 204: true, 201: false, 301: true, 404: false, 500: false} {
		assert.Equal(t, want, s.Match(code), code)
	}
}

func TestLoadSecretEnv(t *testing.T) {
	c, err := Load(source(map[string]string{"command": "plan", "secret-env": "TF_VAR_admin_password\n  DEPLOY_KEY \n\nTF_VAR_admin_password\n_x1"}))
	require.NoError(t, err)
	assert.Equal(t, []string{"TF_VAR_admin_password", "DEPLOY_KEY", "_x1"}, c.SecretEnv)

	// A value pasted instead of a name is refused without being echoed.
	_, err = Load(source(map[string]string{"command": "plan", "secret-env": "OK\nDEPLOY_KEY=hunter2\n1ABC"}))
	require.EqualError(t, err, `input "secret-env": line 2 is not an environment variable name (letters, digits and _, not starting with a digit; give names, not NAME=value)`+"\n"+
		`input "secret-env": line 3 is not an environment variable name (letters, digits and _, not starting with a digit; give names, not NAME=value)`)
	assert.NotContains(t, err.Error(), "hunter2")

	_, err = Load(source(map[string]string{"command": "plan", "secret-env": "GITHUB_SHA\nPATH"}))
	require.EqualError(t, err, `input "secret-env": "GITHUB_SHA" is the runner's or lockstep's own variable, not a secret: masking its value would blank it in every log line and output`+"\n"+
		`input "secret-env": "PATH" is the runner's or lockstep's own variable, not a secret: masking its value would blank it in every log line and output`)
}

// engine opentofu runs tofu unless terraform-path names another binary;
// the action always passes action.yml's default, terraform, which counts
// as not chosen.
func TestOpenTofuDefaultsToTofu(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want string
	}{
		{"terraform by default", map[string]string{}, "terraform"},
		{"tofu for opentofu", map[string]string{"engine": "opentofu"}, "tofu"},
		{"tofu for opentofu in Actions", map[string]string{"engine": "opentofu", "terraform-path": "terraform"}, "tofu"},
		{"a chosen binary stays", map[string]string{"engine": "opentofu", "terraform-path": "/opt/tofu-1.9/tofu"}, "/opt/tofu-1.9/tofu"},
		{"the engine input is case-insensitive", map[string]string{"engine": "OpenTofu"}, "tofu"},
		{"pulumi for pulumi in Actions", map[string]string{"engine": "pulumi", "stack": "dev", "terraform-path": "terraform"}, "pulumi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in["command"] = "plan"
			c, err := Load(source(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.TerraformPath)
		})
	}
	_, err := Load(source(map[string]string{"command": "plan", "engine": "bicep"}))
	assert.ErrorContains(t, err, `input "engine": "bicep" is not one of`)
}

func TestLoadCloudFormation(t *testing.T) {
	c, err := Load(source(map[string]string{"command": "plan", "engine": "cloudformation", "stack": "shop-prod", "template": "./stack.yaml", "parameters-file": "params/prod.json"}))
	require.NoError(t, err)
	assert.Equal(t, "cloudformation", c.Engine)
	assert.Equal(t, "shop-prod", c.Stack)
	assert.Equal(t, "stack.yaml", c.Template)
	assert.Equal(t, "params/prod.json", c.ParametersFile)

	tests := []struct {
		values map[string]string
		input  string
		want   string
	}{
		{map[string]string{"engine": "cloudformation", "template": "t.yaml"}, "stack", `input "stack": is required with engine cloudformation: name the stack to plan and apply, like shop-prod`},
		{map[string]string{"engine": "cloudformation", "stack": "my-org/prod", "template": "t.yaml"}, "stack", `input "stack": "my-org/prod" is not a CloudFormation stack name: a letter, then letters, digits and hyphens, at most 128 characters`},
		{map[string]string{"engine": "cloudformation", "stack": "shop"}, "template", `input "template": is required with engine cloudformation: the template file, relative to the working directory, like template.yaml`},
		{map[string]string{"engine": "cloudformation", "stack": "shop", "template": "../t.yaml"}, "template", `input "template": "../t.yaml" points outside the working directory`},
		{map[string]string{"engine": "cloudformation", "stack": "shop", "template": "/etc/t.yaml"}, "template", `input "template": "/etc/t.yaml" is an absolute path: give it relative to the working directory`},
		{map[string]string{"engine": "cloudformation", "stack": "shop", "template": "t.yaml", "parameters-file": "p/"}, "parameters-file", `input "parameters-file": "p/" is a directory: name a file`},
		{map[string]string{"engine": "cloudformation", "stack": "shop", "template": "t.yaml", "terraform-version": "1.9.8"}, "terraform-version", `input "terraform-version": "1.9.8" is for engine terraform and opentofu: engine cloudformation runs no binary (it talks to the CloudFormation API)`},
		{map[string]string{"template": "t.yaml"}, "template", `input "template": "t.yaml" is for engine cloudformation; engine terraform has none (set engine: cloudformation, or leave template empty)`},
		{map[string]string{"engine": "pulumi", "stack": "dev", "parameters-file": "p.json"}, "parameters-file", `input "parameters-file": "p.json" is for engine cloudformation; engine pulumi has none (set engine: cloudformation, or leave parameters-file empty)`},
	}
	for _, tt := range tests {
		tt.values["command"] = "plan"
		_, err := Load(source(tt.values))
		var errs Errors
		require.ErrorAs(t, err, &errs, "%v", tt.values)
		require.Len(t, errs, 1, err.Error())
		assert.Equal(t, tt.input, errs[0].Input)
		assert.Equal(t, tt.want, errs[0].Error())
	}
}

func TestLoadPulumiStack(t *testing.T) {
	c, err := Load(source(map[string]string{"command": "plan", "engine": "pulumi", "stack": "my-org/prod"}))
	require.NoError(t, err)
	assert.Equal(t, "pulumi", c.Engine)
	assert.Equal(t, "my-org/prod", c.Stack)
	assert.Equal(t, "pulumi", c.TerraformPath, "engine pulumi runs pulumi unless terraform-path says otherwise")

	tests := []struct {
		values map[string]string
		input  string
		want   string
	}{
		{map[string]string{"engine": "pulumi"}, "stack", `input "stack": is required with engine pulumi: name the stack to plan and apply, like dev or my-org/prod`},
		{map[string]string{"engine": "pulumi", "stack": "--help"}, "stack", `input "stack": "--help" is not a Pulumi stack name: letters, digits and _ . - (not first), optionally org/ or org/project/ before it`},
		{map[string]string{"engine": "pulumi", "stack": "../x"}, "stack", `input "stack": "../x" is not a Pulumi stack name: letters, digits and _ . - (not first), optionally org/ or org/project/ before it`},
		{map[string]string{"engine": "pulumi", "stack": "dev prod"}, "stack", `input "stack": "dev prod" is not a Pulumi stack name: letters, digits and _ . - (not first), optionally org/ or org/project/ before it`},
		{map[string]string{"stack": "dev"}, "stack", `input "stack": "dev" names a Pulumi or CloudFormation stack; engine terraform has none (set engine: pulumi or cloudformation, or leave stack empty)`},
		{map[string]string{"engine": "pulumi", "stack": "dev", "terraform-version": "1.9.8"}, "terraform-version", `input "terraform-version": "1.9.8" is for engine terraform and opentofu: engine pulumi runs the pulumi on PATH (or terraform-path)`},
	}
	for _, tt := range tests {
		tt.values["command"] = "plan"
		_, err := Load(source(tt.values))
		var errs Errors
		require.ErrorAs(t, err, &errs, "%v", tt.values)
		require.Len(t, errs, 1, err.Error())
		assert.Equal(t, tt.input, errs[0].Input)
		assert.Equal(t, tt.want, errs[0].Error())
	}
}
