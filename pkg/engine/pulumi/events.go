package pulumi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/engine"
	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// event is the part of an engine event (apitype.EngineEvent) lockstep
// reads, one JSON object a line of --event-log. The events show secrets as
// "[secret]".
type event struct {
	DiagnosticEvent *struct {
		URN      string `json:"urn"`
		Message  string `json:"message"`
		Severity string `json:"severity"`
	} `json:"diagnosticEvent"`
	ResourcePreEvent *struct {
		Metadata stepMetadata `json:"metadata"`
	} `json:"resourcePreEvent"`
	ResOutputsEvent *struct {
		Metadata stepMetadata `json:"metadata"`
	} `json:"resOutputsEvent"`
	ResOpFailedEvent *struct {
		Metadata stepMetadata `json:"metadata"`
	} `json:"resOpFailedEvent"`
	SummaryEvent *struct {
		ResourceChanges map[string]int `json:"resourceChanges"`
		Result          string         `json:"result"`
	} `json:"summaryEvent"`
	ErrorEvent *struct {
		Error string `json:"error"`
	} `json:"errorEvent"`
}

// stepMetadata is apitype.StepEventMetadata.
type stepMetadata struct {
	Op           string                     `json:"op"`
	URN          string                     `json:"urn"`
	Type         string                     `json:"type"`
	Old          *stepState                 `json:"old"`
	New          *stepState                 `json:"new"`
	Keys         []string                   `json:"keys"`
	Diffs        []string                   `json:"diffs"`
	DetailedDiff map[string]json.RawMessage `json:"detailedDiff"`
}

// stepState is apitype.StepEventStateMetadata. Its outputs stay undecoded
// but for the stack's (see enrich): most resources' are never read.
type stepState struct {
	Outputs json.RawMessage `json:"outputs"`
}

// readEvents reads an event log. A missing log (pulumi failed before it
// started the engine) is no events.
func readEvents(path string) ([]event, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading pulumi's event log: %w", err)
	}
	defer f.Close()
	var evs []event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			return evs, fmt.Errorf("decoding pulumi's event log: %w", err)
		}
		evs = append(evs, ev)
	}
	if err := sc.Err(); err != nil {
		return evs, fmt.Errorf("reading pulumi's event log: %w", err)
	}
	return evs, nil
}

// colorTags are Pulumi's colour directives (<{%reset%}>), left in event
// messages.
var colorTags = regexp.MustCompile(`<\{%[^%]*%\}>`)

func clean(msg string) string { return strings.TrimSpace(colorTags.ReplaceAllString(msg, "")) }

// errorText is the error diagnostics of a failed preview, for its text.
func errorText(evs []event) string {
	var b strings.Builder
	for _, ev := range evs {
		if d := ev.DiagnosticEvent; d != nil && d.Severity == "error" {
			fmt.Fprintf(&b, "\nerror: %s", clean(d.Message))
		}
	}
	return b.String()
}

// PlanConstraintError is Pulumi refusing an operation the saved plan does
// not allow ("violates plan", "is not allowed by the plan"): the program,
// its config or the state no longer give the reviewed plan.
type PlanConstraintError struct {
	// Messages are Pulumi's own diagnostics.
	Messages []string
	// StateChanged is set when the update changed the state before or
	// despite the refusal (Pulumi writes the stack's outputs even then).
	StateChanged bool
}

func (e *PlanConstraintError) Error() string {
	msg := "pulumi refused to go beyond the reviewed plan (the program, its config or the state changed since the preview): " +
		strings.Join(e.Messages, "; ")
	if e.StateChanged {
		msg += "; the state did change (steps before the refusal, or the stack's outputs)"
	}
	return msg + "; re-run the plan and review it again"
}

// constraintError is the *PlanConstraintError among the events, or nil.
func constraintError(evs []event) *PlanConstraintError {
	var msgs []string
	for _, ev := range evs {
		d := ev.DiagnosticEvent
		if d == nil || d.Severity != "error" {
			continue
		}
		if m := clean(d.Message); strings.Contains(m, "violates plan") || strings.Contains(m, "is not allowed by the plan") {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return &PlanConstraintError{Messages: msgs}
}

// notReached is Pulumi's closing complaint about a planned resource the
// update stopped before: the resource was not reached, it did not fail.
func notReached(msg string) bool {
	return strings.Contains(msg, "expected resource operations for") && strings.Contains(msg, "but none were seen")
}

// applyReport says, for each planned change, whether the update applied
// it (a resOutputsEvent for one of its steps), failed it (a
// resOpFailedEvent, with the resource's error diagnostics) or never
// reached it. Errors not tied to a planned resource are the report's
// Errors.
func applyReport(planned []plan.Change, evs []event) *engine.ApplyReport {
	r := &engine.ApplyReport{}
	done := map[string]bool{}
	failed := map[string]bool{}
	errs := map[string][]string{}
	for _, ev := range evs {
		switch {
		case ev.ResOutputsEvent != nil:
			if m := ev.ResOutputsEvent.Metadata; m.Op != "same" {
				addr, _, _ := splitURN(m.URN)
				done[addr] = true
			}
		case ev.ResOpFailedEvent != nil:
			addr, _, _ := splitURN(ev.ResOpFailedEvent.Metadata.URN)
			failed[addr] = true
		case ev.DiagnosticEvent != nil && ev.DiagnosticEvent.Severity == "error":
			// A resource's error is its failure, also when Pulumi refused
			// the step before starting it (no resOpFailedEvent then).
			d := ev.DiagnosticEvent
			if notReached(d.Message) {
				continue
			}
			addr := ""
			if d.URN != "" {
				addr, _, _ = splitURN(d.URN)
				failed[addr] = true
			}
			errs[addr] = append(errs[addr], clean(d.Message))
		case ev.ErrorEvent != nil:
			errs[""] = append(errs[""], clean(ev.ErrorEvent.Error))
		}
	}
	inPlan := map[string]bool{}
	for _, c := range planned {
		inPlan[c.Address] = true
		res := engine.ResourceResult{Address: c.Address, Action: string(c.Action)}
		r.Planned = append(r.Planned, res)
		switch {
		case failed[c.Address]:
			res.Error = strings.Join(errs[c.Address], "; ")
			r.Failed = append(r.Failed, res)
		case done[c.Address]:
			r.Applied = append(r.Applied, res)
		default:
			r.NotReached = append(r.NotReached, res)
		}
	}
	for addr, msgs := range errs {
		if addr != "" && inPlan[addr] && failed[addr] {
			continue
		}
		for _, m := range msgs {
			if addr != "" && !strings.Contains(m, addr) {
				m = addr + ": " + m
			}
			r.Errors = append(r.Errors, m)
		}
	}
	return r
}
