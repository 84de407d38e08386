package config

import (
	"encoding/json"
	"fmt"
	"strings"

	gogithub "github.com/google/go-github/v60/github"
)

// Context is the run's GitHub context: who, what and where, read from the
// runner's GITHUB_* variables and the event payload. In CLI mode most fields
// are empty and Local is true.
type Context struct {
	Local bool // no GitHub Actions runner (CLI mode)

	Workspace string // repository root; paths in annotations are relative to it
	Owner     string
	Repo      string
	SHA       string
	Ref       string // refs/heads/main, refs/tags/v1.2.3, refs/pull/7/merge
	RefName   string
	RefType   string // branch or tag
	EventName string
	ServerURL string
	APIURL    string
	Actor     string
	// TriggeringActor started this run attempt (GITHUB_TRIGGERING_ACTOR):
	// on a re-run, who re-ran it, while Actor stays who started the run.
	TriggeringActor string
	RunID           string
	RunAttempt      string
	Workflow        string

	// PullRequest is the pull request number on pull_request and
	// pull_request_target events, else 0.
	PullRequest int
	// HeadSHA is the pull request's head commit on pull request events (the
	// commit reviewers see), else SHA.
	HeadSHA string
	// Before and After are the push range on push events.
	Before, After string
	// DefaultBranch is the payload's repository.default_branch, "" when the
	// event has none (schedule) or there is no payload.
	DefaultBranch string
	// Event is the payload decoded with go-github's typed events
	// (*PullRequestEvent, *PushEvent, ...), nil when there is none or the type
	// is not one go-github knows.
	Event any
}

// RunURL links to the workflow run, or "" outside Actions.
func (c *Context) RunURL() string {
	if c.Local || c.RunID == "" || c.Owner == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s/actions/runs/%s", strings.TrimRight(c.ServerURL, "/"), c.Owner, c.Repo, c.RunID)
}

// IsPullRequest reports whether the run was triggered by a pull request.
func (c *Context) IsPullRequest() bool {
	return c.EventName == "pull_request" || c.EventName == "pull_request_target"
}

// LoadContext reads the runner's contract. readFile reads the event payload
// at GITHUB_EVENT_PATH.
func LoadContext(getenv func(string) string, readFile func(string) ([]byte, error)) (*Context, error) {
	c := &Context{
		Workspace:       getenv("GITHUB_WORKSPACE"),
		SHA:             getenv("GITHUB_SHA"),
		Ref:             getenv("GITHUB_REF"),
		RefName:         getenv("GITHUB_REF_NAME"),
		RefType:         getenv("GITHUB_REF_TYPE"),
		EventName:       getenv("GITHUB_EVENT_NAME"),
		ServerURL:       orDefault(getenv("GITHUB_SERVER_URL"), "https://github.com"),
		APIURL:          orDefault(getenv("GITHUB_API_URL"), "https://api.github.com"),
		Actor:           getenv("GITHUB_ACTOR"),
		TriggeringActor: getenv("GITHUB_TRIGGERING_ACTOR"),
		RunID:           getenv("GITHUB_RUN_ID"),
		RunAttempt:      getenv("GITHUB_RUN_ATTEMPT"),
		Workflow:        getenv("GITHUB_WORKFLOW"),
	}
	if repo := getenv("GITHUB_REPOSITORY"); repo != "" {
		owner, name, ok := strings.Cut(repo, "/")
		if !ok || owner == "" || name == "" {
			return nil, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", repo)
		}
		c.Owner, c.Repo = owner, name
	}
	c.HeadSHA = c.SHA

	path := getenv("GITHUB_EVENT_PATH")
	if path == "" || c.EventName == "" {
		return c, nil
	}
	if gogithub.EventForType(c.EventName) == nil {
		return c, nil // an event go-github does not type; nothing we need is in it
	}
	payload, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the event payload at GITHUB_EVENT_PATH: %w", err)
	}
	event, err := gogithub.ParseWebHook(c.EventName, payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s event payload at GITHUB_EVENT_PATH: %w", c.EventName, err)
	}
	c.Event = event
	var repo struct {
		Repository struct {
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
	}
	if json.Unmarshal(payload, &repo) == nil {
		c.DefaultBranch = repo.Repository.DefaultBranch
	}
	switch e := event.(type) {
	case *gogithub.PullRequestEvent:
		c.PullRequest = e.GetNumber()
		if e.GetPullRequest().GetHead().GetSHA() != "" {
			c.HeadSHA = e.GetPullRequest().GetHead().GetSHA()
		}
	case *gogithub.PullRequestTargetEvent:
		c.PullRequest = e.GetNumber()
		if e.GetPullRequest().GetHead().GetSHA() != "" {
			c.HeadSHA = e.GetPullRequest().GetHead().GetSHA()
		}
	case *gogithub.PushEvent:
		c.Before, c.After = e.GetBefore(), e.GetAfter()
	}
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
