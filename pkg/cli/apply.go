package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/policy"
	"github.com/lockstep-ci/lockstep/pkg/sealed"
	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// refusal is apply saying no before touching the infrastructure: exit 1,
// result "refused".
type refusal struct {
	reason string
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return &failure{reason: r.reason, err: r.err} }

func refuse(reason string, err error) error { return &refusal{reason: reason, err: err} }

// runApply applies the reviewed saved plan and nothing else. In order, before
// Terraform changes anything: the binding record must match the plan file
// and this run; the environment's policy must allow the plan's deletes and
// replaces (destroy guard), or a valid allow-destroy label on its pull
// request (see checkDestroyLabel);
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
	var r *refusal
	if errors.As(err, &r) {
		_ = a.r.SetOutput("result", "refused")
		_ = a.r.SetOutput("failure-reason", r.reason)
		_ = a.r.Summary(comment.RenderRefusal(a.cfg.Engine, strings.Join(dirs, ", "), a.cfg.Environment, r.err.Error()))
	}
	if err != nil {
		return err
	}
	return a.reportApprovals(proof)
}

// applyOne applies one stack and reports a refusal.
func applyOne(ctx context.Context, a *app, dir string) error {
	err := applyDir(ctx, a, dir)
	var r *refusal
	if errors.As(err, &r) {
		_ = a.r.SetOutput("result", "refused")
		_ = a.r.SetOutput("failure-reason", r.reason)
		_ = a.r.Summary(comment.RenderRefusal(a.cfg.Engine, dir, a.cfg.Environment, r.err.Error()))
	}
	return err
}

func applyDir(ctx context.Context, a *app, dir string) error {
	abs := a.absDir(dir)
	planPath := filepath.Join(abs, filepath.FromSlash(a.cfg.PlanFile))
	eng, id, err := a.stackEngine(ctx, dir)
	if err != nil {
		return err
	}

	// 0. A sealed plan is the one to apply: decrypted over whatever
	// plaintext lies beside it, before the binding check reads it.
	if err := a.unseal(planPath); err != nil {
		return err
	}

	// 1. The binding: exactly the plan that was made for this run.
	record, err := binding.Check(planPath, binding.Run{Commit: a.gh.SHA, Directory: dir, Environment: a.cfg.Environment, Engine: id.Name, EngineVersion: id.Version})
	if err != nil {
		var mm *binding.MismatchError
		var missing *binding.MissingError
		switch {
		case errors.As(err, &mm):
			return refuse("binding-"+mm.Field, err)
		case errors.As(err, &missing):
			return refuse("binding-missing", err)
		}
		return refuse("binding-unreadable", err)
	}

	// 2. Init against the committed lock file (the plan artifact carries no
	// .terraform directory), then read the saved plan: never re-plan.
	cmd := id.Command()
	end := a.r.Group(cmd + " init in " + dir)
	err = eng.Init(ctx, engine.InitOptions{BackendConfig: a.cfg.BackendConfig})
	end()
	if err != nil {
		return fail("init-failed", err)
	}
	saved, err := eng.ReadPlan(ctx, a.cfg.PlanFile)
	if err != nil {
		return refuse("plan-unreadable", err)
	}
	summary := saved.Summary
	a.r.Mask(summary.Secrets...)
	if fp := saved.Fingerprint; record.Fingerprint != "" && fp != record.Fingerprint {
		return refuse("binding-fingerprint", fmt.Errorf("the saved plan's changes (fingerprint %s) are not the ones recorded at plan time (%s): re-run the plan and review it again", short16(fp), short16(record.Fingerprint)))
	}

	// 3. Policy: destroy guard and approval.
	pol, err := a.policy()
	if err != nil {
		return err
	}
	var dangerous []string
	for _, c := range summary.Dangerous() {
		dangerous = append(dangerous, c.Address)
	}
	if err := policy.DestroyGuard(pol, dangerous); err != nil {
		var refused *policy.DestroyRefusedError
		if !errors.As(err, &refused) {
			return refuse("destroy-not-allowed", err)
		}
		if err := a.allowDestroysByLabel(ctx, dir, record.Fingerprint, refused); err != nil {
			return err
		}
	}
	if !record.HasChanges {
		a.r.Printf("The plan has no changes: nothing to apply.")
		return a.finishApply(ctx, dir, &engine.ApplyReport{}, summary)
	}
	if pol.ApprovalRequired && a.local != nil {
		if err := a.approve(summary, record); err != nil {
			return err
		}
	}

	// 4. Apply the saved plan.
	end = a.r.Group(cmd + " apply in " + dir)
	report, applyErr := eng.Apply(ctx, engine.ApplyOptions{PlanFile: a.cfg.PlanFile, LockTimeout: a.cfg.LockTimeout})
	end()
	if errors.Is(applyErr, engine.ErrStalePlan) {
		return refuse("plan-stale", applyErr)
	}
	if applyErr != nil {
		_ = a.r.SetOutput("result", "failed")
		_ = a.r.SetOutput("failure-reason", "apply-failed")
		a.reportApply(ctx, dir, comment.RenderApply(applyMeta(a, dir, record), applyResult(report), firstLine(applyErr.Error(), 500)))
		return fail("apply-failed", fmt.Errorf("%w; infrastructure is not rolled back: the job summary lists what was applied, what failed and what was not reached", applyErr))
	}
	return a.finishApply(ctx, dir, report, summary)
}

// unseal decrypts <plan-file>.age into <plan-file> when it exists. The
// sealed plan always wins over a plaintext one: a plaintext beside it (or,
// with a key set, instead of it) is what someone who can write an artifact
// would plant, since only the key's holder can write a sealed plan that
// opens.
func (a *app) unseal(planPath string) error {
	sealedPath := sealed.Path(planPath)
	key := a.planKey()
	_, err := os.Stat(sealedPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if key == "" {
			return nil
		}
		return refuse("plan-decrypt-failed", fmt.Errorf("%s is set but there is no sealed plan %s to apply (a plaintext plan is never trusted then): "+
			"the plan was made without the key, or its artifact was replaced; pass LOCKSTEP_PLAN_KEY to both the plan and the apply step and run the pipeline again", sealed.KeyEnv, filepath.Base(sealedPath)))
	case err != nil:
		return refuse("plan-decrypt-failed", fmt.Errorf("reading the sealed plan: %w", err))
	}
	if key == "" {
		return refuse("plan-key-missing", fmt.Errorf("the saved plan is sealed (%s) but %s is not set: pass the same secret to the apply step as to plan "+
			"(secrets: LOCKSTEP_PLAN_KEY in the calling workflow; env LOCKSTEP_PLAN_KEY locally)", filepath.Base(sealedPath), sealed.KeyEnv))
	}
	recordPath := binding.Path(planPath)
	if _, err := os.Stat(recordPath); errors.Is(err, os.ErrNotExist) {
		return nil // the binding check refuses the missing record
	}
	if err := sealed.Open(sealedPath, recordPath, planPath, key); err != nil {
		return refuse("plan-decrypt-failed", fmt.Errorf("%w: check that %s is the same secret in plan and apply (an environment secret of that name overrides the repository's in apply) "+
			"and run the pipeline again to plan anew; a sealed plan that does not decrypt with the right key was altered", err, sealed.KeyEnv))
	}
	return nil
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
		if v, err := trace.InfraVersion(ctx, a.gh.Workspace, dir); err == nil {
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
	a.reportApply(ctx, dir, comment.RenderApply(applyMeta(a, dir, record), applyResult(report), ""))
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
		comment.PlainHeadline(summary), short16(record.PlanSHA256), env)
	answer, _ := bufio.NewReader(io.LimitReader(a.env.Stdin, 1024)).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return refuse("approval-declined", errors.New("apply cancelled: approval was not given"))
	}
	return nil
}

func short16(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}
