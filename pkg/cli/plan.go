package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/binding"
	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/pipeline"
	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/pkg/policy"
	"github.com/lockstep-ci/lockstep/pkg/version"
)

// planned is one stack's finished plan.
type planned struct {
	dir      string
	summary  *plan.Summary
	text     string // Terraform's human plan text, for the collapsed section
	record   binding.Record
	planFile string // relative to the repository root
	meta     comment.Meta
}

// runPlan plans the working directory, records the binding, and reports the
// summary (job summary or stdout) and outputs. Several working directories
// (or --changed) plan side by side; see planStacks.
func runPlan(ctx context.Context, a *app) error {
	dirs, _, err := a.targetStacks(ctx)
	if err != nil {
		return err
	}
	switch len(dirs) {
	case 0:
		return noStacks(a, "plan")
	case 1:
		return planOne(ctx, a, dirs[0])
	}
	return planStacks(ctx, a, dirs)
}

// planOne plans one stack and reports it: outputs, comment, summary.
func planOne(ctx context.Context, a *app, dir string) error {
	p, err := planDir(ctx, a, dir)
	if err != nil {
		return err
	}
	s := p.summary
	outputs := [][2]string{
		{"has-changes", strconv.FormatBool(p.record.HasChanges)},
		{"add", strconv.Itoa(s.Add)},
		{"change", strconv.Itoa(s.Change)},
		{"destroy", strconv.Itoa(s.Destroy)},
		{"replace", strconv.Itoa(s.Replace)},
		{"plan-sha256", p.record.PlanSHA256},
		{"plan-file", p.planFile},
		{"result", "success"},
	}
	marker := a.planCommentMarker(p.dir)
	// A retry's reviewers first read what the failed attempts left.
	history := comment.RenderHistory(historyOf(p.record.History))
	budget := comment.DefaultCommentBudget - utf8.RuneCountInString(history)
	body := insertAfterMarker(withMarkerLine(comment.Render(s, p.text, p.meta, comment.Options{Marker: true, MaxRunes: budget}), marker), history)
	if url := a.upsertComments(ctx, marker, body, false); url != "" {
		outputs = append(outputs, [2]string{"comment-url", url})
	}
	for _, o := range outputs {
		if err := a.r.SetOutput(o[0], o[1]); err != nil {
			return err
		}
	}
	summary := history + comment.RenderSummary(s, p.text, p.meta)
	// On a push, approvers read this summary: tell them whether it is the
	// change reviewers saw on the pull request.
	if reviewed, pr, ok := a.reviewedFingerprint(ctx, p.dir); ok && p.record.HasChanges {
		summary = fingerprintNote(p.record.Fingerprint, reviewed, pr) + "\n\n" + summary
	}
	if note := a.promotionNote(ctx); note != "" {
		summary = note + "\n" + summary
	}
	return a.r.Summary(summary)
}

// historyOf is the record's failed attempts as the comment shows them.
func historyOf(h []binding.Attempt) []comment.Attempt {
	conv := func(rs []binding.AttemptResource) []comment.ApplyResource {
		out := make([]comment.ApplyResource, len(rs))
		for i, r := range rs {
			out[i] = comment.ApplyResource{Address: r.Address, Action: r.Action, Error: r.Error}
		}
		return out
	}
	out := make([]comment.Attempt, len(h))
	for i, x := range h {
		out[i] = comment.Attempt{Number: x.Number, At: x.At, Applied: conv(x.Applied), Failed: conv(x.Failed), NotReached: conv(x.NotReached), Error: x.Error}
	}
	return out
}

// insertAfterMarker puts text after the body's first line (its marker).
func insertAfterMarker(body, text string) string {
	if text == "" {
		return body
	}
	first, rest, _ := strings.Cut(body, "\n")
	return first + "\n" + text + rest
}

// planDir checks the stack's inputs, wires its engine and runs the
// pipeline's plan (init, plan, summary, masks, binding record), then
// works out what the comment tells reviewers.
func planDir(ctx context.Context, a *app, dir string) (*planned, error) {
	abs := a.absDir(dir)
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, &config.InputError{Input: "working-directory", Value: dir, Problem: "is not a directory in the repository", Flag: a.local != nil}
	}
	for _, vf := range a.cfg.VarFiles {
		if _, err := os.Stat(filepath.Join(abs, filepath.FromSlash(vf))); err != nil {
			return nil, &config.InputError{Input: "var-files", Value: vf, Problem: "does not exist in " + dir + " (paths are relative to the working directory)", Flag: a.local != nil}
		}
	}
	eng, id, err := a.stackEngine(ctx, dir)
	if err != nil {
		return nil, err
	}
	res, err := pipeline.Plan(ctx, a.r, pipeline.Stack{Dir: dir, Root: abs, Engine: eng, Identity: id}, pipeline.PlanOptions{
		PlanFile:        a.cfg.PlanFile,
		VarFiles:        a.cfg.VarFiles,
		BackendConfig:   a.cfg.BackendConfig,
		LockTimeout:     a.cfg.LockTimeout,
		Commit:          a.gh.SHA,
		Environment:     a.cfg.Environment,
		SealKey:         a.planKey(),
		LockstepVersion: version.Version,
		Now:             a.env.Now(),
	})
	if err != nil {
		return nil, err
	}
	pol, err := a.policy()
	if err != nil {
		return nil, err
	}
	summary, record := res.Plan.Summary, res.Record
	// Addresses are names: a sensitive value equal to part of one does not
	// blank it in the comment and summary (the log is masked as ever).
	a.r.Masker().Keep(summary.Secrets, comment.Names(summary))
	destroys := destroyVerdict(pol, summary, a.cfg.ConfigFile)
	return &planned{
		dir:      dir,
		summary:  summary,
		text:     res.Plan.Text,
		record:   record,
		planFile: a.repoPath(dir, a.cfg.PlanFile),
		meta: comment.Meta{
			Directory:       dir,
			Environment:     a.cfg.Environment,
			Commit:          a.gh.HeadSHA,
			RunURL:          a.gh.RunURL(),
			Engine:          id.Name,
			EngineVersion:   id.Version,
			LockstepVersion: version.Version,
			PlanSHA256:      record.PlanSHA256,
			Fingerprint:     record.Fingerprint,
			Next:            nextStep(a, record.HasChanges, destroys),
			Now:             a.env.Now(),
			Destroys:        destroys,
		},
	}, nil
}

// destroyVerdict is what apply will do with the plan's deletes and replaces
// under pol (read from policyFile), before any label: nil when there are
// none.
func destroyVerdict(pol policy.Policy, s *plan.Summary, policyFile string) *comment.DestroyVerdict {
	var dangerous []string
	for _, c := range s.Dangerous() {
		dangerous = append(dangerous, c.Address)
	}
	if len(dangerous) == 0 {
		return nil
	}
	v := &comment.DestroyVerdict{Refused: pol.DestroysRefused(dangerous), Label: policy.AllowDestroyLabel, PolicyFile: policyFile}
	if len(v.Refused) == 0 {
		v.AllowedBy = "allow-destroy in " + policyFile
		if pol.Source[policy.FieldAllowDestroy] == policy.SourceInput {
			v.AllowedBy = "the input allow-destroy"
		}
	}
	return v
}

// nextStep tells reviewers what happens after this plan. It never promises
// an apply that the destroy guard will refuse.
func nextStep(a *app, hasChanges bool, destroys *comment.DestroyVerdict) string {
	env := a.cfg.Environment
	if env == "" {
		env = "the default environment"
	} else {
		env = "**" + comment.EscapeText(env) + "**"
	}
	approval := "without approval"
	if a.cfg.RequireApproval == "true" || (a.cfg.RequireApproval == config.Auto && policy.ProductionLike(a.cfg.Environment)) {
		approval = approvalPhrase(a)
	}
	refused := destroys != nil && len(destroys.Refused) > 0
	switch {
	case !hasChanges:
		return "Nothing to apply: the apply step is skipped and the app still deploys to " + env + "."
	case refused && a.gh.IsPullRequest():
		return "Merging this pull request plans again on the target branch; apply to " + env + " refuses that plan (`destroy-not-allowed`) unless its deletes and replaces are allowed as the warning above says. " +
			"Once they are, it is applied " + approval + ", and the app deploys after the apply succeeds."
	case refused:
		return "Apply to " + env + " refuses this saved plan (`destroy-not-allowed`) unless its deletes and replaces are allowed as the warning above says. " +
			"Once they are, it is applied " + approval + "; the app deploys after the apply succeeds."
	case a.gh.IsPullRequest():
		return "Merging this pull request plans again on the target branch; that plan is applied to " + env + " " + approval + ", and the app deploys after the apply succeeds."
	default:
		return "This exact saved plan (checked by its SHA-256) is applied to " + env + " " + approval + "; the app deploys after the apply succeeds."
	}
}

// approvalPhrase says who must approve in the approval mode the inputs
// and the policy file give (the file is read best effort: a broken one
// fails apply anyway). In auto mode the plan cannot know whether the
// environment has required reviewers, so it names both ways.
func approvalPhrase(a *app) string {
	mode, min := a.cfg.ApprovalMode, a.cfg.MinApprovals
	if pol, err := a.policy(); err == nil {
		mode, min = pol.ApprovalMode, pol.MinApprovals
	}
	reviews := "one approving review"
	if min > 1 {
		reviews = fmt.Sprintf("%d approving reviews", min)
	}
	byPR := reviews + " of this pull request's final commit by writers other than its author, one of them after this plan comment last changed"
	switch mode {
	case policy.ModeEnvironment:
		return "only after one of the environment's required reviewers approves it on the run page"
	case policy.ModePullRequest:
		return "only if the pull request it came from was merged with " + byPR
	}
	return "only after approval: by one of the environment's required reviewers on the run page if it has them, else " + byPR
}
