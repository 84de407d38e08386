package pulumi

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// maxCreatedInputs is how many inputs of a created resource the text
// lists; the rest are counted.
const maxCreatedInputs = 20

// previewText is the human text of a plan, written by lockstep from the
// preview's events (the preview itself runs with --json, whose display
// costs less than --diff's: see test/bench/README.md): one block per
// change in the Summary's order, its inputs before and after as the events
// show them (secrets as [secret], unknowns as (known after apply)), then
// the stack's output changes, the preview's warnings and errors, and the
// counts. Lines start with Pulumi's own symbols (+ create, ~ update,
// +- replace, - delete), which the comment's diff block colours.
func previewText(stack string, s *plan.Summary, evs []event) string {
	olds, news := inputsByAddress(evs)
	var b strings.Builder
	fmt.Fprintf(&b, "Pulumi preview of stack %s\n\n", stack)
	for _, c := range s.Changes {
		symbol, verb := changeSymbol(c.Action)
		fmt.Fprintf(&b, "%s %s (%s)\n", symbol, c.Address, verb)
		// A replace's reasons not among its changed inputs (an output the
		// provider says forces it) get a line of their own.
		if other := slices.DeleteFunc(slices.Clone(c.ReplacePaths), func(p string) bool { return slices.Contains(c.ChangedAttributes, p) }); c.Action == plan.ActionReplace && len(other) > 0 {
			fmt.Fprintf(&b, "    replaced because of: %s\n", strings.Join(other, ", "))
		}
		before, after := olds[c.Address], news[c.Address]
		switch c.Action {
		case plan.ActionCreate:
			names := slices.Sorted(maps.Keys(after))
			for i, name := range names {
				if i == maxCreatedInputs {
					fmt.Fprintf(&b, "    … %d more inputs\n", len(names)-i)
					break
				}
				fmt.Fprintf(&b, "    + %s: %s\n", name, renderValue(after[name]))
			}
		case plan.ActionUpdate, plan.ActionReplace:
			for _, name := range c.ChangedAttributes {
				bv, hadB := before[name]
				av, hasA := after[name]
				var line string
				switch {
				case hadB && hasA:
					line = fmt.Sprintf("    ~ %s: %s => %s", name, renderValue(bv), renderValue(av))
				case hasA:
					line = fmt.Sprintf("    + %s: %s", name, renderValue(av))
				case hadB:
					line = fmt.Sprintf("    - %s: %s", name, renderValue(bv))
				default:
					line = "    ~ " + name
				}
				if slices.Contains(c.ReplacePaths, name) {
					line += " (forces replacement)"
				}
				b.WriteString(line + "\n")
			}
		}
	}
	if len(s.Drift) > 0 {
		b.WriteString("\nChanged outside Pulumi (found by the refresh):\n")
		for _, d := range s.Drift {
			symbol, verb := changeSymbol(d.Action)
			line := fmt.Sprintf("  %s %s (%s)", symbol, d.Address, verb)
			if len(d.ChangedAttributes) > 0 {
				line += ": " + strings.Join(d.ChangedAttributes, ", ")
			}
			b.WriteString(line + "\n")
		}
	}
	if len(s.Outputs) > 0 {
		b.WriteString("\nOutputs:\n")
		for _, o := range s.Outputs {
			symbol, _ := changeSymbol(o.Action)
			switch o.Action {
			case plan.ActionCreate:
				fmt.Fprintf(&b, "  %s %s: %s\n", symbol, o.Name, o.After)
			case plan.ActionDelete:
				fmt.Fprintf(&b, "  %s %s: %s\n", symbol, o.Name, o.Before)
			default:
				fmt.Fprintf(&b, "  %s %s: %s => %s\n", symbol, o.Name, o.Before, o.After)
			}
		}
	}
	if d := diagnosticsText(evs); d != "" {
		b.WriteString("\nDiagnostics:\n" + d)
	}
	fmt.Fprintf(&b, "\nResources: %d to create, %d to update, %d to replace, %d to delete\n",
		s.Add-s.Replace, s.Change, s.Replace, s.Destroy-s.Replace)
	return b.String()
}

// failedText is the text of a failed preview: its warnings and errors.
func failedText(stack string, evs []event) string {
	return "Pulumi preview of stack " + stack + " failed\n" + diagnosticsText(evs)
}

// changeSymbol is Pulumi's symbol and word for an action.
func changeSymbol(a plan.Action) (symbol, verb string) {
	switch a {
	case plan.ActionCreate:
		return "+", "create"
	case plan.ActionDelete:
		return "-", "delete"
	case plan.ActionReplace:
		return "+-", "replace"
	case plan.ActionUpdate:
		return "~", "update"
	}
	return "~", string(a)
}

// inputsByAddress are the old and new inputs of every resource a step
// changes, by address, decoded. Of a replace's steps, the first to carry a
// state gives it.
func inputsByAddress(evs []event) (olds, news map[string]map[string]any) {
	olds, news = map[string]map[string]any{}, map[string]map[string]any{}
	keep := func(into map[string]map[string]any, addr string, st *stepState) {
		if st == nil || len(st.Inputs) == 0 {
			return
		}
		if _, ok := into[addr]; ok {
			return
		}
		var m map[string]any
		if json.Unmarshal(st.Inputs, &m) == nil {
			into[addr] = m
		}
	}
	for _, ev := range evs {
		if ev.ResourcePreEvent == nil {
			continue
		}
		m := ev.ResourcePreEvent.Metadata
		addr, _, _ := splitURN(m.URN)
		keep(olds, addr, m.Old)
		keep(news, addr, m.New)
	}
	return olds, news
}

// diagnosticsText is the preview's warnings and errors, one a line, in
// the order Pulumi reported them, each once.
func diagnosticsText(evs []event) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, ev := range evs {
		d := ev.DiagnosticEvent
		if d == nil || d.Severity != "warning" && d.Severity != "error" {
			continue
		}
		line := d.Severity + ": " + clean(d.Message)
		if d.URN != "" {
			addr, _, _ := splitURN(d.URN)
			line = d.Severity + ": " + addr + ": " + clean(d.Message)
		}
		if seen[line] {
			continue
		}
		seen[line] = true
		b.WriteString("  " + strings.ReplaceAll(line, "\n", "\n    ") + "\n")
	}
	return b.String()
}
