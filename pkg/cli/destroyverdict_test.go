package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

func TestDestroyVerdictAndNextStep(t *testing.T) {
	s := &plan.Summary{Changes: []plan.Change{
		{Address: "aws_db_instance.main", Action: plan.ActionReplace},
		{Address: "aws_s3_bucket.logs", Action: plan.ActionDelete},
		{Address: "aws_instance.web", Action: plan.ActionCreate},
	}}
	f, err := policy.Parse(".lockstep.yml", []byte("environments:\n  staging:\n    allow-destroy: [aws_db_instance.*]\n  dev:\n    allow-destroy: true\n"))
	assert.NoError(t, err)
	yes := true
	tests := []struct {
		name string
		pol  policy.Policy
		want *comment.DestroyVerdict
		next string
	}{
		{name: "refused by default", pol: policy.Resolve(f, "production", policy.Overrides{}),
			want: &comment.DestroyVerdict{Refused: []string{"aws_db_instance.main", "aws_s3_bucket.logs"}, Label: "lockstep:allow-destroy", PolicyFile: ".lockstep.yml"},
			next: "Merging this pull request plans again on the target branch; apply to **staging** refuses that plan (`destroy-not-allowed`) unless its deletes and replaces are allowed as the warning above says. " +
				"Once they are, it is applied without approval, and the app deploys after the apply succeeds."},
		{name: "a list allows part", pol: policy.Resolve(f, "staging", policy.Overrides{}),
			want: &comment.DestroyVerdict{Refused: []string{"aws_s3_bucket.logs"}, Label: "lockstep:allow-destroy", PolicyFile: ".lockstep.yml"},
			next: "Merging this pull request plans again on the target branch; apply to **staging** refuses that plan (`destroy-not-allowed`) unless its deletes and replaces are allowed as the warning above says. " +
				"Once they are, it is applied without approval, and the app deploys after the apply succeeds."},
		{name: "the file allows all", pol: policy.Resolve(f, "dev", policy.Overrides{}),
			want: &comment.DestroyVerdict{AllowedBy: "allow-destroy in .lockstep.yml", Label: "lockstep:allow-destroy", PolicyFile: ".lockstep.yml"},
			next: "Merging this pull request plans again on the target branch; that plan is applied to **staging** without approval, and the app deploys after the apply succeeds."},
		{name: "the input allows all", pol: policy.Resolve(f, "production", policy.Overrides{AllowDestroy: &yes}),
			want: &comment.DestroyVerdict{AllowedBy: "the input allow-destroy", Label: "lockstep:allow-destroy", PolicyFile: ".lockstep.yml"},
			next: "Merging this pull request plans again on the target branch; that plan is applied to **staging** without approval, and the app deploys after the apply succeeds."},
	}
	a := &app{cfg: &config.Config{Environment: "staging", RequireApproval: "false"}, gh: &config.Context{EventName: "pull_request", PullRequest: 7}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := destroyVerdict(tt.pol, s, ".lockstep.yml")
			assert.Equal(t, tt.want, v)
			assert.Equal(t, tt.next, nextStep(a, true, v))
		})
	}
	assert.Nil(t, destroyVerdict(policy.Policy{}, &plan.Summary{}, ".lockstep.yml"), "nothing to destroy")
}
