package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/trace"
)

// pipelineStage is one step of the local pipeline. run returns a one-line
// detail for the final summary, or a *skippedStage error saying why the stage
// did not run.
type pipelineStage struct {
	name string
	run  func(ctx context.Context) (detail string, err error)
}

// skippedStage marks a stage that did not need to run.
type skippedStage struct{ why string }

func (s *skippedStage) Error() string { return s.why }

// stageResult is how one stage ended, for the final summary.
type stageResult struct {
	name, icon, detail string
	took               time.Duration
}

// runPipeline is `lockstep run`, the local pipeline: validate, plan, apply
// (after approval: a prompt for gated environments, or --auto-approve;
// skipped when the plan changes nothing), deploy, verify, and the history
// entry it made. It calls the same functions as the single commands, prints
// one progress line per stage and a final summary, and stops at the first
// stage that fails, with that stage's exit code.
func runPipeline(ctx context.Context, a *app) error {
	if a.local == nil {
		return &badInput{errors.New(`run is the local pipeline; in a workflow, call lockstep's reusable workflow (.github/workflows/pipeline.yml) or one command per step`)}
	}
	if len(a.cfg.WorkingDirectories) > 1 {
		return oneStack(a, "run")
	}
	var (
		hasChanges bool
		planSHA    string
		applied    bool
		deployed   bool
	)
	hasTarget := a.cfg.DeployCommand != "" || a.cfg.DeployWorkflow != ""
	if hasTarget {
		// Refuse what would only fail at deploy before the infrastructure
		// changes.
		if err := needEnvironment(a, "run (to deploy)"); err != nil {
			return err
		}
		if _, err := deployTarget(a); err != nil {
			return err
		}
	}
	stages := []pipelineStage{
		{"validate", func(ctx context.Context) (string, error) {
			return "formatted and valid", runValidate(ctx, a)
		}},
		{"plan", func(ctx context.Context) (string, error) {
			if err := runPlan(ctx, a); err != nil {
				return "", err
			}
			out := a.r.Outputs()
			hasChanges, planSHA = out["has-changes"] == "true", out["plan-sha256"]
			if !hasChanges {
				return "no changes", nil
			}
			return fmt.Sprintf("%s to add, %s to change, %s to destroy (sha256 %s)", out["add"], out["change"], out["destroy"], short16(planSHA)), nil
		}},
		{"apply", func(ctx context.Context) (string, error) {
			if !hasChanges {
				return "", &skippedStage{"the plan has no changes"}
			}
			if err := runApply(ctx, a); err != nil {
				return "", err
			}
			applied = true
			return "applied the saved plan", nil
		}},
		{"deploy", func(ctx context.Context) (string, error) {
			if !hasTarget {
				return "", &skippedStage{"no --deploy-command given"}
			}
			o := deployOptions{}
			if applied {
				o.PlanSHA256, o.OutputsJSON = planSHA, a.r.Outputs()["outputs-json"]
			}
			if err := deployApp(ctx, a, o); err != nil {
				return "", err
			}
			deployed = true
			out := a.r.Outputs()
			return fmt.Sprintf("%s (deployment %s)", out["deployment-version"], out["deployment-id"]), nil
		}},
		{"verify", func(ctx context.Context) (string, error) {
			if !deployed {
				return "", &skippedStage{"nothing was deployed"}
			}
			if len(a.cfg.SmokeURLs) == 0 {
				return "", &skippedStage{"no --smoke-urls given"}
			}
			if err := runVerify(ctx, a); err != nil {
				return "", err
			}
			what := fmt.Sprintf("%d URL(s) healthy", len(a.cfg.SmokeURLs))
			if a.cfg.Watch > 0 {
				what += ", watched for " + a.cfg.Watch.String()
			}
			return what, nil
		}},
		{"history", func(ctx context.Context) (string, error) {
			if !deployed {
				return "", &skippedStage{"nothing was deployed"}
			}
			entries, where, err := readHistory(ctx, a)
			if err != nil {
				return "", err
			}
			if len(entries) == 0 {
				return "", fmt.Errorf("the deployment just made is missing from %s", where)
			}
			_, _ = a.r.Log().Write([]byte(trace.RenderHistory(entries[:1])))
			e := entries[0]
			return fmt.Sprintf("%s %s, recorded in %s", e.DeploymentVersion, e.Status, where), nil
		}},
	}

	start := a.env.Now()
	var results []stageResult
	var runErr error
	for i, s := range stages {
		a.r.Printf("==> [%d/%d] %s", i+1, len(stages), s.name)
		began := a.env.Now()
		detail, err := s.run(ctx)
		res := stageResult{name: s.name, icon: "✅", detail: detail, took: a.env.Now().Sub(began)}
		var skip *skippedStage
		switch {
		case errors.As(err, &skip):
			res.icon, res.detail = "⏭️", "skipped: "+skip.why
			a.r.Printf("    skipped: %s", skip.why)
		case err != nil:
			res.icon, res.detail = "❌", "failed (exit "+fmt.Sprint(exitCode(err))+")"
			runErr = fmt.Errorf("lockstep run stopped at %s: %w", s.name, err)
		}
		results = append(results, res)
		if runErr != nil {
			for _, rest := range stages[i+1:] {
				results = append(results, stageResult{name: rest.name, icon: "⏭️", detail: "not run"})
			}
			break
		}
	}
	pipelineSummary(a, results, a.env.Now().Sub(start), runErr)
	return runErr
}

// pipelineSummary prints the final summary to the log and appends it to the
// Markdown summary.
func pipelineSummary(a *app, results []stageResult, took time.Duration, runErr error) {
	headline := "✅ lockstep run succeeded"
	if runErr != nil {
		headline = "❌ lockstep run failed"
	}
	took = took.Round(100 * time.Millisecond)
	dv := a.r.Outputs()["deployment-version"]

	var log strings.Builder
	fmt.Fprintf(&log, "==> %s in %s\n", headline, took)
	tw := tabwriter.NewWriter(&log, 0, 0, 2, ' ', 0)
	for _, r := range results {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", r.name, r.icon, r.detail)
	}
	_ = tw.Flush()
	if dv != "" {
		fmt.Fprintf(&log, "    DEPLOYMENT_VERSION=%s\n", dv)
	}
	_, _ = a.r.Log().Write([]byte(log.String()))

	var md strings.Builder
	fmt.Fprintf(&md, "### %s in %s\n\n| stage | | result | took |\n| --- | --- | --- | ---: |\n", headline, took)
	for _, r := range results {
		took := ""
		if r.took > 0 {
			took = r.took.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", r.name, r.icon, comment.EscapeText(r.detail), took)
	}
	if dv != "" {
		fmt.Fprintf(&md, "\n`DEPLOYMENT_VERSION=%s`\n", dv)
	}
	md.WriteString("\n")
	_ = a.r.Summary(md.String())
}

// pipeline reports whether the command line is `lockstep run`, which is no
// action command: config.Load validates its inputs as validate's.
func (f *localFlags) pipeline() bool {
	return f.values["command"].String() == "run"
}
