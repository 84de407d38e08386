package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/gate"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// ApproverTokenEnv is the environment variable with an optional token that
// lockstep uses for team reads only (see gate.ApproverTokenEnv).
const ApproverTokenEnv = gate.ApproverTokenEnv

// newGate wires the approval gate (pkg/gate) for this run: the runner's
// context, the run's GitHub client, the approver token's client for team
// reads, and the workspace (the applied commit) for CODEOWNERS.
func (a *app) newGate() *gate.Gate {
	return &gate.Gate{
		Environment: a.cfg.Environment,
		Run: gate.Run{
			EventName: a.gh.EventName, Ref: a.gh.Ref, SHA: a.gh.SHA, RunID: a.gh.RunID,
			Actor: a.gh.Actor, TriggeringActor: a.gh.TriggeringActor,
			Before: a.gh.Before, DefaultBranch: a.gh.DefaultBranch,
		},
		GitHub: func() (gate.GitHub, error) {
			c, err := a.github()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		ApproverTeams: func() (gate.Teams, error) {
			tok := a.env.Getenv(ApproverTokenEnv)
			if tok == "" {
				return nil, nil
			}
			a.r.Mask(tok)
			c, err := github.New(a.githubOptions(tok))
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		ReadFile: func(name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(a.gh.Workspace, filepath.FromSlash(name)))
		},
		Log: a.r,
	}
}

// gate runs the approval gate (see gate.Gate.Decide) in action mode,
// before any engine runs.
func (a *app) gate(ctx context.Context, pol policy.Policy, dirs []string) (gate.Verdict, error) {
	v, err := a.newGate().Decide(ctx, pol, dirs)
	return v, gateError(err)
}

// gateError maps the gate's *gate.Refusal to the commands' refusal: result
// refused, its code as failure-reason, exit 1.
func gateError(err error) error {
	var r *gate.Refusal
	if errors.As(err, &r) {
		return refuse(r.Code, r.Err)
	}
	return err
}

// allowDestroysByLabel is the destroy guard's last chance: in action mode
// the pull request's allow-destroy label (see gate.Gate.AllowDestroys).
func (a *app) allowDestroysByLabel(ctx context.Context, dir, fingerprint string, refused *policy.DestroyRefusedError) error {
	if a.local != nil {
		refused.Label = "lockstep reads it only in GitHub Actions, not when run locally"
		return refuse("destroy-not-allowed", refused)
	}
	return gateError(a.newGate().AllowDestroys(ctx, dir, fingerprint, refused))
}

// reportApprovals tells the log, the approved-by output and later reports
// (the apply report in the job summary and on the pull request) which mode
// gated the apply and who approved.
func (a *app) reportApprovals(v gate.Verdict) error {
	if len(v.Approvals) == 0 {
		return nil
	}
	names := make([]string, len(v.Approvals))
	for i, ap := range v.Approvals {
		names[i] = ap.Login
	}
	a.approvals, a.approvalMode = v.Approvals, v.Mode
	if v.Mode == policy.ModeEnvironment {
		a.r.Printf("Approval (environment mode): %s approved this run for the GitHub environment %q.", strings.Join(names, ", "), a.cfg.Environment)
	}
	return a.r.SetOutput("approved-by", strings.Join(names, ","))
}

// mergedPullRequest is gate.MergedPullRequest, for the deployment record.
func mergedPullRequest(prs []github.PullRequest, sha string) (github.PullRequest, bool) {
	return gate.MergedPullRequest(prs, sha)
}

// pushedPullRequests is the gate's merged pull requests of this push (see
// gate.Gate.PushedPullRequests), for the deployment record.
func (a *app) pushedPullRequests(ctx context.Context, c *github.Client, head github.PullRequest) ([]github.PullRequest, error) {
	batch, err := a.newGate().PushedPullRequests(ctx, c, head)
	return batch, gateError(err)
}
