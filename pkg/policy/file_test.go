package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func boolPtr(b bool) *bool { return &b }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want *File
	}{
		{
			name: "empty file",
			yaml: "",
			want: &File{Path: ".lockstep.yml"},
		},
		{
			name: "comments only",
			yaml: "# nothing yet\n",
			want: &File{Path: ".lockstep.yml"},
		},
		{
			name: "full example",
			yaml: `environments:
  production:
    approval: required        # required | none
    allow-destroy: false
    strategy: canary          # direct | canary
    canary-steps: [10, 50, 100]
  staging:
    approval: none
    strategy: direct
stacks:
  - infra/*
depends-on:
  infra/app: [infra/network, infra/db]
infra-paths: ["infra/**", "modules/**"]
app-paths: ["src/**", "Dockerfile"]
`,
			want: &File{
				Path: ".lockstep.yml",
				Environments: map[string]Environment{
					"production": {Name: "production", Approval: "required", AllowDestroy: boolPtr(false), Strategy: "canary", CanarySteps: []int{10, 50, 100}},
					"staging":    {Name: "staging", Approval: "none", Strategy: "direct"},
				},
				Stacks:     []string{"infra/*"},
				DependsOn:  map[string][]string{"infra/app": {"infra/network", "infra/db"}},
				InfraPaths: []string{"infra/**", "modules/**"},
				AppPaths:   []string{"src/**", "Dockerfile"},
			},
		},
		{
			name: "environment names keep their case and are keyed in lower case",
			yaml: "environments:\n  Prod-EU:\n    allow-destroy: true\n",
			want: &File{Path: ".lockstep.yml", Environments: map[string]Environment{
				"prod-eu": {Name: "Prod-EU", AllowDestroy: boolPtr(true)},
			}},
		},
		{
			name: "allow-destroy as a list of addresses",
			yaml: "environments:\n  production:\n    allow-destroy:\n      - aws_db_instance.main\n      - \"module.db.*\"\n      - 'aws_s3_bucket.b[\"logs\"]'\n  staging:\n    allow-destroy: []\n",
			want: &File{Path: ".lockstep.yml", Environments: map[string]Environment{
				"production": {Name: "production", AllowDestroyAddresses: []string{"aws_db_instance.main", "module.db.*", `aws_s3_bucket.b["logs"]`}},
				"staging":    {Name: "staging", AllowDestroyAddresses: []string{}},
			}},
		},
		{
			name: "empty environment entry and empty lists",
			yaml: "environments:\n  dev:\nstacks:\ninfra-paths: []\n",
			want: &File{Path: ".lockstep.yml", Environments: map[string]Environment{"dev": {Name: "dev"}}, InfraPaths: nil},
		},
		{
			name: "paths are cleaned and depends-on duplicates dropped",
			yaml: "stacks: [./infra/*]\ndepends-on:\n  ./infra/app/: [infra/db/, ./infra/db]\n",
			want: &File{Path: ".lockstep.yml", Stacks: []string{"infra/*"}, DependsOn: map[string][]string{"infra/app": {"infra/db"}}},
		},
		{
			name: "anchors and aliases",
			yaml: "environments:\n  prod: &strict\n    approval: required\n  prd: *strict\n",
			want: &File{Path: ".lockstep.yml", Environments: map[string]Environment{
				"prod": {Name: "prod", Approval: "required"},
				"prd":  {Name: "prd", Approval: "required"},
			}},
		},
		{
			name: "apply gate keys",
			yaml: "environments:\n  production:\n    apply-refs: [refs/heads/release/*, \"refs/tags/v**\"]\n    allow-self-approval: true\n    allow-admin-bypass: false\n    require-branch-policy: false\n",
			want: &File{Path: ".lockstep.yml", Environments: map[string]Environment{"production": {
				Name: "production", ApplyRefs: []string{"refs/heads/release/*", "refs/tags/v**"},
				AllowSelfApproval: boolPtr(true), AllowAdminBypass: boolPtr(false), RequireBranchPolicy: boolPtr(false),
			}}},
		},
		{
			name: "single canary step of 100",
			yaml: "environments:\n  prod:\n    canary-steps: [100]\n",
			want: &File{Path: ".lockstep.yml", Environments: map[string]Environment{"prod": {Name: "prod", CanarySteps: []int{100}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".lockstep.yml", []byte(tt.yaml))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every error, in order
	}{
		{
			name: "unknown top-level key",
			yaml: "environments: {}\nenviroments:\n  prod: {}\n",
			want: []string{`.lockstep.yml:2: enviroments: unknown key; want one of environments, stacks, depends-on, infra-paths, app-paths`},
		},
		{
			name: "unknown environment key",
			yaml: "environments:\n  production:\n    approvals: required\n",
			want: []string{`.lockstep.yml:3: environments.production.approvals: unknown key; want one of approval, allow-destroy, strategy, canary-steps, apply-refs, allow-self-approval, allow-admin-bypass, require-branch-policy, approval-mode, min-approvals, approvers, approver-teams, engine-rollback`},
		},
		{
			name: "bad approval mode",
			yaml: "environments:\n  production:\n    approval-mode: reviews\n",
			want: []string{`.lockstep.yml:3: environments.production.approval-mode: "reviews" is not one of environment, pull-request, auto`},
		},
		{
			name: "min-approvals zero",
			yaml: "environments:\n  production:\n    min-approvals: 0\n",
			want: []string{`.lockstep.yml:3: environments.production.min-approvals: "0" is not a whole number of approvals, at least 1`},
		},
		{
			name: "min-approvals as a string",
			yaml: "environments:\n  production:\n    min-approvals: two\n",
			want: []string{`.lockstep.yml:3: environments.production.min-approvals: "two" is not a whole number of approvals, at least 1`},
		},
		{
			name: "approvers other than codeowners",
			yaml: "environments:\n  production:\n    approvers: admins\n",
			want: []string{`.lockstep.yml:3: environments.production.approvers: "admins" is not one of codeowners`},
		},
		{
			name: "approver team without its org",
			yaml: "environments:\n  production:\n    approver-teams: [infra]\n",
			want: []string{`.lockstep.yml:3: environments.production.approver-teams[0]: "infra" is not a team: write it org/team-slug`},
		},
		{
			name: "bad approval",
			yaml: "environments:\n  production:\n    strategy: canary\n    approval: maybe\n",
			want: []string{`.lockstep.yml:4: environments.production.approval: "maybe" is not required or none`},
		},
		{
			name: "approval as a boolean",
			yaml: "environments:\n  production:\n    approval: true\n",
			want: []string{`.lockstep.yml:3: environments.production.approval: "true" is not required or none`},
		},
		{
			name: "approval with no value",
			yaml: "environments:\n  production:\n    approval:\n",
			want: []string{`.lockstep.yml:3: environments.production.approval: is an empty value; want required or none`},
		},
		{
			name: "apply-refs must be full refs and valid globs",
			yaml: "environments:\n  production:\n    apply-refs:\n      - release/*\n      - \"refs/heads/[\"\n      - refs/tags/v*\n",
			want: []string{
				`.lockstep.yml:4: environments.production.apply-refs[0]: "release/*" is not a full ref: start it with refs/heads/ (branches) or refs/tags/ (tags)`,
				`.lockstep.yml:5: environments.production.apply-refs[1]: "refs/heads/[" is not a valid glob`,
			},
		},
		{
			name: "apply-refs is a list",
			yaml: "environments:\n  production:\n    apply-refs: refs/heads/main\n",
			want: []string{`.lockstep.yml:3: environments.production.apply-refs: is "refs/heads/main"; want a list of ref globs like refs/heads/release/* or refs/tags/v*`},
		},
		{
			name: "relaxations are booleans",
			yaml: "environments:\n  production:\n    allow-self-approval: yes\n    allow-admin-bypass: \"true\"\n    require-branch-policy: off\n",
			want: []string{
				`.lockstep.yml:3: environments.production.allow-self-approval: "yes" is not true or false`,
				`.lockstep.yml:4: environments.production.allow-admin-bypass: "true" is not true or false`,
				`.lockstep.yml:5: environments.production.require-branch-policy: "off" is not true or false`,
			},
		},
		{
			name: "bad strategy",
			yaml: "environments:\n  staging:\n    strategy: blue-green\n",
			want: []string{`.lockstep.yml:3: environments.staging.strategy: "blue-green" is not direct or canary`},
		},
		{
			name: "allow-destroy yes is not a boolean",
			yaml: "environments:\n  staging:\n    allow-destroy: yes\n",
			want: []string{`.lockstep.yml:3: environments.staging.allow-destroy: "yes" is not true or false`},
		},
		{
			name: "allow-destroy list items are addresses",
			yaml: "environments:\n  production:\n    allow-destroy:\n      - aws_db_instance.main\n      - true\n      - \"\"\n      - aws_db_instance .main\n      - main\n      - [a.b]\n      - .a.b\n",
			want: []string{
				`.lockstep.yml:5: environments.production.allow-destroy[1]: "true" is not a resource address: want <type>.<name> (aws_db_instance.main), module.<name>.* or a glob with *`,
				`.lockstep.yml:6: environments.production.allow-destroy[2]: "" is empty; want a resource address like aws_db_instance.main`,
				`.lockstep.yml:7: environments.production.allow-destroy[3]: "aws_db_instance .main" holds whitespace; a resource address has none`,
				`.lockstep.yml:8: environments.production.allow-destroy[4]: "main" is not a resource address: want <type>.<name> (aws_db_instance.main), module.<name>.* or a glob with *`,
				`.lockstep.yml:9: environments.production.allow-destroy[5]: is a list; want a resource address like aws_db_instance.main or module.db.*`,
				`.lockstep.yml:10: environments.production.allow-destroy[6]: ".a.b" starts or ends with a dot; want a resource address like aws_db_instance.main or module.db.*`,
			},
		},
		{
			name: "allow-destroy quoted",
			yaml: "environments:\n  staging:\n    allow-destroy: \"true\"\n",
			want: []string{`.lockstep.yml:3: environments.staging.allow-destroy: "true" is not true or false`},
		},
		{
			name: "canary step out of range",
			yaml: "environments:\n  prod:\n    canary-steps: [0, 50, 100]\n",
			want: []string{`.lockstep.yml:3: environments.prod.canary-steps[0]: 0 is not a percentage from 1 to 100`},
		},
		{
			name: "canary step over 100",
			yaml: "environments:\n  prod:\n    canary-steps:\n      - 10\n      - 150\n",
			want: []string{`.lockstep.yml:5: environments.prod.canary-steps[1]: 150 is not a percentage from 1 to 100`},
		},
		{
			name: "canary steps not increasing",
			yaml: "environments:\n  prod:\n    canary-steps: [50, 50, 100]\n",
			want: []string{`.lockstep.yml:3: environments.prod.canary-steps[1]: 50 does not increase on the step before it (50)`},
		},
		{
			name: "canary steps not ending at 100",
			yaml: "environments:\n  prod:\n    canary-steps:\n      - 10\n      - 50\n",
			want: []string{`.lockstep.yml:5: environments.prod.canary-steps[1]: the last step is 50; it must be 100 so the new version ends with all traffic`},
		},
		{
			name: "canary step not a number",
			yaml: "environments:\n  prod:\n    canary-steps: [10%, 100]\n",
			want: []string{`.lockstep.yml:3: environments.prod.canary-steps[0]: "10%" is not a whole percentage from 1 to 100`},
		},
		{
			name: "canary step a float",
			yaml: "environments:\n  prod:\n    canary-steps: [12.5, 100]\n",
			want: []string{`.lockstep.yml:3: environments.prod.canary-steps[0]: "12.5" is not a whole percentage from 1 to 100`},
		},
		{
			name: "canary steps empty",
			yaml: "environments:\n  prod:\n    canary-steps: []\n",
			want: []string{`.lockstep.yml:3: environments.prod.canary-steps: is empty; want traffic percentages like [10, 50, 100]`},
		},
		{
			name: "canary steps a string",
			yaml: "environments:\n  prod:\n    canary-steps: \"10,50,100\"\n",
			want: []string{`.lockstep.yml:3: environments.prod.canary-steps: is "10,50,100"; want a list of traffic percentages like [10, 50, 100]`},
		},
		{
			name: "environment is not a mapping",
			yaml: "environments:\n  prod: required\n",
			want: []string{`.lockstep.yml:2: environments.prod: is "required"; want a mapping`},
		},
		{
			name: "environments is a list",
			yaml: "environments:\n  - prod\n",
			want: []string{`.lockstep.yml:2: environments: is a list; want a mapping`},
		},
		{
			name: "environment names differing only in case",
			yaml: "environments:\n  production:\n    approval: none\n  Production:\n    approval: required\n",
			want: []string{`.lockstep.yml:4: environments.Production: is the same environment as production (line 2): names match in any case`},
		},
		{
			name: "duplicate key",
			yaml: "environments:\n  prod:\n    approval: none\n    approval: required\n",
			want: []string{`.lockstep.yml:4: environments.prod.approval: is given twice (first on line 3)`},
		},
		{
			name: "merge keys are not supported",
			yaml: "base: &b\n  approval: none\n",
			want: []string{`.lockstep.yml:1: base: unknown key; want one of environments, stacks, depends-on, infra-paths, app-paths`},
		},
		{
			name: "stacks is a string",
			yaml: "stacks: infra/*\n",
			want: []string{`.lockstep.yml:1: stacks: is "infra/*"; want a list of doublestar globs`},
		},
		{
			name: "bad glob",
			yaml: "stacks:\n  - infra/[a\n",
			want: []string{`.lockstep.yml:2: stacks[0]: "infra/[a" is not a valid glob`},
		},
		{
			name: "absolute and escaping globs",
			yaml: "infra-paths: [/infra/**]\napp-paths:\n  - ../src/**\n",
			want: []string{
				`.lockstep.yml:1: infra-paths[0]: "/infra/**" must be relative to the repository root, not absolute`,
				`.lockstep.yml:3: app-paths[0]: "../src/**" must stay inside the repository (no ..)`,
			},
		},
		{
			name: "glob that is a mapping",
			yaml: "app-paths:\n  - src: yes\n",
			want: []string{`.lockstep.yml:2: app-paths[0]: is a mapping; want a doublestar glob`},
		},
		{
			name: "depends-on a string",
			yaml: "depends-on:\n  infra/app: infra/db\n",
			want: []string{`.lockstep.yml:2: depends-on.infra/app: is "infra/db"; want a list of stack directories`},
		},
		{
			name: "depends-on itself",
			yaml: "depends-on:\n  infra/app:\n    - infra/db\n    - ./infra/app\n",
			want: []string{`.lockstep.yml:4: depends-on.infra/app[1]: infra/app cannot depend on itself`},
		},
		{
			name: "depends-on the same stack twice",
			yaml: "depends-on:\n  infra/app: [infra/db]\n  infra/app/: [infra/network]\n",
			want: []string{`.lockstep.yml:3: depends-on.infra/app/: is the same stack as the entry on line 2`},
		},
		{
			name: "depends-on outside the repository",
			yaml: "depends-on:\n  infra/app: [../other]\n",
			want: []string{`.lockstep.yml:2: depends-on.infra/app[0]: "../other" must stay inside the repository (no ..)`},
		},
		{
			name: "the document is a list",
			yaml: "- environments\n",
			want: []string{`.lockstep.yml:1: the file holds a list; want a mapping of settings (environments, stacks, depends-on, infra-paths, app-paths)`},
		},
		{
			name: "two documents",
			yaml: "stacks: [a]\n---\nstacks: [b]\n",
			want: []string{`.lockstep.yml:2: holds more than one YAML document; keep one`},
		},
		{
			name: "syntax error",
			yaml: "environments:\n  prod:\n    approval: required\n   strategy: canary\n",
			want: []string{`.lockstep.yml:4: did not find expected key`},
		},
		{
			name: "syntax error deeper in the file",
			yaml: "# policy\nstacks: [infra/*]\nenvironments:\n  prod:\n    approval: none\n    strategy: \"direct\n",
			want: []string{`.lockstep.yml:6: found unexpected end of stream`},
		},
		{
			name: "unclosed flow list spanning lines",
			yaml: "environments:\n  prod:\n    canary-steps: [10,\n      50,\n      100\n    approval: none\n",
			want: []string{`.lockstep.yml:5: did not find expected ',' or ']'`},
		},
		{
			name: "tab indentation",
			yaml: "environments:\n\tprod: {}\n",
			want: []string{`.lockstep.yml:2: found character that cannot start any token`},
		},
		{
			name: "every problem at once, in file order",
			yaml: `environments:
  production:
    approval: maybe
    strategy: fast
    canary-steps: [10, 5, 100]
    colour: blue
stacks: [infra/*]
depend-on: {}
`,
			want: []string{
				`.lockstep.yml:3: environments.production.approval: "maybe" is not required or none`,
				`.lockstep.yml:4: environments.production.strategy: "fast" is not direct or canary`,
				`.lockstep.yml:5: environments.production.canary-steps[1]: 5 does not increase on the step before it (10)`,
				`.lockstep.yml:6: environments.production.colour: unknown key; want one of approval, allow-destroy, strategy, canary-steps, apply-refs, allow-self-approval, allow-admin-bypass, require-branch-policy, approval-mode, min-approvals, approvers, approver-teams, engine-rollback`,
				`.lockstep.yml:8: depend-on: unknown key; want one of environments, stacks, depends-on, infra-paths, app-paths`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(".lockstep.yml", []byte(tt.yaml))
			require.Error(t, err)
			assert.Nil(t, got)
			var errs FileErrors
			require.True(t, errors.As(err, &errs), "error is %T, want FileErrors", err)
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = e.Error()
			}
			assert.Equal(t, tt.want, msgs)

			var one *FileError
			require.True(t, errors.As(err, &one), "errors.As must reach each *FileError")
			assert.Equal(t, ".lockstep.yml", one.Path)
		})
	}
}

func TestLoad(t *testing.T) {
	t.Run("missing file is an empty policy", func(t *testing.T) {
		f, err := Load(filepath.Join(t.TempDir(), ".lockstep.yml"))
		require.NoError(t, err)
		assert.Equal(t, &File{}, f)
	})
	t.Run("errors name the path given", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "policy.yml")
		require.NoError(t, os.WriteFile(p, []byte("environments:\n  prod:\n    approval: maybe\n"), 0o600))
		_, err := Load(p)
		require.EqualError(t, err, p+`:3: environments.prod.approval: "maybe" is not required or none`)
	})
	t.Run("a directory cannot be read", func(t *testing.T) {
		_, err := Load(t.TempDir())
		require.ErrorContains(t, err, "reading policy file: ")
	})
	t.Run("the fixture monorepo policy", func(t *testing.T) {
		f, err := Load("../../test/fixtures/monorepo/.lockstep.yml")
		require.NoError(t, err)
		assert.Equal(t, []string{"infra/*"}, f.Stacks)
		assert.Equal(t, []string{"infra/network", "infra/db"}, f.DependsOn["infra/app"])
		prod, ok := f.Environment("PRODUCTION")
		require.True(t, ok)
		assert.Equal(t, ApprovalRequired, prod.Approval)
	})
}
