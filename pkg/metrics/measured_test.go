package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMeasured(t *testing.T) {
	tests := []struct {
		name, query, want string
		ok                bool
	}{
		{"ratio", `sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.05`,
			`sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))`, true},
		{"greater or equal", `up{job="app"} >= 1`, `up{job="app"}`, true},
		{"not equal with bool", `up != bool 1`, `up`, true},
		{"vector matching", `errors > on(job) group_left limits`, `errors`, true},
		{"operator inside a string", `count(x{path=">"}) > 3`, `count(x{path=">"})`, true},
		{"operator inside a backquoted string", "rate(x{a=`<=`}[5m]) < 1", "rate(x{a=`<=`}[5m])", true},
		{"escaped quote", `x{a="\"<"} > 1`, `x{a="\"<"}`, true},
		{"comment", "x > 1 # alert when > 1", "x", true},
		{"or inside parentheses", `(sum(rate(errors[1m])) or vector(0)) / sum(rate(requests[1m])) > 0.02`,
			`(sum(rate(errors[1m])) or vector(0)) / sum(rate(requests[1m]))`, true},
		{"operator inside parentheses only", `(x > 1)`, "", false},
		{"no comparison", `sum(rate(errors[1m]))`, "", false},
		{"two comparisons", `x > 1 < 5`, "", false},
		{"and binds looser", `x > 1 and y`, "", false},
		{"or binds looser", `x > 1 or vector(0)`, "", false},
		{"metric named like a keyword", `order_errors > 1`, "order_errors", true},
		{"nothing before the operator", `> 1`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Measured(tt.query)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
