package metrics

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The summaries a reviewer reads, rendered from reports shaped like the
// real Prometheus tests' (metrics_test.go proves the shapes).
func TestMarkdownGolden(t *testing.T) {
	ratio := `sum by (version) (rate(http_requests_total{code=~"5.."}[1m])) / sum by (version) (rate(http_requests_total[1m])) > 0.05`
	latency := `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))) > 0.5`
	many := make([]Sample, MaxSamples)
	for i := range many {
		many[i] = Sample{Labels: `{pod="web-` + string(rune('a'+i)) + `"}`, Value: "1"}
	}
	tests := map[string]Report{
		"passed": {Address: "https://prom.example.com", Window: 2 * time.Minute, Interval: 15 * time.Second, Results: []QueryResult{
			{Query: ratio, DataQuery: "x", OK: true, Rounds: 9, HadData: true},
			{Query: latency, DataQuery: "y", OK: true, Rounds: 9, HadData: true},
		}},
		"fired": {Address: "https://prom.example.com", Window: 2 * time.Minute, Interval: 15 * time.Second, Results: []QueryResult{
			{Query: ratio, Rounds: 3, Fired: true, Total: 1, FiredAt: 30 * time.Second,
				Samples: []Sample{{Labels: `{version="v2"}`, Value: "0.5"}}},
			{Query: latency, OK: true, Rounds: 3, HadData: true, DataQuery: "y"},
		}},
		"many-samples-and-a-pipe": {Address: "http://127.0.0.1:9090", Results: []QueryResult{
			{Query: `up{job=~"a|b"} == 0`, Rounds: 1, Fired: true, Total: 14, Samples: many},
		}},
		"bad-query-and-no-data": {Address: "http://127.0.0.1:9090", Window: time.Minute, Interval: 15 * time.Second, RequireData: true, Results: []QueryResult{
			{Query: "sum(rate(x[1m])", Rounds: 1, Bad: true, ErrorRounds: 1,
				Err: `bad_data: invalid parameter "query": 1:16: parse error: unclosed left parenthesis`},
			{Query: "sum(rate(missing[1m])) > 1", DataQuery: "sum(rate(missing[1m]))", Rounds: 5, NoData: true},
		}},
		"unreachable": {Address: "http://127.0.0.1:9090", Window: time.Minute, Interval: time.Second, Results: []QueryResult{
			{Query: "up == 0", Rounds: 3, ErrorRounds: 3, Err: "dial tcp 127.0.0.1:9090: connect: connection refused"},
		}},
		"no-data-warning-and-interrupted": {Address: "http://127.0.0.1:9090", Window: time.Minute, Interval: time.Second,
			Err: errors.New("metrics gate interrupted: context canceled"), Results: []QueryResult{
				{Query: "sum(rate(missing[1m])) > 1", DataQuery: "sum(rate(missing[1m]))", OK: true, Rounds: 2},
			}},
	}
	for name, rep := range tests {
		t.Run(name, func(t *testing.T) {
			got := rep.Markdown() + "\n---\n" + rep.Summary() + "\n"
			path := filepath.Join("testdata", name+".golden.md")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./pkg/metrics -run Golden -update")
			assert.Equal(t, string(want), got)
		})
	}
}
