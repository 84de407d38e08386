package trace

import (
	"context"
	"strconv"
	"time"
)

// Deployment states. They are GitHub's deployment status states, so that the
// file ledger and GitHub Deployments mean the same thing by each.
const (
	StatusInProgress = "in_progress"
	StatusSuccess    = "success"
	StatusFailure    = "failure"
	// StatusInactive marks a deployment that succeeded and was later
	// superseded. GitHub sets it on earlier successful deployments when a newer
	// one succeeds; lockstep never sets it on one that did not succeed, so an
	// inactive deployment counts as good.
	StatusInactive = "inactive"
	// StatusError marks a deployment that was interrupted (canceled) or whose
	// outcome is unknown, as opposed to one whose checks failed.
	StatusError = "error"
)

// Tasks of the deployments lockstep records. Other deployments in the same
// environment (GitHub creates one for every job that names an environment)
// have other tasks and are ignored by LastGood.
const (
	TaskDeploy   = "deploy:app"
	TaskRollback = "rollback:app"
)

// ValidStatus reports whether s is one of the deployment states above.
func ValidStatus(s string) bool {
	switch s {
	case StatusInProgress, StatusSuccess, StatusFailure, StatusInactive, StatusError:
		return true
	}
	return false
}

// Entry is one app deployment in the ledger: which app version went to which
// environment on which infra version, and how it ended.
type Entry struct {
	// ID is assigned by the ledger: the GitHub deployment ID, or a sequence
	// number in the file ledger.
	ID                string `json:"id"`
	Environment       string `json:"environment"`
	AppVersion        string `json:"app_version"`
	InfraVersion      string `json:"infra_version"`
	DeploymentVersion string `json:"deployment_version"`
	PlanSHA256        string `json:"plan_sha256"`
	// Commit is the commit the deployment shipped (its infra and app
	// came from it); empty in entries recorded before it was kept.
	Commit string `json:"commit,omitempty"`
	// Status is the latest state, one of the Status constants.
	Status string `json:"status"`
	// Description is the latest status's description, e.g. which canary step
	// failed.
	Description string `json:"description"`
	// Task is TaskDeploy or TaskRollback.
	Task string `json:"task"`
	// RolledBackFrom is, for a rollback, the app version that failed.
	RolledBackFrom string `json:"rolled_back_from"`
	Actor          string `json:"actor"`
	RunURL         string `json:"run_url"`
	// ApprovedBy are who approved what the deployment ships, and
	// ApprovalMode the gate that proved it ("environment" or
	// "pull-request"); both empty when unknown or not required.
	ApprovedBy   []string `json:"approved_by,omitempty"`
	ApprovalMode string   `json:"approval_mode,omitempty"`
	// InfraOutputs are the names of the stack outputs the app was
	// deployed against (their values are not recorded).
	InfraOutputs []string  `json:"infra_outputs,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Succeeded reports whether the deployment was healthy: its status is
// success, or inactive (superseded after succeeding).
func (e Entry) Succeeded() bool {
	return e.Status == StatusSuccess || e.Status == StatusInactive
}

// IsApp reports whether the entry is an app deployment lockstep recorded.
func (e Entry) IsApp() bool {
	return (e.Task == TaskDeploy || e.Task == TaskRollback) && e.AppVersion != ""
}

// Ledger records app deployments. Both the GitHub Deployments ledger (action
// mode) and FileLedger (CLI mode) implement it, and lockstep treats them
// alike.
//
// An implementation over GitHub Deployments maps:
//   - Record to creating a deployment (environment, task, payload with the
//     versions, plan SHA-256 and run URL) and, when Status is set, its first
//     status; ID is the deployment ID in decimal;
//   - SetStatus to creating a deployment status (state = status);
//   - List to listing the environment's deployments with their latest status,
//     skipping deployments whose task is not TaskDeploy or TaskRollback.
type Ledger interface {
	// Record creates an entry and returns it as stored, with its ID and times
	// set. An empty Status is recorded as StatusInProgress.
	Record(ctx context.Context, e Entry) (Entry, error)
	// SetStatus sets the state and description of the entry with that ID.
	SetStatus(ctx context.Context, id, status, description string) error
	// List returns the environment's entries (every environment's when
	// environment is ""), newest first.
	List(ctx context.Context, environment string) ([]Entry, error)
}

// LastGood returns the newest entry of environment that deployed an app
// version other than excludeApp successfully on infraVersion: the app
// version an app-only rollback returns to. It ignores entries that are not
// app deployments. It does not assume entries are sorted.
func LastGood(entries []Entry, environment, infraVersion, excludeApp string) (Entry, bool) {
	var best Entry
	found := false
	for _, e := range entries {
		if !e.IsApp() || !e.Succeeded() || e.Environment != environment ||
			e.InfraVersion != infraVersion || e.AppVersion == excludeApp {
			continue
		}
		if !found || newer(e, best) {
			best, found = e, true
		}
	}
	return best, found
}

// SucceededOn reports whether appVersion ever deployed successfully to
// environment on infraVersion.
func SucceededOn(entries []Entry, environment, infraVersion, appVersion string) bool {
	for _, e := range entries {
		if e.IsApp() && e.Succeeded() && e.Environment == environment &&
			e.InfraVersion == infraVersion && e.AppVersion == appVersion {
			return true
		}
	}
	return false
}

// newer orders entries by creation time, then by numeric ID (IDs of both
// ledgers grow), then by ID text.
func newer(a, b Entry) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	ai, aerr := strconv.ParseInt(a.ID, 10, 64)
	bi, berr := strconv.ParseInt(b.ID, 10, 64)
	if aerr == nil && berr == nil {
		return ai > bi
	}
	return a.ID > b.ID
}

// Promoted returns the newest app deployment of commit to environment
// and whether it succeeded: what `promote-from` requires before the same
// commit goes to the next environment. found is false when the commit was
// never deployed there.
func Promoted(entries []Entry, environment, commit string) (e Entry, found, ok bool) {
	for _, x := range entries {
		if x.Task != TaskDeploy || x.Environment != environment || x.Commit == "" || x.Commit != commit {
			continue
		}
		if !found || newer(x, e) {
			e, found = x, true
		}
	}
	return e, found, found && e.Succeeded()
}
