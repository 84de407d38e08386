package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/github"
)

// runCleanup deletes this run's plan artifacts once apply is done with them:
// every artifact of GITHUB_RUN_ID named <artifact-prefix>-apply or
// <artifact-prefix>-plan-*, the names pipeline.yml gives the per-stack
// uploads and the apply bundle. Saved plans hold secrets (or, sealed, what
// a leaked key would open); anyone who can read the repository can download
// a run's artifacts until they expire. Only this run's artifacts are listed,
// and only names with this call's prefix are touched, so another call of the
// workflow in the same run, or another run, keeps its own.
func runCleanup(ctx context.Context, a *app) error {
	prefix := a.cfg.ArtifactPrefix
	if prefix == "" {
		return &badInput{&config.InputError{Input: "artifact-prefix", Problem: "is required by cleanup: the prefix of the plan artifacts to delete (pipeline.yml's detect job computes it)", Flag: a.local != nil}}
	}
	if a.local != nil || a.gh.RunID == "" {
		return &badInput{errors.New("cleanup deletes the artifacts of a GitHub Actions run: it needs GITHUB_RUN_ID and runs only in Actions")}
	}
	runID, err := strconv.ParseInt(a.gh.RunID, 10, 64)
	if err != nil {
		return &badInput{fmt.Errorf("GITHUB_RUN_ID %q is not a run ID", a.gh.RunID)}
	}
	gh, err := a.github()
	if err != nil {
		return fail("cleanup-failed", fmt.Errorf("deleting the plan artifacts of run %d: %w", runID, err))
	}
	artifacts, err := gh.RunArtifacts(ctx, runID)
	if err != nil {
		return fail("cleanup-failed", permissionHint(err))
	}
	var deleted []string
	var errs []error
	for _, art := range artifacts {
		if !isPlanArtifact(art.Name, prefix) {
			continue
		}
		if err := gh.DeleteArtifact(ctx, art.ID); err != nil {
			errs = append(errs, permissionHint(err))
			continue
		}
		deleted = append(deleted, art.Name)
	}
	for _, name := range deleted {
		a.r.Printf("Deleted the plan artifact %s.", name)
	}
	if len(deleted) == 0 && len(errs) == 0 {
		a.r.Printf("No plan artifacts named %s-plan-* or %s-apply in run %d: nothing to delete.", prefix, prefix, runID)
	}
	if err := errors.Join(errs...); err != nil {
		return fail("cleanup-failed", fmt.Errorf("deleting the plan artifacts of run %d (they expire after retention-days; delete them on the run page): %w", runID, err))
	}
	// No result output on success: cleanup runs after apply in the same job,
	// and the job's result is apply's.
	return nil
}

// isPlanArtifact reports whether name is one of the plan artifacts of the
// workflow call whose artifacts carry prefix.
func isPlanArtifact(name, prefix string) bool {
	return name == prefix+"-apply" || strings.HasPrefix(name, prefix+"-plan-")
}

// permissionHint adds what to grant when GitHub refused for lack of it.
func permissionHint(err error) error {
	if github.StatusCode(err) == http.StatusForbidden {
		return fmt.Errorf("%w (the job needs permissions: actions: write)", err)
	}
	return err
}
