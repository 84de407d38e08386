package gate

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/pkg/github"
)

// fakeGitHub is GitHub as plain data: each read answers from its fields,
// a read that fails names itself in err (method name -> error), and every
// call is recorded, so a test can tell that a refusal came before a read.
type fakeGitHub struct {
	env          *github.Environment
	approvals    []github.Approval
	protected    map[string]bool
	branchPols   []github.BranchPolicy
	defaultBr    string
	pulls        map[string][]github.PullRequest // commit -> its pull requests
	reviews      map[int][]github.Review
	perms        map[string]string // login -> permission
	comments     map[int]*github.Comment
	files        map[int][]string
	commits      []string         // of the push range
	prCommits    map[int][]string // a pull request's own commits
	teamMembers  map[string][]string
	hiddenTeams  map[string]bool
	labels       map[int][]string
	labelEvents  map[int]*github.LabelEvent
	collaborator map[string]github.Permission
	err          map[string]error
	calls        []string
}

var _ GitHub = (*fakeGitHub)(nil)

func (f *fakeGitHub) call(name string) error {
	f.calls = append(f.calls, name)
	return f.err[name]
}

func (f *fakeGitHub) called(name string) bool {
	for _, c := range f.calls {
		if c == name {
			return true
		}
	}
	return false
}

func (f *fakeGitHub) Environment(_ context.Context, name string) (*github.Environment, error) {
	if err := f.call("Environment"); err != nil {
		return nil, err
	}
	if f.env == nil {
		return &github.Environment{Name: name}, nil
	}
	return f.env, nil
}

func (f *fakeGitHub) RunApprovals(context.Context, int64) ([]github.Approval, error) {
	return f.approvals, f.call("RunApprovals")
}

func (f *fakeGitHub) BranchProtected(_ context.Context, branch string) (bool, error) {
	return f.protected[branch], f.call("BranchProtected")
}

func (f *fakeGitHub) DeploymentBranchPolicies(context.Context, string) ([]github.BranchPolicy, error) {
	return f.branchPols, f.call("DeploymentBranchPolicies")
}

func (f *fakeGitHub) DefaultBranch(context.Context) (string, error) {
	return f.defaultBr, f.call("DefaultBranch")
}

func (f *fakeGitHub) PullRequestsWithCommit(_ context.Context, sha string) ([]github.PullRequest, error) {
	return f.pulls[sha], f.call("PullRequestsWithCommit")
}

func (f *fakeGitHub) PullRequestReviews(_ context.Context, n int) ([]github.Review, error) {
	return f.reviews[n], f.call("PullRequestReviews")
}

func (f *fakeGitHub) Permission(_ context.Context, login string) (string, error) {
	p := f.perms[login]
	if p == "" {
		p = "none"
	}
	return p, f.call("Permission")
}

func (f *fakeGitHub) FindComment(_ context.Context, pr int, marker string) (*github.Comment, error) {
	if err := f.call("FindComment"); err != nil {
		return nil, err
	}
	c := f.comments[pr]
	if c == nil || !strings.HasPrefix(c.Body, marker) {
		return nil, nil
	}
	return c, nil
}

func (f *fakeGitHub) PullRequestFiles(_ context.Context, pr int) ([]string, error) {
	return f.files[pr], f.call("PullRequestFiles")
}

func (f *fakeGitHub) CommitsBetween(context.Context, string, string, int) ([]string, error) {
	return f.commits, f.call("CommitsBetween")
}

func (f *fakeGitHub) PullRequestCommits(_ context.Context, n int) ([]string, error) {
	return f.prCommits[n], f.call("PullRequestCommits")
}

func (f *fakeGitHub) TeamVisible(_ context.Context, org, team string) (bool, error) {
	return !f.hiddenTeams[org+"/"+team], f.call("TeamVisible")
}

func (f *fakeGitHub) TeamMember(_ context.Context, org, team, login string) (bool, error) {
	if err := f.call("TeamMember"); err != nil {
		return false, err
	}
	for _, m := range f.teamMembers[org+"/"+team] {
		if strings.EqualFold(m, login) {
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeGitHub) PullRequestsForCommit(_ context.Context, sha string) ([]int, error) {
	var out []int
	for _, p := range f.pulls[sha] {
		out = append(out, p.Number)
	}
	return out, f.call("PullRequestsForCommit")
}

func (f *fakeGitHub) IssueLabels(_ context.Context, n int) ([]string, error) {
	return f.labels[n], f.call("IssueLabels")
}

func (f *fakeGitHub) LastLabelEvent(_ context.Context, n int, _ string) (*github.LabelEvent, error) {
	return f.labelEvents[n], f.call("LastLabelEvent")
}

func (f *fakeGitHub) CollaboratorPermission(_ context.Context, login string) (github.Permission, error) {
	if err := f.call("CollaboratorPermission"); err != nil {
		return github.Permission{}, err
	}
	p, ok := f.collaborator[login]
	if !ok {
		return github.Permission{}, fmt.Errorf("reading the repository permission of %s: %w", login, errNotFound)
	}
	return p, nil
}

// errNotFound is GitHub's 404 as go-github reports it.
var errNotFound = &gogithub.ErrorResponse{Response: &http.Response{StatusCode: http.StatusNotFound}, Message: "Not Found"}

// logLines is a Reporter that keeps what the gate said.
type logLines struct{ lines []string }

func (l *logLines) Printf(format string, args ...any) {
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) Warnf(format string, args ...any) {
	l.lines = append(l.lines, "warning: "+fmt.Sprintf(format, args...))
}

func (l *logLines) String() string { return strings.Join(l.lines, "\n") }

// fakeGate is a gate on a push of main to production, reading gh.
func fakeGate(gh *fakeGitHub) (*Gate, *logLines) {
	log := &logLines{}
	return &Gate{
		Environment: "production",
		Run: Run{EventName: "push", Ref: "refs/heads/main", SHA: "merge7", RunID: "42",
			Actor: "pusher", TriggeringActor: "pusher", DefaultBranch: "main"},
		GitHub: func() (GitHub, error) { return gh, nil },
		ReadFile: func(name string) ([]byte, error) {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
		Log: log,
	}, log
}
