// Package tracetest checks that a trace.Ledger keeps the contract lockstep
// relies on, so the GitHub Deployments ledger and the file ledger stay
// interchangeable. Run LedgerContract from each implementation's tests.
package tracetest

import (
	"context"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// LedgerContract runs the ledger contract against fresh, empty ledgers made
// by newLedger. Environments used: "contract-a" and "contract-b".
func LedgerContract(t *testing.T, newLedger func(t *testing.T) trace.Ledger) {
	t.Helper()
	ctx := context.Background()

	t.Run("empty", func(t *testing.T) {
		l := newLedger(t)
		got, err := l.List(ctx, "contract-a")
		if err != nil {
			t.Fatalf("listing an empty ledger: %v", err)
		}
		if len(got) != 0 {
			t.Fatalf("an empty ledger lists %d entries", len(got))
		}
	})

	t.Run("record, set status, list", func(t *testing.T) {
		l := newLedger(t)
		in := trace.Entry{
			Environment:       "contract-a",
			AppVersion:        "v1.0.0",
			InfraVersion:      "abc1234",
			DeploymentVersion: trace.DeploymentVersion("v1.0.0", "abc1234"),
			PlanSHA256:        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Task:              trace.TaskDeploy,
			Actor:             "octocat",
			RunURL:            "https://github.com/o/r/actions/runs/1",
		}
		first, err := l.Record(ctx, in)
		if err != nil {
			t.Fatalf("recording: %v", err)
		}
		if first.ID == "" {
			t.Fatal("Record returned no ID")
		}
		if first.Status != trace.StatusInProgress {
			t.Errorf("a new entry has status %q, want %q", first.Status, trace.StatusInProgress)
		}
		if first.CreatedAt.IsZero() {
			t.Error("Record left CreatedAt zero")
		}
		if err := l.SetStatus(ctx, first.ID, trace.StatusFailure, "canary step 1 of 2 (10%) failed"); err != nil {
			t.Fatalf("setting a status: %v", err)
		}

		rb := in
		rb.AppVersion, rb.Task, rb.RolledBackFrom = "v0.9.0", trace.TaskRollback, "v1.0.0"
		rb.DeploymentVersion = trace.DeploymentVersion("v0.9.0", "abc1234")
		second, err := l.Record(ctx, rb)
		if err != nil {
			t.Fatalf("recording a rollback: %v", err)
		}
		if second.ID == first.ID {
			t.Fatalf("two entries share ID %s", first.ID)
		}
		if err := l.SetStatus(ctx, second.ID, trace.StatusSuccess, "healthy"); err != nil {
			t.Fatalf("setting a status: %v", err)
		}
		other := in
		other.Environment = "contract-b"
		if _, err := l.Record(ctx, other); err != nil {
			t.Fatalf("recording in another environment: %v", err)
		}

		got, err := l.List(ctx, "contract-a")
		if err != nil {
			t.Fatalf("listing: %v", err)
		}
		if len(got) != 2 {
			t.Fatalf("listed %d entries of contract-a, want 2 (another environment's must not appear)", len(got))
		}
		if got[0].ID != second.ID || got[1].ID != first.ID {
			t.Fatalf("listed IDs %s, %s; want newest first: %s, %s", got[0].ID, got[1].ID, second.ID, first.ID)
		}
		check := func(name, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		f, s := got[1], got[0]
		check("Status", f.Status, trace.StatusFailure)
		check("Description", f.Description, "canary step 1 of 2 (10%) failed")
		check("Environment", f.Environment, in.Environment)
		check("AppVersion", f.AppVersion, in.AppVersion)
		check("InfraVersion", f.InfraVersion, in.InfraVersion)
		check("DeploymentVersion", f.DeploymentVersion, in.DeploymentVersion)
		check("PlanSHA256", f.PlanSHA256, in.PlanSHA256)
		check("Task", f.Task, trace.TaskDeploy)
		check("Actor", f.Actor, in.Actor)
		check("RunURL", f.RunURL, in.RunURL)
		check("rollback Status", s.Status, trace.StatusSuccess)
		check("rollback Task", s.Task, trace.TaskRollback)
		check("rollback RolledBackFrom", s.RolledBackFrom, "v1.0.0")

		good, ok := trace.LastGood(got, "contract-a", "abc1234", "v2.0.0")
		if !ok || good.ID != second.ID {
			t.Errorf("LastGood over the listed entries = %+v, %v; want the rollback %s", good, ok, second.ID)
		}
	})

	t.Run("unknown ID", func(t *testing.T) {
		l := newLedger(t)
		if err := l.SetStatus(ctx, "987654321", trace.StatusSuccess, ""); err == nil {
			t.Error("setting the status of an unknown deployment succeeded")
		}
	})
}
