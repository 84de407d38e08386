package cli

import (
	"context"
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/childenv"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
	"github.com/lockstep-ci/lockstep/pkg/sealed"
)

// app is one loaded run: configuration, GitHub context and reporter. Commands
// take it and wire the concrete adapters they need; this package is the only
// place that does.
type app struct {
	env   Env
	cfg   *config.Config
	gh    *config.Context
	r     *actions.Reporter
	local *localFlags // nil in action mode
	// approvals are the reviews that approved this apply (action mode),
	// for its reports.
	approvals []comment.Approval
	// approvalMode is the mode that gated the apply (see gate.Verdict).
	approvalMode string

	// identity is the comment author resolved from the token, shared by
	// every GitHub client of the run (stacks included): GET /user is asked
	// once. nil means each client asks for itself.
	identity *github.Identity
}

// absDir resolves a working directory against the repository root.
func (a *app) absDir(dir string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(a.gh.Workspace, filepath.FromSlash(dir))
}

// repoPath turns a file inside a working directory into a path relative to
// the repository root, which is where annotations must point to land on the
// pull request's files.
func (a *app) repoPath(dir, file string) string {
	if filepath.IsAbs(file) {
		if rel, err := filepath.Rel(a.gh.Workspace, file); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
		return filepath.ToSlash(file)
	}
	if filepath.IsAbs(dir) {
		return a.repoPath("", filepath.Join(dir, file))
	}
	return path.Clean(path.Join(filepath.ToSlash(dir), filepath.ToSlash(file)))
}

// planKey returns the passphrase that seals saved plans (LOCKSTEP_PLAN_KEY),
// or "" without one. It is masked before anything can print it.
func (a *app) planKey() string {
	key := a.env.Getenv(sealed.KeyEnv)
	if key != "" {
		a.r.Mask(key)
	}
	return key
}

// gitHead returns the commit checked out in dir, or "" outside a git
// repository.
func gitHead(ctx context.Context, dir string) string {
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "HEAD")
	cmd.Dir = dir
	cmd.Env = childenv.Environ()
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// short returns the 7-character form of a commit SHA.
func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// policy resolves the environment's policy: .lockstep.yml (when present),
// overridden by the inputs the user gave.
func (a *app) policy() (policy.Policy, error) {
	path := a.cfg.ConfigFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(a.gh.Workspace, filepath.FromSlash(path))
	}
	f, err := policy.Load(path)
	if err != nil {
		return policy.Policy{}, &badInput{fmt.Errorf("input %q: %w", "config", err)}
	}
	o := policy.Overrides{RequireApproval: a.cfg.RequireApproval, Strategy: a.cfg.Strategy}
	if a.cfg.Set["allow-destroy"] {
		o.AllowDestroy = &a.cfg.AllowDestroy
	}
	if a.cfg.Set["approval-mode"] {
		o.ApprovalMode = a.cfg.ApprovalMode
	}
	if a.cfg.Set["min-approvals"] {
		o.MinApprovals = a.cfg.MinApprovals
	}
	if a.cfg.Set["canary-steps"] {
		o.CanarySteps = a.cfg.CanarySteps
	}
	return policy.Resolve(f, a.cfg.Environment, o), nil
}

// github returns the GitHub API client for this run's repository.
func (a *app) github() (*github.Client, error) {
	if a.gh.Owner == "" {
		return nil, fmt.Errorf("GITHUB_REPOSITORY is not set")
	}
	if a.cfg.GitHubToken == "" {
		return nil, fmt.Errorf("input %q is empty", "github-token")
	}
	o := a.githubOptions(a.cfg.GitHubToken)
	// A re-run of the same plan differs only in the comment's footer:
	// leave the comment alone then.
	o.SameComment = comment.SameContent
	// Only comments by this login are lockstep's; "" asks the token.
	o.CommentAuthor = a.cfg.CommentAuthor
	o.Identity = a.identity
	return github.New(o)
}

// githubOptions are a client's options for this run's repository with
// token: the run's API URL, clock and log, every request body redacted.
func (a *app) githubOptions(token string) github.Options {
	return github.Options{
		Token:      token,
		APIURL:     a.gh.APIURL,
		Owner:      a.gh.Owner,
		Repo:       a.gh.Repo,
		HTTPClient: redactingClient(a.env.HTTPClient, a.r.Masker().RedactRendered),
		Now:        a.env.Now,
		Logf:       func(format string, args ...any) { a.r.Printf(format, args...) },
	}
}
