package github

import (
	"context"
	"fmt"

	gogithub "github.com/google/go-github/v60/github"
)

const (
	artifactsPerPage = 100
	// maxArtifactPages bounds RunArtifacts: a run with more than 10,000
	// artifacts is not one lockstep made.
	maxArtifactPages = 100
)

// Artifact is one artifact of a workflow run.
type Artifact struct {
	ID          int64
	Name        string
	SizeInBytes int64
	Expired     bool
}

// RunArtifacts lists every artifact of the workflow run runID, all pages.
func (c *Client) RunArtifacts(ctx context.Context, runID int64) ([]Artifact, error) {
	var out []Artifact
	opts := &gogithub.ListOptions{PerPage: artifactsPerPage}
	for page := 0; page < maxArtifactPages; page++ {
		var list *gogithub.ArtifactList
		var resp *gogithub.Response
		err := c.do(ctx, fmt.Sprintf("listing the artifacts of workflow run %d", runID), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var err error
			list, resp, err = gh.Actions.ListWorkflowRunArtifacts(ctx, c.owner, c.repo, runID, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, a := range list.Artifacts {
			out = append(out, Artifact{ID: a.GetID(), Name: a.GetName(), SizeInBytes: a.GetSizeInBytes(), Expired: a.GetExpired()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
	return nil, fmt.Errorf("listing the artifacts of workflow run %d: more than %d pages", runID, maxArtifactPages)
}

// DeleteArtifact deletes the artifact id. One that is already gone (404)
// counts as deleted.
func (c *Client) DeleteArtifact(ctx context.Context, id int64) error {
	err := c.do(ctx, fmt.Sprintf("deleting artifact %d", id), idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
		return gh.Actions.DeleteArtifact(ctx, c.owner, c.repo, id)
	})
	if IsNotFound(err) {
		return nil
	}
	return err
}
