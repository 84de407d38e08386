package pulumi

import (
	"bufio"
	"bytes"
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
	DiagnosticEvent  *diagnosticEvent
	ResourcePreEvent *stepEvent
	ResOutputsEvent  *stepEvent
	ResOpFailedEvent *stepEvent
	SummaryEvent     *struct {
		ResourceChanges map[string]int `json:"resourceChanges"`
		Result          string         `json:"result"`
	}
	ErrorEvent *struct {
		Error string `json:"error"`
	}
}

// diagnosticEvent is the part of apitype.DiagnosticEvent lockstep reads.
type diagnosticEvent struct {
	URN      string
	Message  string
	Severity string
}

// stepEvent is a resourcePreEvent, resOutputsEvent or resOpFailedEvent.
type stepEvent struct {
	Metadata stepMetadata
}

// stepMetadata is the part of apitype.StepEventMetadata lockstep reads.
type stepMetadata struct {
	Op   string
	URN  string
	Type string
	// Old and New hold outputs only for the stack's root resource (see
	// enrich) and for a refresh's steps (see drift): other resources'
	// states are stepped over, never decoded.
	Old, New *stepState
	Keys     []string
	Diffs    []string
	// DetailedDiff is the property paths of the detailed diff, without
	// their kinds.
	DetailedDiff []string
}

// stepState is apitype.StepEventStateMetadata's inputs and outputs,
// undecoded.
type stepState struct {
	// Inputs are kept for the steps that change a resource, for the
	// preview's text (see previewText).
	Inputs  json.RawMessage
	Outputs json.RawMessage
}

// UnmarshalJSON decodes one event: the members lockstep reads, the rest
// validated and stepped over.
func (ev *event) UnmarshalJSON(b []byte) error {
	s := &scanner{b: b}
	if err := ev.scan(s); err != nil {
		return err
	}
	return s.end()
}

func (ev *event) scan(s *scanner) error {
	*ev = event{}
	return s.object(func(name string) error {
		switch name {
		case "resourcePreEvent":
			return scanStep(s, &ev.ResourcePreEvent, true)
		case "resOutputsEvent":
			return scanStep(s, &ev.ResOutputsEvent, false)
		case "resOpFailedEvent":
			return scanStep(s, &ev.ResOpFailedEvent, false)
		case "diagnosticEvent":
			if isNull, err := s.null(); isNull || err != nil {
				ev.DiagnosticEvent = nil
				return err
			}
			d := &diagnosticEvent{}
			ev.DiagnosticEvent = d
			return s.object(func(name string) (err error) {
				switch name {
				case "urn":
					d.URN, err = s.str()
				case "message":
					d.Message, err = s.str()
				case "severity":
					d.Severity, err = s.str()
				default:
					err = s.skip()
				}
				return err
			})
		case "summaryEvent", "errorEvent":
			// One of each at most: encoding/json decodes them.
			raw, err := s.raw()
			if err != nil {
				return err
			}
			if name == "summaryEvent" {
				ev.SummaryEvent = nil
				return json.Unmarshal(raw, &ev.SummaryEvent)
			}
			ev.ErrorEvent = nil
			return json.Unmarshal(raw, &ev.ErrorEvent)
		}
		return s.skip()
	})
}

// scanStep decodes a step event ({"metadata": stepMetadata}) into *dst,
// keeping the inputs of a step that changes a resource if keepInputs is
// set (the resourcePreEvent's, for the text).
func scanStep(s *scanner, dst **stepEvent, keepInputs bool) error {
	if isNull, err := s.null(); isNull || err != nil {
		*dst = nil
		return err
	}
	e := &stepEvent{}
	*dst = e
	return s.object(func(name string) error {
		if name != "metadata" {
			return s.skip()
		}
		m := &e.Metadata
		*m = stepMetadata{}
		err := s.object(func(name string) (err error) {
			switch name {
			case "op":
				m.Op, err = s.str()
			case "urn":
				m.URN, err = s.str()
			case "type":
				m.Type, err = s.str()
			case "old":
				m.Old, err = scanState(s)
			case "new":
				m.New, err = scanState(s)
			case "keys":
				m.Keys, err = s.strs()
			case "diffs":
				m.Diffs, err = s.strs()
			case "detailedDiff":
				m.DetailedDiff, err = s.names()
			default:
				err = s.skip()
			}
			return err
		})
		if err != nil {
			return err
		}
		// The states point into the line. Only the stack's outputs are
		// kept, and a refresh's (the drift check compares them), and, if
		// asked for, the inputs of a step that changes a resource.
		for _, st := range []*stepState{m.Old, m.New} {
			if st == nil {
				continue
			}
			if m.Type == stackType || m.Op == opRefresh {
				st.Outputs = bytes.Clone(st.Outputs)
			} else {
				st.Outputs = nil
			}
			if keepInputs && m.Type != stackType && changesResource(m.Op) {
				st.Inputs = bytes.Clone(st.Inputs)
			} else {
				st.Inputs = nil
			}
		}
		return nil
	})
}

// scanState reads a step's state: its inputs and outputs, as slices of the
// input.
func scanState(s *scanner) (*stepState, error) {
	if isNull, err := s.null(); isNull || err != nil {
		return nil, err
	}
	st := &stepState{}
	err := s.object(func(name string) (err error) {
		switch name {
		case "inputs":
			st.Inputs, err = s.raw()
		case "outputs":
			st.Outputs, err = s.raw()
		default:
			err = s.skip()
		}
		return err
	})
	return st, err
}

// changesResource is whether a step op (apitype.OpType) creates, updates,
// replaces or deletes a resource.
func changesResource(op string) bool {
	switch op {
	case "create", "update", "replace", "create-replacement", "delete-replaced", "delete", "discard-replaced":
		return true
	}
	return false
}

// readEvents reads an event log, one event a line. A missing log (pulumi
// failed before it started the engine) is no events.
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
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ev event
		if err := ev.UnmarshalJSON(line); err != nil {
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

// reportedError is the first error diagnostic among a preview's events as
// an error, or nil. A preview that reports an error failed, whatever its
// exit status: Pulumi's races its language host's report (measured with
// Pulumi YAML, a failing fn::readFile of a secret path exits 0 in about
// half the runs), and a plan holding an error would be reviewed, approved
// and then fail to apply.
func reportedError(evs []event) error {
	for _, ev := range evs {
		if d := ev.DiagnosticEvent; d != nil && d.Severity == "error" {
			msg, _, _ := strings.Cut(clean(d.Message), "\n")
			return fmt.Errorf("it reported an error (though it exited 0): %s", msg)
		}
	}
	return nil
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
