package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProductionLike(t *testing.T) {
	for env, want := range map[string]bool{
		"production": true, "Production": true, "PROD": true, "prd": true, " prod ": true,
		"staging": false, "prod-eu": false, "preprod": false, "": false, "dev": false,
	} {
		assert.Equal(t, want, ProductionLike(env), "ProductionLike(%q)", env)
	}
}

func TestResolveApprovalMode(t *testing.T) {
	file := mustParse(t, `environments:
  production:
    approval-mode: pull-request
    min-approvals: 2
    approvers: codeowners
    approver-teams: ["@acme/infra", acme/sre]
`)
	p := Resolve(file, "production", Overrides{})
	assert.Equal(t, "pull-request", p.ApprovalMode)
	assert.True(t, p.ModeFromFile)
	assert.Equal(t, 2, p.MinApprovals)
	assert.True(t, p.RequireCodeowner)
	assert.Equal(t, []string{"acme/infra", "acme/sre"}, p.ApproverTeams)

	p = Resolve(file, "production", Overrides{ApprovalMode: "environment", MinApprovals: 3})
	assert.Equal(t, "environment", p.ApprovalMode)
	assert.False(t, p.ModeFromFile)
	assert.Equal(t, 3, p.MinApprovals)

	p = Resolve(file, "staging", Overrides{ApprovalMode: "auto"})
	assert.Equal(t, "auto", p.ApprovalMode)
	assert.Equal(t, 1, p.MinApprovals)
	assert.False(t, p.RequireCodeowner)
}

func TestResolve(t *testing.T) {
	file := mustParse(t, `environments:
  Production:
    approval: none
    allow-destroy: true
    strategy: direct
    canary-steps: [25, 100]
  staging:
    approval: required
    strategy: canary
  prd:
    allow-destroy: false
`)
	defaults := func(approval, destroy, strategy, steps string) map[string]string {
		return map[string]string{FieldApproval: approval, FieldAllowDestroy: destroy, FieldStrategy: strategy, FieldCanarySteps: steps}
	}
	const in, fi, de = SourceInput, SourceFile, SourceDefault

	tests := []struct {
		name string
		file *File
		env  string
		o    Overrides
		want Policy
	}{
		{
			name: "no file, production-like name: approval and canary",
			env:  "production",
			want: Policy{Environment: "production", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{10, 50, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, de, de, de)},
		},
		{
			name: "no file, prod in upper case",
			env:  "PROD",
			want: Policy{Environment: "PROD", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{10, 50, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, de, de, de)},
		},
		{
			name: "no file, other name: no approval, direct",
			env:  "staging",
			want: Policy{Environment: "staging", Strategy: "direct", CanarySteps: []int{10, 50, 100}, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, de, de, de)},
		},
		{
			name: "no file, empty environment",
			env:  "",
			want: Policy{Strategy: "direct", CanarySteps: []int{10, 50, 100}, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, de, de, de)},
		},
		{
			name: "empty file is the same as no file",
			file: &File{},
			env:  "prd",
			want: Policy{Environment: "prd", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{10, 50, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, de, de, de)},
		},
		{
			name: "file entry matched in any case overrides production defaults",
			file: file,
			env:  "production",
			want: Policy{Environment: "production", AllowDestroy: true, Strategy: "direct", CanarySteps: []int{25, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(fi, fi, fi, fi)},
		},
		{
			name: "file entry makes a non-production environment strict",
			file: file,
			env:  "Staging",
			want: Policy{Environment: "Staging", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{10, 50, 100}, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(fi, de, fi, de)},
		},
		{
			name: "partial file entry keeps the defaults for the rest",
			file: file,
			env:  "prd",
			want: Policy{Environment: "prd", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{10, 50, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, fi, de, de)},
		},
		{
			name: "environment not in the file uses defaults",
			file: file,
			env:  "dev",
			want: Policy{Environment: "dev", Strategy: "direct", CanarySteps: []int{10, 50, 100}, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, de, de, de)},
		},
		{
			name: "auto and nil inputs are not given",
			file: file,
			env:  "staging",
			o:    Overrides{RequireApproval: "auto", Strategy: "auto"},
			want: Policy{Environment: "staging", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{10, 50, 100}, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(fi, de, fi, de)},
		},
		{
			name: "inputs override the file",
			file: file,
			env:  "production",
			o:    Overrides{RequireApproval: "true", AllowDestroy: boolPtr(false), Strategy: "canary", CanarySteps: []int{5, 100}},
			want: Policy{Environment: "production", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{5, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(in, in, in, in)},
		},
		{
			name: "inputs override the defaults",
			env:  "prod",
			o:    Overrides{RequireApproval: "false", AllowDestroy: boolPtr(true), Strategy: "direct"},
			want: Policy{Environment: "prod", AllowDestroy: true, Strategy: "direct", CanarySteps: []int{10, 50, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(in, in, in, de)},
		},
		{
			name: "an explicit allow-destroy false beats the file's true",
			file: file,
			env:  "production",
			o:    Overrides{AllowDestroy: boolPtr(false)},
			want: Policy{Environment: "production", Strategy: "direct", CanarySteps: []int{25, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(fi, in, fi, fi)},
		},
		{
			name: "require-approval true on a non-production environment",
			env:  "dev",
			o:    Overrides{RequireApproval: "true"},
			want: Policy{Environment: "dev", ApprovalRequired: true, Strategy: "direct", CanarySteps: []int{10, 50, 100}, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(in, de, de, de)},
		},
		{
			name: "unknown override values count as not given",
			env:  "production",
			o:    Overrides{RequireApproval: "maybe", Strategy: "blue-green"},
			want: Policy{Environment: "production", ApprovalRequired: true, Strategy: "canary", CanarySteps: []int{10, 50, 100}, ProductionLike: true, ApprovalMode: "auto", MinApprovals: 1, Source: defaults(de, de, de, de)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Resolve(tt.file, tt.env, tt.o))
		})
	}
}

func TestResolveDoesNotAlias(t *testing.T) {
	f := mustParse(t, "environments:\n  prod:\n    canary-steps: [50, 100]\n")
	p := Resolve(f, "prod", Overrides{})
	p.CanarySteps[0] = 1
	assert.Equal(t, []int{50, 100}, Resolve(f, "prod", Overrides{}).CanarySteps)
	p = Resolve(nil, "prod", Overrides{})
	p.CanarySteps[0] = 1
	assert.Equal(t, []int{10, 50, 100}, Resolve(nil, "prod", Overrides{}).CanarySteps)
}

func mustParse(t *testing.T, y string) *File {
	t.Helper()
	f, err := Parse(".lockstep.yml", []byte(y))
	require.NoError(t, err)
	return f
}

func TestResolveApplyGate(t *testing.T) {
	file := mustParse(t, `environments:
  production:
    apply-refs: [refs/heads/release/*]
    allow-self-approval: true
    allow-admin-bypass: true
    require-branch-policy: false
  prod:
    allow-self-approval: false
    require-branch-policy: true
`)
	tests := []struct {
		name                          string
		env                           string
		wantRefs                      []string
		wantSelf, wantAdmin, wantSkip bool
	}{
		{name: "every relaxation from the file", env: "Production", wantRefs: []string{"refs/heads/release/*"}, wantSelf: true, wantAdmin: true, wantSkip: true},
		{name: "explicitly strict", env: "prod"},
		{name: "not in the file: strict by default", env: "prd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Resolve(file, tt.env, Overrides{})
			assert.Equal(t, tt.wantRefs, p.ApplyRefs)
			assert.Equal(t, tt.wantSelf, p.AllowSelfApproval, "AllowSelfApproval")
			assert.Equal(t, tt.wantAdmin, p.AllowAdminBypass, "AllowAdminBypass")
			assert.Equal(t, tt.wantSkip, p.SkipBranchPolicy, "SkipBranchPolicy")
		})
	}
}

func TestRefAllowed(t *testing.T) {
	p := Policy{ApplyRefs: []string{"refs/heads/release/*", "refs/tags/**"}}
	tests := []struct {
		ref, defaultBranch string
		want               bool
	}{
		{"refs/heads/main", "main", true},
		{"refs/heads/trunk", "trunk", true},
		{"refs/heads/main", "trunk", false},
		{"refs/heads/main", "", false},
		{"refs/heads/release/1.2", "main", true},
		{"refs/heads/release/1.2/hotfix", "main", false}, // * stops at /
		{"refs/heads/feature", "main", false},
		{"refs/tags/v1.2.3", "main", true},
		{"refs/tags/v1/rc", "main", true}, // ** does not stop at /
		{"refs/heads/v1", "main", false},
		{"refs/pull/7/merge", "main", false},
		{"refs/heads/mainly", "main", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref+" default "+tt.defaultBranch, func(t *testing.T) {
			assert.Equal(t, tt.want, p.RefAllowed(tt.ref, tt.defaultBranch))
		})
	}
	assert.False(t, Policy{}.RefAllowed("refs/heads/release/1", "main"), "no apply-refs: only the default branch")
}

func TestResolveEngineRollback(t *testing.T) {
	file := mustParse(t, `environments:
  staging:
    engine-rollback: true
  production:
    engine-rollback: false
`)
	assert.True(t, Resolve(file, "staging", Overrides{}).EngineRollback)
	assert.False(t, Resolve(file, "production", Overrides{}).EngineRollback)
	assert.False(t, Resolve(file, "dev", Overrides{}).EngineRollback, "no rollback by default")
	assert.False(t, Resolve(nil, "staging", Overrides{}).EngineRollback)

	_, err := Parse(DefaultFile, []byte("environments:\n  staging:\n    engine-rollback: maybe\n"))
	require.ErrorContains(t, err, "environments.staging.engine-rollback")
}
