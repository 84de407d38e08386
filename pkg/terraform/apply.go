package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// ApplyOptions configure terraform apply of a saved plan.
type ApplyOptions struct {
	PlanFile    string // relative to the module
	LockTimeout time.Duration
}

// ResourceResult is what happened to one resource during apply.
type ResourceResult struct {
	Address string
	Action  string // create, update, delete, replace, ...
	Error   string // Terraform's error, for failed resources
}

// ApplyReport is what a (possibly failed) apply did, read from Terraform's
// machine-readable UI stream: per resource, applied, failed or never reached.
type ApplyReport struct {
	Planned    []ResourceResult // every planned change, in plan order
	Applied    []ResourceResult
	Failed     []ResourceResult
	NotReached []ResourceResult
	// Errors are error diagnostics not tied to one resource.
	Errors []string
	// Outputs are the root module outputs after apply; sensitive ones are
	// marked and carry no value.
	Outputs map[string]Output
	// Stale is set when Terraform refused the plan as stale (the state
	// changed after the plan was made).
	Stale bool
}

// Output is one root module output reported by apply.
type Output struct {
	Sensitive bool
	Value     json.RawMessage
}

// ErrStalePlan is Terraform's "Saved plan is stale": the state changed after
// the plan was made, so the plan can no longer be applied.
var ErrStalePlan = errors.New("terraform refused the saved plan as stale: the state changed after the plan was made (another apply ran, or this plan was already applied); re-run the plan and review it again")

// Apply applies a saved plan (never re-plans, never passes variables) and
// streams Terraform's JSON UI: each message's text goes to the log, and the
// report records per resource what was applied, what failed and what was
// never reached. On ctx cancellation Terraform gets an interrupt and is left
// to stop cleanly and release its state lock; it is never killed.
func (t *Terraform) Apply(ctx context.Context, o ApplyOptions) (*ApplyReport, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Never kill Terraform after the interrupt: a killed apply can leave the
	// state locked and half-written.
	if err := t.tf.SetWaitDelay(0); err != nil {
		return nil, err
	}
	defer func() { _ = t.tf.SetWaitDelay(60 * time.Second) }()

	s := &applyStream{log: t.log, report: &ApplyReport{Outputs: map[string]Output{}}, state: map[string]string{}}
	err := t.tf.ApplyJSON(ctx, s, tfexec.DirOrPlan(o.PlanFile), tfexec.LockTimeout(lockTimeout(o.LockTimeout)))
	// ApplyJSON points stdout at the stream; point it back at the log.
	t.tf.SetStdout(t.log)
	s.flush()
	report := s.finish()
	if err != nil {
		if report.Stale {
			return report, ErrStalePlan
		}
		if ctx.Err() != nil {
			return report, fmt.Errorf("terraform apply was interrupted and stopped cleanly: %w", ctx.Err())
		}
		return report, fmt.Errorf("running terraform apply: %w", err)
	}
	return report, nil
}

// applyStream decodes Terraform's JSON UI line by line.
type applyStream struct {
	mu     sync.Mutex
	log    io.Writer
	buf    []byte
	report *ApplyReport
	order  []string
	state  map[string]string // address -> planned, started, applied, failed
	action map[string]string
	errs   map[string][]string
}

func (s *applyStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		s.line(s.buf[:i])
		s.buf = s.buf[i+1:]
	}
	return len(p), nil
}

func (s *applyStream) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(bytes.TrimSpace(s.buf)) > 0 {
		s.line(s.buf)
	}
	s.buf = nil
}

// uiMessage is the part of Terraform's machine-readable UI that lockstep
// reads (https://developer.hashicorp.com/terraform/internals/machine-readable-ui).
type uiMessage struct {
	Level   string `json:"@level"`
	Message string `json:"@message"`
	Type    string `json:"type"`
	Hook    struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action string `json:"action"`
	} `json:"hook"`
	Change struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action string `json:"action"`
	} `json:"change"`
	Diagnostic struct {
		Severity string `json:"severity"`
		Summary  string `json:"summary"`
		Detail   string `json:"detail"`
		Address  string `json:"address"`
	} `json:"diagnostic"`
	Outputs map[string]struct {
		Sensitive bool            `json:"sensitive"`
		Value     json.RawMessage `json:"value"`
	} `json:"outputs"`
}

func (s *applyStream) line(raw []byte) {
	var m uiMessage
	if err := json.Unmarshal(raw, &m); err != nil || m.Type == "" {
		_, _ = s.log.Write(append(append([]byte{}, raw...), '\n'))
		return
	}
	if s.action == nil {
		s.action, s.errs = map[string]string{}, map[string][]string{}
	}
	switch m.Type {
	case "planned_change":
		addr := m.Change.Resource.Addr
		if _, seen := s.state[addr]; !seen {
			s.order = append(s.order, addr)
		}
		s.state[addr] = "planned"
		s.action[addr] = m.Change.Action
	case "apply_start":
		s.state[m.Hook.Resource.Addr] = "started"
	case "apply_complete":
		s.state[m.Hook.Resource.Addr] = "applied"
	case "apply_errored":
		s.state[m.Hook.Resource.Addr] = "failed"
	case "diagnostic":
		if m.Diagnostic.Severity == "error" {
			text := m.Diagnostic.Summary
			if m.Diagnostic.Detail != "" {
				text += ": " + strings.TrimSpace(m.Diagnostic.Detail)
			}
			if m.Diagnostic.Summary == "Saved plan is stale" {
				s.report.Stale = true
			}
			if a := m.Diagnostic.Address; a != "" {
				s.errs[a] = append(s.errs[a], text)
			} else {
				s.report.Errors = append(s.report.Errors, text)
			}
		}
		if m.Diagnostic.Detail != "" {
			m.Message += "\n" + strings.TrimSpace(m.Diagnostic.Detail)
		}
	case "outputs":
		for name, o := range m.Outputs {
			out := Output{Sensitive: o.Sensitive}
			if !o.Sensitive {
				out.Value = o.Value
			}
			s.report.Outputs[name] = out
		}
		return // values are reported, not logged
	}
	if m.Message != "" {
		_, _ = io.WriteString(s.log, m.Message+"\n")
	}
}

// finish sorts every planned resource into applied, failed or not reached.
func (s *applyStream) finish() *ApplyReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.report
	for _, addr := range s.order {
		res := ResourceResult{Address: addr, Action: s.action[addr]}
		r.Planned = append(r.Planned, res)
		switch s.state[addr] {
		case "applied":
			r.Applied = append(r.Applied, res)
		case "failed", "started":
			// Started but never completed: Terraform stopped mid-change.
			res.Error = strings.Join(s.errs[addr], "\n")
			if res.Error == "" && s.state[addr] == "started" {
				res.Error = "started but did not complete (interrupted)"
			}
			r.Failed = append(r.Failed, res)
		default:
			r.NotReached = append(r.NotReached, res)
		}
	}
	// Errors for resources that were not in the planned list (rare) are kept.
	var extra []string
	for addr, errs := range s.errs {
		if _, planned := s.state[addr]; !planned {
			extra = append(extra, addr+": "+strings.Join(errs, "; "))
		}
	}
	sort.Strings(extra)
	r.Errors = append(r.Errors, extra...)
	return r
}
