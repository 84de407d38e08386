package github

import (
	"context"
	"fmt"
	"net/url"

	gogithub "github.com/google/go-github/v60/github"
)

// Environment is what lockstep needs to know about a deployment environment.
type Environment struct {
	Name string
	// Exists is false when GitHub has no environment of that name.
	Exists bool
	// RequiredReviewers counts the users and teams of its
	// required_reviewers protection rules; 0 means nobody must approve.
	RequiredReviewers int
	// CanAdminsBypass: administrators may deploy without an approval.
	CanAdminsBypass bool
	// PreventSelfReview: whoever triggered the run may not approve it.
	PreventSelfReview bool
	// BranchPolicy is the deployment branch policy; nil means any branch
	// or tag may deploy.
	BranchPolicy *DeploymentBranchPolicy
}

// DeploymentBranchPolicy says which refs may deploy to an environment:
// protected branches only, or the refs matching its custom policies (see
// [Client.DeploymentBranchPolicies]). GitHub sets exactly one of the two.
type DeploymentBranchPolicy struct {
	ProtectedBranches    bool
	CustomBranchPolicies bool
}

// environmentJSON is the part of GitHub's environment object read here.
// Reviewers are not decoded: go-github's RequiredReviewer decoder
// dereferences a missing "type" and would crash on an unexpected shape,
// while only their number matters.
type environmentJSON struct {
	Name            string `json:"name"`
	CanAdminsBypass *bool  `json:"can_admins_bypass"`
	ProtectionRules []struct {
		Type              string           `json:"type"`
		PreventSelfReview bool             `json:"prevent_self_review"`
		Reviewers         []map[string]any `json:"reviewers"`
	} `json:"protection_rules"`
	DeploymentBranchPolicy *struct {
		ProtectedBranches    bool `json:"protected_branches"`
		CustomBranchPolicies bool `json:"custom_branch_policies"`
	} `json:"deployment_branch_policy"`
}

// Environment fetches environment name. An unknown environment is not an
// error: it comes back with Exists false. A token that may not read
// environments gets an error for which [IsPermission] is true; callers that
// enforce approval should fail closed on it.
func (c *Client) Environment(ctx context.Context, name string) (*Environment, error) {
	var raw environmentJSON
	what := fmt.Sprintf("getting environment %q", name)
	err := c.do(ctx, what, idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		// go-github v60 does not escape the name ("prod/eu" must be "prod%2Feu").
		req, err := gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/environments/%s",
			url.PathEscape(c.owner), url.PathEscape(c.repo), url.PathEscape(name)), nil)
		if err != nil {
			return nil, err
		}
		raw = environmentJSON{}
		return gh.Do(ctx, req, &raw)
	})
	if IsNotFound(err) {
		return &Environment{Name: name}, nil
	}
	if err != nil {
		return nil, err
	}
	env := &Environment{Name: raw.Name, Exists: true, CanAdminsBypass: raw.CanAdminsBypass == nil || *raw.CanAdminsBypass}
	if env.Name == "" {
		env.Name = name
	}
	if bp := raw.DeploymentBranchPolicy; bp != nil {
		env.BranchPolicy = &DeploymentBranchPolicy{ProtectedBranches: bp.ProtectedBranches, CustomBranchPolicies: bp.CustomBranchPolicies}
	}
	for _, r := range raw.ProtectionRules {
		if r.Type == "required_reviewers" {
			env.RequiredReviewers += len(r.Reviewers)
			env.PreventSelfReview = env.PreventSelfReview || r.PreventSelfReview
		}
	}
	return env, nil
}
