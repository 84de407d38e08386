package github

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	gogithub "github.com/google/go-github/v60/github"
)

// Approval states of a workflow run's environment review.
const (
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
)

// Approval is one review of a workflow run's pending deployments: a person
// approved or rejected the jobs waiting on the listed environments.
type Approval struct {
	State        string // ApprovalApproved or ApprovalRejected
	Login        string
	Comment      string
	Environments []string
}

// Covers reports whether the review was for environment env (names match
// in any case, as GitHub's do).
func (a Approval) Covers(env string) bool {
	for _, e := range a.Environments {
		if strings.EqualFold(e, env) {
			return true
		}
	}
	return false
}

type approvalJSON struct {
	State   string `json:"state"`
	Comment string `json:"comment"`
	User    struct {
		Login string `json:"login"`
	} `json:"user"`
	Environments []struct {
		Name string `json:"name"`
	} `json:"environments"`
}

// approvalsPerPage is the page size asked for; GitHub documents no paging
// for this list, but a Link header, when sent, is followed.
const approvalsPerPage = 100

// RunApprovals lists the environment reviews of workflow run runID, oldest
// first, as GitHub returns them (GET /repos/{o}/{r}/actions/runs/{id}/approvals).
func (c *Client) RunApprovals(ctx context.Context, runID int64) ([]Approval, error) {
	what := fmt.Sprintf("listing the approvals of workflow run %d", runID)
	var out []Approval
	for page := 1; page != 0; {
		var raw []approvalJSON
		var next int
		err := c.do(ctx, what, idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			req, err := gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/actions/runs/%d/approvals?per_page=%d&page=%d",
				url.PathEscape(c.owner), url.PathEscape(c.repo), runID, approvalsPerPage, page), nil)
			if err != nil {
				return nil, err
			}
			raw = nil
			resp, err := gh.Do(ctx, req, &raw)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range raw {
			a := Approval{State: r.State, Login: r.User.Login, Comment: r.Comment}
			for _, e := range r.Environments {
				a.Environments = append(a.Environments, e.Name)
			}
			out = append(out, a)
		}
		page = next
	}
	return out, nil
}

// Ref types of a deployment branch policy.
const (
	RefBranch = "branch"
	RefTag    = "tag"
)

// BranchPolicy is one custom deployment branch or tag policy of an
// environment: refs whose name matches Pattern may deploy to it.
type BranchPolicy struct {
	Pattern string
	Type    string // RefBranch or RefTag
}

// Matches reports whether a ref of type refType (RefBranch or RefTag) and
// short name (main, release/1.2, v1.2.3) matches the policy. GitHub's
// patterns are Ruby File.fnmatch patterns: "*" stops at "/", "**" does not.
// An invalid pattern matches nothing.
func (p BranchPolicy) Matches(refType, name string) bool {
	typ := p.Type
	if typ == "" {
		typ = RefBranch // policies made before tags could have one are branch policies
	}
	if typ != refType {
		return false
	}
	ok, err := doublestar.Match(p.Pattern, name)
	return err == nil && ok
}

const branchPoliciesPerPage = 100

// DeploymentBranchPolicies lists environment env's custom deployment
// branch and tag policies.
func (c *Client) DeploymentBranchPolicies(ctx context.Context, env string) ([]BranchPolicy, error) {
	what := fmt.Sprintf("listing the deployment branch policies of environment %q", env)
	var out []BranchPolicy
	for page := 1; page != 0; {
		var raw struct {
			BranchPolicies []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"branch_policies"`
		}
		var next int
		err := c.do(ctx, what, idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			req, err := gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/environments/%s/deployment-branch-policies?per_page=%d&page=%d",
				url.PathEscape(c.owner), url.PathEscape(c.repo), url.PathEscape(env), branchPoliciesPerPage, page), nil)
			if err != nil {
				return nil, err
			}
			raw.BranchPolicies = nil
			resp, err := gh.Do(ctx, req, &raw)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, b := range raw.BranchPolicies {
			out = append(out, BranchPolicy{Pattern: b.Name, Type: b.Type})
		}
		page = next
	}
	return out, nil
}

// BranchProtected reports whether branch has branch protection.
func (c *Client) BranchProtected(ctx context.Context, branch string) (bool, error) {
	var raw struct {
		Protected bool `json:"protected"`
	}
	err := c.do(ctx, fmt.Sprintf("getting branch %q", branch), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		req, err := gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/branches/%s",
			url.PathEscape(c.owner), url.PathEscape(c.repo), url.PathEscape(branch)), nil)
		if err != nil {
			return nil, err
		}
		raw.Protected = false
		return gh.Do(ctx, req, &raw)
	})
	return raw.Protected, err
}

// DefaultBranch returns the repository's default branch.
func (c *Client) DefaultBranch(ctx context.Context) (string, error) {
	var raw struct {
		DefaultBranch string `json:"default_branch"`
	}
	what := "getting the repository's default branch"
	err := c.do(ctx, what, idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		req, err := gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s", url.PathEscape(c.owner), url.PathEscape(c.repo)), nil)
		if err != nil {
			return nil, err
		}
		return gh.Do(ctx, req, &raw)
	})
	if err != nil {
		return "", err
	}
	if raw.DefaultBranch == "" {
		return "", fmt.Errorf("%s: the repository has no default_branch", what)
	}
	return raw.DefaultBranch, nil
}
