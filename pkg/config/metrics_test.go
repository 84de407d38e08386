package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsInputs(t *testing.T) {
	c, err := Load(source(map[string]string{"command": "deploy"}))
	require.NoError(t, err)
	assert.Empty(t, c.PrometheusURL)
	assert.Empty(t, c.MetricsQueries)
	assert.Equal(t, 15*time.Second, c.MetricsInterval)
	assert.False(t, c.MetricsRequireData)

	c, err = Load(source(map[string]string{
		"command":              "deploy",
		"prometheus-url":       "https://u:p@prom.example.com/prometheus",
		"metrics-queries":      "up == 0\n\n  sum(rate(x[1m])) > 1  \n",
		"metrics-interval":     "5s",
		"metrics-require-data": "true",
	}))
	require.NoError(t, err)
	assert.Equal(t, "https://u:p@prom.example.com/prometheus", c.PrometheusURL)
	assert.Equal(t, []string{"up == 0", "sum(rate(x[1m])) > 1"}, c.MetricsQueries)
	assert.Equal(t, 5*time.Second, c.MetricsInterval)
	assert.True(t, c.MetricsRequireData)
}

func TestMetricsInputErrors(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		input  string
		want   string
	}{
		{"not a URL, value hidden", map[string]string{"prometheus-url": "prom:s3cret@9090", "metrics-queries": "up == 0"}, "prometheus-url",
			`input "prometheus-url": is not an http:// or https:// URL (its value is not shown: it may carry credentials)`},
		{"queries without a server", map[string]string{"metrics-queries": "up == 0"}, "prometheus-url",
			`input "prometheus-url": is needed with metrics-queries: the Prometheus server to evaluate them on, like http://prometheus:9090`},
		{"a server without queries", map[string]string{"prometheus-url": "http://prom:9090"}, "metrics-queries",
			`input "metrics-queries": is needed with prometheus-url: one PromQL query per line that returns a sample when the app is unhealthy, like sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.05`},
		{"interval too short", map[string]string{"metrics-interval": "100ms"}, "metrics-interval", `input "metrics-interval": "100ms" must be at least 1s`},
		{"interval not a duration", map[string]string{"metrics-interval": "often"}, "metrics-interval", `input "metrics-interval": "often" is not a duration like 90s or 2m`},
		{"require-data not a boolean", map[string]string{"metrics-require-data": "yes"}, "metrics-require-data", `input "metrics-require-data": "yes" is not a boolean: use true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]string{"command": "deploy"}
			for k, v := range tt.values {
				values[k] = v
			}
			_, err := Load(source(values))
			var errs Errors
			require.ErrorAs(t, err, &errs)
			require.Len(t, errs, 1, err.Error())
			assert.Equal(t, tt.input, errs[0].Input)
			assert.Equal(t, tt.want, errs[0].Error())
			assert.NotContains(t, err.Error(), "s3cret")
		})
	}
}
