package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/deploy"
	"github.com/lockstep-ci/lockstep/pkg/metrics"
)

// metricsGate is the metrics gate of prometheus-url and metrics-queries;
// nil without them.
func metricsGate(a *app) (*metrics.Gate, error) {
	if a.cfg.PrometheusURL == "" {
		return nil, nil
	}
	e, err := metrics.NewEndpoint(a.cfg.PrometheusURL, a.env.HTTPClient)
	if err != nil {
		return nil, &badInput{&config.InputError{Input: "prometheus-url", Flag: a.local != nil, Problem: err.Error()}}
	}
	if a.cfg.MetricsRequireData {
		for _, q := range a.cfg.MetricsQueries {
			if _, ok := metrics.Measured(q); !ok {
				return nil, &badInput{&config.InputError{Input: "metrics-queries", Value: q, Flag: a.local != nil,
					Problem: "has no single top-level comparison (like ratio > 0.05), so metrics-require-data cannot tell which value must have data: add one, or set metrics-require-data to false"}}
			}
		}
	}
	return &metrics.Gate{
		Endpoint:    e,
		Queries:     a.cfg.MetricsQueries,
		Interval:    a.cfg.MetricsInterval,
		RequireData: a.cfg.MetricsRequireData,
		Now:         a.env.Now,
		Progress:    func(line string) { a.r.Printf("%s", line) },
	}, nil
}

// checkMetrics evaluates every query once before anything is deployed or
// judged: an unreachable Prometheus or a query it rejects is a refusal
// (metrics-unavailable), never a rollback.
func checkMetrics(ctx context.Context, a *app, g *metrics.Gate) error {
	a.r.Printf("Metrics gate: %d PromQL quer(ies) on Prometheus at %s, every %s%s.",
		len(g.Queries), g.Endpoint.Address, g.Interval, requireDataNote(g))
	if err := g.Check(ctx); err != nil {
		return refuse("metrics-unavailable", fmt.Errorf("metrics gate: %w", err))
	}
	return nil
}

func requireDataNote(g *metrics.Gate) string {
	if g.RequireData {
		return "; a query whose measured value has no data fails (metrics-require-data)"
	}
	return ""
}

// metricsReports collects the gate's reports for the job summary.
type metricsReports struct {
	mu      sync.Mutex
	reports []metrics.Report
}

func (m *metricsReports) add(r metrics.Report) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reports = append(m.reports, r)
}

// deciding is the report that decided: the first failed one, else the last.
func (m *metricsReports) deciding() (metrics.Report, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.reports {
		if !r.OK() {
			return r, true
		}
	}
	if len(m.reports) == 0 {
		return metrics.Report{}, false
	}
	return m.reports[len(m.reports)-1], true
}

// watchMetrics runs the gate over window and logs its outcome.
func watchMetrics(ctx context.Context, a *app, g *metrics.Gate, window time.Duration, what string) metrics.Report {
	rep := g.Watch(ctx, window, what)
	logMetrics(a, rep)
	return rep
}

// logMetrics logs a gate's outcome and warns of queries that measured
// nothing.
func logMetrics(a *app, rep metrics.Report) {
	a.r.Printf("%s", rep.Summary())
	for _, w := range rep.NoDataWarnings() {
		a.r.Warnf("%s", w)
	}
}

// deployGate adapts the metrics gate to a canary step's bake.
func deployGate(a *app, g *metrics.Gate, reports *metricsReports) deploy.Gate {
	return func(ctx context.Context, bake time.Duration, what string) (bool, string) {
		rep := watchMetrics(ctx, a, g, bake, what)
		reports.add(rep)
		// The step's error says "metrics gate failed: " before these.
		return rep.OK(), rep.Details()
	}
}

// metricsSection is a report's Markdown one heading level down, for a
// command's summary.
func metricsSection(r metrics.Report) string {
	return strings.Replace(r.Markdown(), "### ", "#### ", 1)
}
