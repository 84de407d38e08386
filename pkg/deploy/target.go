package deploy

import (
	"context"
	"sort"
	"strconv"
	"strings"
)

// Target deploys an app version. Deploy returns once the deployment has
// finished: nil when it succeeded, else an error saying what failed.
type Target interface {
	Deploy(ctx context.Context, req Request) error
}

// Request is one deployment of an app version onto an infra version.
type Request struct {
	AppVersion        string
	InfraVersion      string
	DeploymentVersion string
	Environment       string
	// Weight is the share of traffic, in percent, the new version gets: 100
	// means all of it.
	Weight int
	// Step and Steps say which step of the rollout this is (1-based) and
	// how many there are: one for a direct deploy or a rollback, one per
	// weight for a canary. Zero means 1 of 1.
	Step, Steps int
	// Outputs are the Terraform root module's non-sensitive outputs, as
	// strings.
	Outputs map[string]string
	// LockstepID identifies the deployment (its ledger ID), so that a
	// dispatched workflow run can be found again.
	LockstepID string
}

// Environment variables a deploy command receives.
const (
	EnvAppVersion        = "LOCKSTEP_APP_VERSION"
	EnvInfraVersion      = "LOCKSTEP_INFRA_VERSION"
	EnvDeploymentVersion = "DEPLOYMENT_VERSION"
	EnvEnvironment       = "LOCKSTEP_ENVIRONMENT"
	EnvCanaryWeight      = "LOCKSTEP_CANARY_WEIGHT"
	EnvCanaryStep        = "LOCKSTEP_CANARY_STEP"
	EnvCanarySteps       = "LOCKSTEP_CANARY_STEPS"
	EnvID                = "LOCKSTEP_ID"
	// EnvOutputPrefix precedes each output's name, see OutputVar.
	EnvOutputPrefix = "LOCKSTEP_OUTPUT_"
)

// Env returns the request as NAME=value environment entries, outputs sorted
// by name. Two outputs whose names map to the same variable (db-url and
// db_url) collide; the one sorting last wins, the same on every run.
func (r Request) Env() []string {
	env := []string{
		EnvAppVersion + "=" + r.AppVersion,
		EnvInfraVersion + "=" + r.InfraVersion,
		EnvDeploymentVersion + "=" + r.DeploymentVersion,
		EnvEnvironment + "=" + r.Environment,
		EnvCanaryWeight + "=" + strconv.Itoa(r.Weight),
		EnvCanaryStep + "=" + strconv.Itoa(max(1, r.Step)),
		EnvCanarySteps + "=" + strconv.Itoa(max(1, r.Steps, r.Step)),
		EnvID + "=" + r.LockstepID,
	}
	names := make([]string, 0, len(r.Outputs))
	for name := range r.Outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		env = append(env, OutputVar(name)+"="+r.Outputs[name])
	}
	return env
}

// OutputVar is the environment variable that carries a Terraform output:
// LOCKSTEP_OUTPUT_ and the name upper-cased, every character other than
// A-Z and 0-9 replaced by "_" (app_url and app-url both give
// LOCKSTEP_OUTPUT_APP_URL).
func OutputVar(name string) string {
	var b strings.Builder
	b.WriteString(EnvOutputPrefix)
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
