package trace

import (
	"bytes"
	"encoding/json"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// historyTimeFormat is how the history table shows times, always in UTC.
const historyTimeFormat = "2006-01-02 15:04:05"

// RenderHistory renders entries as an aligned text table for the history
// command, in the order given (List returns newest first): when (UTC),
// environment, deployment version, app and infra versions, task, status,
// actor and who approved (with the approval mode). A rollback's task says which app version it rolled back from.
func RenderHistory(entries []Entry) string {
	if len(entries) == 0 {
		return "No deployments recorded.\n"
	}
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	w.Write([]byte("WHEN (UTC)\tENVIRONMENT\tDEPLOYMENT VERSION\tAPP\tINFRA\tTASK\tSTATUS\tACTOR\tAPPROVED BY\n"))
	for _, e := range entries {
		task := "deploy"
		if e.Task == TaskRollback {
			task = "rollback"
			if e.RolledBackFrom != "" {
				task += " from " + e.RolledBackFrom
			}
		}
		cells := []string{
			e.CreatedAt.UTC().Format(historyTimeFormat),
			e.Environment,
			e.DeploymentVersion,
			e.AppVersion,
			e.InfraVersion,
			task,
			e.Status,
			e.Actor,
			approvedBy(e),
		}
		for i, c := range cells {
			cells[i] = cell(c)
		}
		w.Write([]byte(strings.Join(cells, "\t") + "\n"))
	}
	w.Flush()
	return b.String()
}

// approvedBy is "bob, dave (pull-request)"; "" when nobody is recorded.
func approvedBy(e Entry) string {
	if len(e.ApprovedBy) == 0 {
		return ""
	}
	s := strings.Join(e.ApprovedBy, ", ")
	if e.ApprovalMode != "" {
		s += " (" + e.ApprovalMode + ")"
	}
	return s
}

// cell makes a value safe for one cell of the text table: no tabs, newlines
// or terminal control sequences, "-" when empty.
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "" {
		return "-"
	}
	return s
}

// historyJSON is one element of the history --json array. Its fields and
// their order are a stable interface for scripts: add fields, never rename.
type historyJSON struct {
	ID                string `json:"id"`
	Environment       string `json:"environment"`
	DeploymentVersion string `json:"deployment_version"`
	AppVersion        string `json:"app_version"`
	InfraVersion      string `json:"infra_version"`
	Task              string `json:"task"`
	Status            string `json:"status"`
	Description       string `json:"description"`
	RolledBackFrom    string `json:"rolled_back_from"`
	PlanSHA256        string `json:"plan_sha256"`
	Actor             string `json:"actor"`
	RunURL            string `json:"run_url"`
	CreatedAt         string `json:"created_at"`
	UpdatedAt         string `json:"updated_at"`
	// ApprovedBy is comma separated, like the approved-by output: every
	// field stays a string.
	ApprovedBy   string `json:"approved_by"`
	ApprovalMode string `json:"approval_mode"`
	// InfraOutputs are the output names the app ran against, comma
	// separated.
	InfraOutputs string `json:"infra_outputs"`
}

// RenderHistoryJSON renders entries as the history --json output: a JSON
// array (never null) in the order given, every field always present, times
// in RFC 3339 UTC, ending in a newline.
func RenderHistoryJSON(entries []Entry) ([]byte, error) {
	out := make([]historyJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, historyJSON{
			ID:                e.ID,
			Environment:       e.Environment,
			DeploymentVersion: e.DeploymentVersion,
			AppVersion:        e.AppVersion,
			InfraVersion:      e.InfraVersion,
			Task:              e.Task,
			Status:            e.Status,
			Description:       e.Description,
			RolledBackFrom:    e.RolledBackFrom,
			PlanSHA256:        e.PlanSHA256,
			Actor:             e.Actor,
			RunURL:            e.RunURL,
			CreatedAt:         jsonTime(e.CreatedAt),
			UpdatedAt:         jsonTime(e.UpdatedAt),
			ApprovedBy:        strings.Join(e.ApprovedBy, ","),
			ApprovalMode:      e.ApprovalMode,
			InfraOutputs:      strings.Join(e.InfraOutputs, ","),
		})
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
