package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/pipeline"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/policy"
	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// runApply applies the reviewed saved plan and nothing else. In order, before
// Terraform changes anything: the binding record must match the plan file
// and this run; the environment's policy must allow the plan's deletes and
// replaces (destroy guard), or a valid allow-destroy label on its pull
// request (see gate.Gate.AllowDestroys);
// approval must be in place (a GitHub environment with required reviewers,
// or a "yes" at the terminal). Then Terraform applies the saved plan, and
// the report says per resource what was applied, what failed and what was
// never reached. Infrastructure is never rolled back.
//
// Several working directories (or --changed) apply layer by layer in the
// order of the policy file's depends-on; see applyStacks.
func runApply(ctx context.Context, a *app) error {
	dirs, layers, err := a.targetStacks(ctx)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return noStacks(a, "apply")
	}
	if _, err := a.promotion(ctx); err != nil {
		a.reportRefusal(dirs, err)
		return err
	}
	if a.local == nil {
		if err := a.gateApply(ctx, dirs); err != nil {
			return err
		}
	}
	switch len(dirs) {
	case 1:
		return applyOne(ctx, a, dirs[0])
	}
	return applyStacks(ctx, a, dirs, layers)
}

// gateApply runs the gate (see gate) once for every stack and reports a
// refusal, before any Terraform command.
func (a *app) gateApply(ctx context.Context, dirs []string) error {
	pol, err := a.policy()
	if err != nil {
		return err
	}
	proof, err := a.gate(ctx, pol, dirs)
	if err != nil {
		a.reportRefusal(dirs, err)
		return err
	}
	return a.reportApprovals(proof)
}

// reportRefusal reports a refusal of the whole apply (the gate, promotion)
// before any stack ran: outputs and the job summary. Other errors are
// reported by the caller.
func (a *app) reportRefusal(dirs []string, err error) {
	var r *refusal
	if errors.As(err, &r) {
		_ = a.r.SetOutput("result", "refused")
		_ = a.r.SetOutput("failure-reason", r.Reason)
		_ = a.r.Summary(comment.RenderRefusal(a.cfg.Engine, strings.Join(dirs, ", "), a.cfg.Environment, r.Err.Error()))
	}
}

// applyOne applies one stack and reports a refusal.
func applyOne(ctx context.Context, a *app, dir string) error {
	err := applyDir(ctx, a, dir)
	var r *refusal
	if errors.As(err, &r) {
		_ = a.r.SetOutput("result", "refused")
		_ = a.r.SetOutput("failure-reason", r.Reason)
		var done *reported
		if !errors.As(err, &done) {
			_ = a.r.Summary(comment.RenderRefusal(a.cfg.Engine, dir, a.cfg.Environment, r.Err.Error()))
		}
	}
	return err
}

// reported marks an error whose job summary is written already.
type reported struct{ err error }

func (r *reported) Error() string { return r.err.Error() }
func (r *reported) Unwrap() error { return r.err }

// applyDir wires the stack's engine and hooks and runs the pipeline's
// apply (see pipeline.Apply for the order of its checks), then reports.
func applyDir(ctx context.Context, a *app, dir string) error {
	eng, id, err := a.stackEngine(ctx, dir)
	if err != nil {
		return err
	}
	pol, err := a.policy()
	if err != nil {
		return err
	}
	o := pipeline.ApplyOptions{
		PlanFile:      a.cfg.PlanFile,
		BackendConfig: a.cfg.BackendConfig,
		LockTimeout:   a.cfg.LockTimeout,
		Commit:        a.gh.SHA,
		Environment:   a.cfg.Environment,
		SealKey:       a.planKey(),
		Policy:        pol,
		AllowDestroys: func(ctx context.Context, refused *policy.DestroyRefusedError, record binding.Record) error {
			return a.allowDestroysByLabel(ctx, dir, record.Fingerprint, refused)
		},
		RunAttempt: a.runAttempt(),
		Now:        a.env.Now(),
		Redact:     a.r.Masker().Redact,
	}
	// In Actions the gate settled approval before any stack ran; at a
	// terminal the person approves here.
	if pol.ApprovalRequired && a.local != nil {
		o.Approve = a.approve
	}
	planPath := filepath.Join(a.absDir(dir), filepath.FromSlash(a.cfg.PlanFile))
	switch retry := a.retryKind(planPath); retry {
	case retryHere:
		// A terminal run whose last apply of this plan failed part way:
		// plan again from where it stopped, and ask before applying
		// what remains, whatever the environment (nobody reviewed it).
		a.r.Printf("The last apply of %s failed part way: planning it again, so that only what remains is applied (a saved plan is never applied twice).", dir)
		p, err := planDir(ctx, a, dir)
		if err != nil {
			return err
		}
		fmt.Fprint(a.env.Stderr, plainHistory(p.record.History))
		o.Approve = a.approve
	case retryReview:
		return a.retryForReview(ctx, dir)
	}
	applied, err := pipeline.Apply(ctx, a.r, pipeline.Stack{Dir: dir, Root: a.absDir(dir), Engine: eng, Identity: id}, o)
	if applied != nil && applied.Summary != nil {
		// Addresses are names: a sensitive value equal to part of one does
		// not blank it in the apply report (the log is masked as ever).
		a.r.Masker().Keep(applied.Summary.Secrets, comment.Names(applied.Summary))
	}
	if applied != nil && applied.ApplyErr != nil {
		_ = a.r.SetOutput("result", "failed")
		_ = a.r.SetOutput("failure-reason", "apply-failed")
		a.reportApply(ctx, dir, comment.RenderApplyHistory(historyOf(applied.Record.History))+
			comment.RenderApply(applyMeta(a, dir, applied.Record), applyResult(applied.Report), firstLine(applied.ApplyErr.Error(), 500)))
		return err
	}
	if err != nil {
		return err
	}
	return a.finishApply(ctx, dir, applied.Report, applied.Summary)
}

// finishApply reports a successful apply: outputs, the non-sensitive
// Terraform outputs for the app deploy, and the summary.
func (a *app) finishApply(ctx context.Context, dir string, report *engine.ApplyReport, summary *plan.Summary) error {
	outputs := map[string]json.RawMessage{}
	for name, o := range report.Outputs {
		if !o.Sensitive {
			outputs[name] = o.Value
		}
	}
	data, err := json.Marshal(outputs)
	if err != nil {
		return fmt.Errorf("encoding outputs-json: %w", err)
	}
	results := [][2]string{{"result", "success"}, {"outputs-json", string(data)}}
	// The infra version this apply put in place, for deploy to record with
	// the app version.
	infra := a.cfg.InfraVersion
	if infra == "" {
		if v, err := trace.InfraVersion(ctx, a.gh.Workspace, dir, filepath.Base(a.cfg.PlanFile)); err == nil {
			infra = v
		}
	}
	if infra != "" {
		results = append(results, [2]string{"infra-version", infra})
	}
	for _, o := range results {
		if err := a.r.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	record, _ := binding.Read(binding.Path(filepath.Join(a.absDir(dir), filepath.FromSlash(a.cfg.PlanFile))))
	a.reportApply(ctx, dir, comment.RenderApplyHistory(historyOf(record.History))+comment.RenderApply(applyMeta(a, dir, record), applyResult(report), ""))
	return nil
}

// reportApply puts the apply report in the job summary and on the pull
// request the commit came from, beside its plan comment.
func (a *app) reportApply(ctx context.Context, dir, body string) {
	if err := a.r.Summary(body); err != nil {
		a.r.Warnf("writing the job summary: %v", err)
	}
	a.upsertComments(ctx, applyMarker(dir, a.cfg.Environment), applyMarker(dir, a.cfg.Environment)+"\n"+body, true)
}

func applyMeta(a *app, dir string, record binding.Record) comment.Meta {
	return comment.Meta{
		Directory:     dir,
		Environment:   a.cfg.Environment,
		Commit:        a.gh.SHA,
		RunURL:        a.gh.RunURL(),
		Engine:        record.Engine,
		EngineVersion: record.EngineVersion,
		PlanSHA256:    record.PlanSHA256,
		Fingerprint:   record.Fingerprint,
		Now:           a.env.Now(),
		Approvals:     a.approvals,
		ApprovalMode:  a.approvalMode,
	}
}

func applyResult(r *engine.ApplyReport) comment.ApplyResult {
	conv := func(rs []engine.ResourceResult) []comment.ApplyResource {
		out := make([]comment.ApplyResource, len(rs))
		for i, x := range rs {
			out[i] = comment.ApplyResource{Address: x.Address, Action: x.Action, Error: x.Error}
		}
		return out
	}
	return comment.ApplyResult{Applied: conv(r.Applied), Failed: conv(r.Failed), NotReached: conv(r.NotReached), Errors: r.Errors}
}

// approve asks the person at the terminal to approve the apply: they type
// "yes" after reading the summary, or pass --auto-approve. In Actions the
// gate is GitHub's environment approval, checked by gate before Terraform
// runs.
func (a *app) approve(summary *plan.Summary, record binding.Record) error {
	env := a.cfg.Environment
	if a.local.autoApprove {
		a.r.Printf("Approval: --auto-approve given.")
		return nil
	}
	if !a.env.IsTerminal() {
		return refuse("approval-missing", fmt.Errorf("approval is required for %q and there is no terminal to ask: pass --auto-approve to approve non-interactively", env))
	}
	fmt.Fprintf(a.env.Stderr, "\n%s\nApply this plan (sha256 %s) to %q? Only 'yes' will be accepted: ",
		comment.PlainSummary(summary, 30), short16(record.PlanSHA256), env)
	answer, _ := bufio.NewReader(io.LimitReader(a.env.Stdin, 1024)).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return refuse("approval-declined", errors.New("apply cancelled: approval was not given"))
	}
	return nil
}

// short16 is the first 16 characters of a SHA-256 or fingerprint.
func short16(s string) string { return pipeline.Short16(s) }
