package github

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gogithub "github.com/google/go-github/v60/github"

	"github.com/lockstep-ci/lockstep/pkg/trace"
)

const (
	// MaxStatusDescription is GitHub's limit on a deployment status
	// description, in characters; longer ones are cut to it.
	MaxStatusDescription = 140
	// DefaultMaxLedgerEntries is how many lockstep deployments List reads
	// when LedgerOptions.MaxEntries is 0.
	DefaultMaxLedgerEntries = 1000
	// PayloadSchema is the version of the deployment payload lockstep
	// writes, in its "lockstep" field. Deployments without it are not
	// lockstep's.
	PayloadSchema = 1

	deploymentsPerPage = 100
	// lookupPages bounds the search for a deployment after an ambiguous
	// create: it was created moments ago, so it is near the top.
	lookupPages = 3
)

var fullSHA = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

// LedgerOptions configures a [DeploymentLedger]. Only Ref is required.
type LedgerOptions struct {
	// Ref is what deployments are created for: the commit SHA the run
	// deploys (GITHUB_SHA).
	Ref string
	// ProductionEnvironment is sent as production_environment on every
	// deployment the ledger creates. GitHub's default (true only for an
	// environment named "production") does not apply: it is always sent.
	ProductionEnvironment bool
	// LogURL is the run's URL, shown as each status's log link.
	LogURL string
	// EnvironmentURL, when set, is the deployed app's URL, shown on each
	// status.
	EnvironmentURL string
	// ApprovedBy are the logins who approved this run for the environment,
	// recorded in the payload of every deployment the ledger creates; empty
	// leaves approved_by out.
	ApprovedBy []string
	// ApprovalMode is the gate that proved ApprovedBy ("environment" or
	// "pull-request"), recorded beside it.
	ApprovalMode string
	// MaxEntries bounds how many lockstep deployments List reads, newest
	// first: 0 means DefaultMaxLedgerEntries. Each costs one request for its
	// latest status.
	MaxEntries int
}

// DeploymentLedger is the action-mode [trace.Ledger]: GitHub Deployments of
// the client's repository. An entry is a deployment with task deploy:app or
// rollback:app whose payload carries the versions (see [Client.Ledger]); its
// status is the deployment's latest status.
type DeploymentLedger struct {
	c *Client
	o LedgerOptions
}

var _ trace.Ledger = (*DeploymentLedger)(nil)

// Ledger returns the GitHub Deployments ledger.
//
// Record creates a deployment for o.Ref with auto_merge false and no
// required contexts (so GitHub neither merges nor waits for checks),
// transient_environment false, the environment and task of the entry, the
// deployment version as description and a JSON payload:
//
//	{"lockstep": 1, "lockstep_id": "…", "app_version": "…", "infra_version": "…",
//	 "deployment_version": "…", "plan_sha256": "…", "run_url": "…", "actor": "…",
//	 "rolled_back_from": "…", "approved_by": ["…"]}
//
// then its first status. lockstep_id is random per Record: after an
// ambiguous failure of the create (a 5xx or a dropped connection, after
// which GitHub may have stored it), the ledger looks for a deployment
// carrying it before creating again, so one Record makes one deployment.
func (c *Client) Ledger(o LedgerOptions) *DeploymentLedger {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxLedgerEntries
	}
	return &DeploymentLedger{c: c, o: o}
}

// deploymentPayload is the payload of lockstep's deployments.
type deploymentPayload struct {
	// Lockstep is the payload's schema version, PayloadSchema.
	Lockstep int `json:"lockstep"`
	// LockstepID tells this deployment apart from every other, so that an
	// ambiguous create can be looked for.
	LockstepID        string `json:"lockstep_id"`
	AppVersion        string `json:"app_version"`
	InfraVersion      string `json:"infra_version"`
	DeploymentVersion string `json:"deployment_version"`
	PlanSHA256        string `json:"plan_sha256"`
	RunURL            string `json:"run_url"`
	Actor             string `json:"actor"`
	RolledBackFrom    string `json:"rolled_back_from"`
	// ApprovedBy is who approved the run that recorded the deployment.
	ApprovedBy []string `json:"approved_by,omitempty"`
	// ApprovalMode is the gate that proved ApprovedBy.
	ApprovalMode string `json:"approval_mode,omitempty"`
	// InfraOutputs are the names of the outputs the app ran against.
	InfraOutputs []string `json:"infra_outputs,omitempty"`
}

// parsePayload returns the payload when it is lockstep's.
func parsePayload(raw json.RawMessage) (deploymentPayload, bool) {
	var p deploymentPayload
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return deploymentPayload{}, false // not an object: a string payload, say
	}
	return p, p.Lockstep >= 1 && p.AppVersion != ""
}

// Record creates a deployment and its first status (in_progress when
// e.Status is empty), and returns the entry as stored.
func (l *DeploymentLedger) Record(ctx context.Context, e trace.Entry) (trace.Entry, error) {
	if e.Status == "" {
		e.Status = trace.StatusInProgress
	}
	what := fmt.Sprintf("recording the deployment of app %s to %s", e.AppVersion, e.Environment)
	switch {
	case l.o.Ref == "":
		return trace.Entry{}, fmt.Errorf("%s: no commit SHA to create the deployment for", what)
	case e.Environment == "":
		// GitHub would default to "production".
		return trace.Entry{}, fmt.Errorf("%s: no environment given", what)
	case e.Task != trace.TaskDeploy && e.Task != trace.TaskRollback:
		return trace.Entry{}, fmt.Errorf("%s: task %q is neither %s nor %s, so the ledger would not list it", what, e.Task, trace.TaskDeploy, trace.TaskRollback)
	case e.AppVersion == "":
		return trace.Entry{}, fmt.Errorf("%s: no app version given", what)
	case !trace.ValidStatus(e.Status):
		return trace.Entry{}, fmt.Errorf("%s: %q is not a deployment status", what, e.Status)
	}
	p := deploymentPayload{
		Lockstep: PayloadSchema, LockstepID: newLockstepID(),
		AppVersion: e.AppVersion, InfraVersion: e.InfraVersion, DeploymentVersion: e.DeploymentVersion,
		PlanSHA256: e.PlanSHA256, RunURL: e.RunURL, Actor: e.Actor, RolledBackFrom: e.RolledBackFrom,
		ApprovedBy: l.o.ApprovedBy, ApprovalMode: l.o.ApprovalMode, InfraOutputs: e.InfraOutputs,
	}
	d, err := l.createDeployment(ctx, e, p)
	if err != nil {
		return trace.Entry{}, err
	}
	id := strconv.FormatInt(d.GetID(), 10)
	logURL := l.o.LogURL
	if logURL == "" {
		logURL = e.RunURL
	}
	st, err := l.setStatus(ctx, d.GetID(), e.Status, e.Description, logURL)
	if err != nil {
		return trace.Entry{}, fmt.Errorf("%s: deployment %s was created but its first status was not: %w", what, id, err)
	}
	e.ID = id
	e.Environment = d.GetEnvironment()
	e.Commit = d.GetSHA()
	e.Description = st.GetDescription()
	e.CreatedAt = d.GetCreatedAt().Time.UTC()
	e.UpdatedAt = st.GetCreatedAt().Time.UTC()
	return e, nil
}

// createDeployment creates the deployment, and after an ambiguous failure
// looks for it by its lockstep_id before creating it again.
func (l *DeploymentLedger) createDeployment(ctx context.Context, e trace.Entry, p deploymentPayload) (*gogithub.Deployment, error) {
	c := l.c
	req := &gogithub.DeploymentRequest{
		Ref:                   gogithub.String(l.o.Ref),
		Task:                  gogithub.String(e.Task),
		AutoMerge:             gogithub.Bool(false),
		RequiredContexts:      &[]string{},
		Payload:               p,
		Environment:           gogithub.String(e.Environment),
		Description:           gogithub.String(e.DeploymentVersion),
		TransientEnvironment:  gogithub.Bool(false),
		ProductionEnvironment: gogithub.Bool(l.o.ProductionEnvironment),
	}
	what := fmt.Sprintf("creating a %s deployment of %s to %s", e.Task, l.o.Ref, e.Environment)
	for round := 0; ; round++ {
		var d *gogithub.Deployment
		var accepted *gogithub.AcceptedError
		err := c.do(ctx, what, notIdempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var resp *gogithub.Response
			var err error
			d, resp, err = gh.Repositories.CreateDeployment(ctx, c.owner, c.repo, req)
			if errors.As(err, &accepted) {
				return resp, nil // an answer, not a failure to retry: reported below
			}
			return resp, err
		})
		if err == nil && accepted != nil {
			return nil, fmt.Errorf("%s: GitHub answered 202 Accepted%s instead of creating the deployment "+
				"(it merged the default branch into the ref, although auto_merge was false); rerun once the ref is settled",
				what, acceptedMessage(accepted))
		}
		if err == nil {
			return d, nil
		}
		var amb *ambiguousError
		if !errors.As(err, &amb) || round >= c.maxRetries {
			return nil, err
		}
		wait := c.backoff(round)
		c.logf("%v; checking whether the deployment exists before creating it again in %s", err, wait.Round(time.Millisecond))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		found, err := l.findByLockstepID(ctx, e, p.LockstepID)
		if err != nil {
			return nil, fmt.Errorf("%s: looking for it after an ambiguous failure: %w", what, err)
		}
		if found != nil {
			return found, nil // our create landed despite the error
		}
	}
}

func acceptedMessage(a *gogithub.AcceptedError) string {
	var body struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(a.Raw, &body) == nil && body.Message != "" {
		return fmt.Sprintf(" (%q)", body.Message)
	}
	return ""
}

// findByLockstepID returns the deployment of the ledger's ref, e's
// environment and task whose payload carries id, or nil.
func (l *DeploymentLedger) findByLockstepID(ctx context.Context, e trace.Entry, id string) (*gogithub.Deployment, error) {
	opts := gogithub.DeploymentsListOptions{Environment: e.Environment, Task: e.Task}
	if fullSHA.MatchString(l.o.Ref) {
		opts.SHA = l.o.Ref
	} else {
		opts.Ref = l.o.Ref
	}
	var found *gogithub.Deployment
	_, err := l.c.eachDeployment(ctx, opts, lookupPages*deploymentsPerPage, func(d *gogithub.Deployment) bool {
		if p, ok := parsePayload(d.Payload); ok && p.LockstepID == id {
			found = d
			return false
		}
		return true
	})
	return found, err
}

// eachDeployment calls visit on the deployments opts selects, newest first,
// at most limit of them, until visit returns false. It reports whether it
// stopped at the limit with more left.
func (c *Client) eachDeployment(ctx context.Context, opts gogithub.DeploymentsListOptions, limit int, visit func(*gogithub.Deployment) bool) (truncated bool, err error) {
	opts.ListOptions = gogithub.ListOptions{PerPage: deploymentsPerPage}
	seen := 0
	for page := 1; ; page++ {
		var list []*gogithub.Deployment
		var resp *gogithub.Response
		what := fmt.Sprintf("listing deployments%s (page %d)", describeFilter(opts), page)
		err := c.do(ctx, what, idempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var err error
			list, resp, err = gh.Repositories.ListDeployments(ctx, c.owner, c.repo, &opts)
			return resp, err
		})
		if err != nil {
			return false, err
		}
		for _, d := range list {
			if seen == limit {
				return true, nil
			}
			seen++
			if !visit(d) {
				return false, nil
			}
		}
		if resp.NextPage == 0 {
			return false, nil
		}
		if seen == limit {
			return true, nil
		}
		opts.Page = resp.NextPage
	}
}

func describeFilter(o gogithub.DeploymentsListOptions) string {
	s := ""
	if o.Environment != "" {
		s += " of " + o.Environment
	}
	if o.Task != "" {
		s += " with task " + o.Task
	}
	if o.SHA != "" {
		s += " for " + o.SHA
	}
	if o.Ref != "" {
		s += " for " + o.Ref
	}
	return s
}

// SetStatus creates a deployment status: state status, the description cut
// to GitHub's 140 characters, the ledger's log and environment URLs, and
// auto_inactive only for success (GitHub then marks the environment's
// earlier successful deployments inactive).
func (l *DeploymentLedger) SetStatus(ctx context.Context, id, status, description string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("setting the status of deployment %q: not a GitHub deployment ID", id)
	}
	if !trace.ValidStatus(status) {
		return fmt.Errorf("setting the status of deployment %s: %q is not a deployment status", id, status)
	}
	_, err = l.setStatus(ctx, n, status, description, l.o.LogURL)
	return err
}

// setStatus creates a status. A status is a POST, but what matters is the
// deployment's latest status: after an ambiguous failure it reads the latest
// status and creates the status again only when that is not already it.
func (l *DeploymentLedger) setStatus(ctx context.Context, id int64, status, description, logURL string) (*gogithub.DeploymentStatus, error) {
	c := l.c
	description = truncate(description, MaxStatusDescription)
	req := &gogithub.DeploymentStatusRequest{
		State:        gogithub.String(status),
		Description:  gogithub.String(description),
		AutoInactive: gogithub.Bool(status == trace.StatusSuccess),
	}
	if logURL != "" {
		req.LogURL = gogithub.String(logURL)
	}
	if l.o.EnvironmentURL != "" {
		req.EnvironmentURL = gogithub.String(l.o.EnvironmentURL)
	}
	what := fmt.Sprintf("setting the status of deployment %d to %s", id, status)
	for round := 0; ; round++ {
		var st *gogithub.DeploymentStatus
		err := c.do(ctx, what, notIdempotent, func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var resp *gogithub.Response
			var err error
			st, resp, err = gh.Repositories.CreateDeploymentStatus(ctx, c.owner, c.repo, id, req)
			return resp, err
		})
		if err == nil {
			return st, nil
		}
		var amb *ambiguousError
		if !errors.As(err, &amb) || round >= c.maxRetries {
			return nil, err
		}
		wait := c.backoff(round)
		c.logf("%v; checking the latest status before setting it again in %s", err, wait.Round(time.Millisecond))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		latest, err := c.latestStatus(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("%s: reading the latest status after an ambiguous failure: %w", what, err)
		}
		if latest != nil && latest.GetDescription() == description &&
			(latest.GetState() == status ||
				// GitHub only marks a successful deployment inactive: a newer
				// one succeeded after ours did.
				status == trace.StatusSuccess && latest.GetState() == trace.StatusInactive) {
			return latest, nil
		}
	}
}

// latestStatus returns a deployment's newest status, nil when it has none.
func (c *Client) latestStatus(ctx context.Context, id int64) (*gogithub.DeploymentStatus, error) {
	var list []*gogithub.DeploymentStatus
	err := c.do(ctx, fmt.Sprintf("reading the latest status of deployment %d", id), idempotent,
		func(ctx context.Context, gh *gogithub.Client) (*gogithub.Response, error) {
			var resp *gogithub.Response
			var err error
			// Statuses come newest first.
			list, resp, err = gh.Repositories.ListDeploymentStatuses(ctx, c.owner, c.repo, id, &gogithub.ListOptions{PerPage: 1})
			return resp, err
		})
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// List returns the environment's lockstep deployments (every environment's
// when environment is ""), newest first, each with its latest status. It
// reads deployments with task deploy:app and rollback:app whose payload is
// lockstep's, skipping the ones GitHub creates for jobs that name an
// environment (task "deploy"). It reads at most LedgerOptions.MaxEntries of
// them, the newest, and logs when older ones were left out.
//
// GitHub's states map onto the ledger's: queued and pending are in_progress;
// a deployment without any status (its Record failed half way) is error.
func (l *DeploymentLedger) List(ctx context.Context, environment string) ([]trace.Entry, error) {
	c := l.c
	type found struct {
		d *gogithub.Deployment
		p deploymentPayload
	}
	var all []found
	truncated := false
	for _, task := range []string{trace.TaskDeploy, trace.TaskRollback} {
		more, err := c.eachDeployment(ctx, gogithub.DeploymentsListOptions{Environment: environment, Task: task}, l.o.MaxEntries,
			func(d *gogithub.Deployment) bool {
				if p, ok := parsePayload(d.Payload); ok && d.GetTask() == task &&
					(environment == "" || strings.EqualFold(d.GetEnvironment(), environment)) {
					all = append(all, found{d, p})
				}
				return true
			})
		if err != nil {
			return nil, fmt.Errorf("reading the deployment ledger%s: %w", inEnvironment(environment), err)
		}
		truncated = truncated || more
	}
	sort.SliceStable(all, func(i, j int) bool { return newerDeployment(all[i].d, all[j].d) })
	if len(all) > l.o.MaxEntries {
		all, truncated = all[:l.o.MaxEntries], true
	}
	if truncated {
		c.logf("reading the deployment ledger%s: only the newest %d lockstep deployments were read; older ones are ignored",
			inEnvironment(environment), l.o.MaxEntries)
	}

	out := make([]trace.Entry, 0, len(all))
	for _, f := range all {
		st, err := c.latestStatus(ctx, f.d.GetID())
		if err != nil {
			return nil, fmt.Errorf("reading the deployment ledger%s: %w", inEnvironment(environment), err)
		}
		out = append(out, toEntry(f.d, f.p, st))
	}
	return out, nil
}

func toEntry(d *gogithub.Deployment, p deploymentPayload, st *gogithub.DeploymentStatus) trace.Entry {
	e := trace.Entry{
		ID:                strconv.FormatInt(d.GetID(), 10),
		Environment:       d.GetEnvironment(),
		AppVersion:        p.AppVersion,
		InfraVersion:      p.InfraVersion,
		DeploymentVersion: p.DeploymentVersion,
		PlanSHA256:        p.PlanSHA256,
		Commit:            d.GetSHA(),
		Task:              d.GetTask(),
		RolledBackFrom:    p.RolledBackFrom,
		Actor:             p.Actor,
		RunURL:            p.RunURL,
		ApprovedBy:        p.ApprovedBy,
		ApprovalMode:      p.ApprovalMode,
		InfraOutputs:      p.InfraOutputs,
		CreatedAt:         d.GetCreatedAt().Time.UTC(),
		UpdatedAt:         d.GetUpdatedAt().Time.UTC(),
	}
	if e.Actor == "" {
		e.Actor = d.GetCreator().GetLogin()
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.CreatedAt
	}
	if st == nil {
		e.Status, e.Description = trace.StatusError, "no deployment status was recorded"
		return e
	}
	e.Status, e.Description = ledgerStatus(st.GetState()), st.GetDescription()
	e.UpdatedAt = st.GetCreatedAt().Time.UTC()
	return e
}

// ledgerStatus maps a GitHub deployment state onto the ledger's.
func ledgerStatus(state string) string {
	switch {
	case trace.ValidStatus(state):
		return state
	case state == "queued" || state == "pending":
		return trace.StatusInProgress
	}
	return trace.StatusError
}

// newerDeployment orders deployments by creation time, then ID (GitHub's IDs
// grow).
func newerDeployment(a, b *gogithub.Deployment) bool {
	ta, tb := a.GetCreatedAt().Time, b.GetCreatedAt().Time
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetID() > b.GetID()
}

func inEnvironment(env string) string {
	if env == "" {
		return ""
	}
	return " of " + env
}

// newLockstepID is a random identifier for one Record.
func newLockstepID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}

// truncate cuts s to at most n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
