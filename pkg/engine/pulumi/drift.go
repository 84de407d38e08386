package pulumi

import (
	"cmp"
	"context"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// driftPlan is Plan for the drift command (PlanOptions.Scratch): `pulumi
// preview --refresh --save-plan <file> --event-log <events>`, one engine
// run that first reads every resource from its provider (a refresh, in
// preview: Pulumi keeps what it read in memory and never writes the state)
// and then previews the program against what it read. The refresh's steps
// (op "refresh" in the events) are the Summary's Drift: a resource the
// provider no longer finds is a delete, one whose outputs differ from the
// state's is an update naming the top-level properties that changed. The
// saved plan gives the Changes, as for any plan, but against the real
// resources: what applying the program would change, drift reverted
// included, as Terraform's refreshing plan does.
//
// `pulumi refresh --preview-only` finds the same drift, but only the drift:
// it would take a second preview, and a second refresh, to get the
// Changes.
func (a *Adapter) driftPlan(ctx context.Context, o engine.PlanOptions) (*engine.Plan, error) {
	args, events, cleanup, err := a.previewArgs(o, "--refresh")
	if err != nil {
		return nil, err
	}
	defer cleanup()

	_, runErr := a.run(ctx, io.Discard, args...)
	evs, evErr := readEvents(events)
	if runErr == nil && evErr == nil {
		runErr = reportedError(evs)
	}
	if runErr != nil {
		return failedPlan(a.stack, failedText(a.stack, evs), runErr, a.configSecrets(ctx, o.VarFiles))
	}
	if evErr != nil {
		return nil, evErr
	}
	p, err := a.ReadPlan(ctx, engine.ReadOptions{PlanFile: o.Out, VarFiles: o.VarFiles})
	if err != nil {
		return nil, err
	}
	refreshed, previewed := splitRefresh(evs)
	enrich(p.Summary, previewed)
	if raw, err := os.ReadFile(a.abs(o.Out)); err == nil {
		p.Summary.Outputs = keepChangedSecrets(p.Summary.Outputs, raw)
	}
	p.Summary.Drift = drift(refreshed)
	p.HasChanges = hasChanges(p.Summary)
	p.Text = previewText(a.stack, p.Summary, previewed)
	return p, nil
}

// splitRefresh separates the refresh's events (steps of op "refresh") from
// the preview's that follow them.
func splitRefresh(evs []event) (refreshed []stepMetadata, previewed []event) {
	for _, ev := range evs {
		switch {
		case ev.ResOutputsEvent != nil && ev.ResOutputsEvent.Metadata.Op == opRefresh:
			refreshed = append(refreshed, ev.ResOutputsEvent.Metadata)
		case ev.ResourcePreEvent != nil && ev.ResourcePreEvent.Metadata.Op == opRefresh:
		default:
			previewed = append(previewed, ev)
		}
	}
	return refreshed, previewed
}

// opRefresh is the op of a refresh's steps (apitype.OpRefresh).
const opRefresh = "refresh"

// drift is what the refresh found changed outside Pulumi, ordered like a
// Summary's changes (deletes first, then by address). Only property names
// are kept, never values. The stack itself and default providers (which
// Pulumi makes, and reads from nothing) are left out.
func drift(refreshed []stepMetadata) []plan.Change {
	var out []plan.Change
	seen := map[string]bool{}
	for _, m := range refreshed {
		addr, typ, name := splitURN(m.URN)
		if seen[addr] || m.Type == stackType || defaultProvider(typ, name) {
			continue
		}
		c := plan.Change{Address: addr, Type: typ, Name: name, Mode: "managed"}
		switch {
		case m.Old == nil:
			// Nothing in the state to compare with.
			continue
		case m.New == nil:
			c.Action = plan.ActionDelete
		default:
			c.ChangedAttributes = changedOutputs(m)
			if len(c.ChangedAttributes) == 0 {
				continue
			}
			c.Action = plan.ActionUpdate
		}
		seen[addr] = true
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y plan.Change) int {
		return cmp.Or(cmp.Compare(actionOrder(x.Action), actionOrder(y.Action)), cmp.Compare(x.Address, y.Address))
	})
	return out
}

// changedOutputs are the top-level properties a refresh found changed:
// those of Pulumi's diff of the step (the provider's detailed diff, when it
// gives one), and every output whose value differs between the state and
// what was read (a provider's diff compares inputs; an output alone may
// have changed). Secrets appear as the same placeholder before and after,
// so a changed secret is seen only through the diff.
func changedOutputs(m stepMetadata) []string {
	names := append(slices.Clone(m.DetailedDiff), m.Diffs...)
	before, after := decodeOutputsMap(m.Old.Outputs), decodeOutputsMap(m.New.Outputs)
	for _, k := range append(slices.Collect(maps.Keys(before)), slices.Collect(maps.Keys(after))...) {
		b, hadB := before[k]
		v, hasA := after[k]
		if hadB != hasA || !reflect.DeepEqual(b, v) {
			names = append(names, k)
		}
	}
	return topLevel(names)
}

// keepChangedSecrets drops from a plan's output changes the secret outputs
// it does not change. The events show a secret output as [secret] before
// and after, so enrich keeps every one as an update; the saved plan's goal
// of the stack names the outputs the update changes (outputDiff), secret or
// not. Without that goal in the plan, every change is kept.
//
// Measured with Pulumi 3.274: a stack with a secret output that changes
// nothing has outputDiff {}; a changed secret config value feeding the
// output puts the output's name under its updates.
func keepChangedSecrets(outs []plan.OutputChange, planFile []byte) []plan.OutputChange {
	dp, err := scanPlan(planFile)
	if err != nil {
		return outs
	}
	return keepChangedSecretsOf(outs, dp)
}

// keepChangedSecretsOf is keepChangedSecrets of a decoded plan.
func keepChangedSecretsOf(outs []plan.OutputChange, dp *deploymentPlan) []plan.OutputChange {
	var changed []string
	found := false
	for _, rp := range dp.ResourcePlans {
		if rp.Goal != nil && rp.Goal.Type == stackType {
			changed, found = rp.Goal.OutputDiff.changedKeys(), true
		}
	}
	if !found {
		return outs
	}
	var kept []plan.OutputChange
	for _, o := range outs {
		if o.Sensitive && o.Action == plan.ActionUpdate && !slices.Contains(changed, o.Name) {
			continue
		}
		kept = append(kept, o)
	}
	return kept
}

// configSecrets are the secret values of the config (varFiles' file, when
// given), or none when they cannot be read (the plan already failed; its
// error says why).
func (a *Adapter) configSecrets(ctx context.Context, varFiles []string) []string {
	configFile, err := stackConfigFile(varFiles)
	if err != nil {
		return nil
	}
	cfg, err := a.run(ctx, nil, withConfigFile(a.stackArgs("config", "--json", "--show-secrets"), configFile)...)
	if err != nil {
		return nil
	}
	secrets, err := collectSecrets(cfg, []byte("{}"))
	if err != nil {
		return nil
	}
	return secrets
}
