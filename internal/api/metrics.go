package api

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fairdebt/fairdebt/internal/policy"
)

type metrics struct {
	decisions *prometheus.CounterVec
	latency   prometheus.Histogram
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fairdebt_decisions_total",
			Help: "Recorded gate decisions: allowed ones with category \"none\", denied ones once per violated category.",
		}, []string{"allowed", "category"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fairdebt_decision_seconds",
			Help:    "Time to decide and durably record one attempt.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	reg.MustRegister(m.decisions, m.latency)
	for _, c := range policy.Categories {
		m.decisions.WithLabelValues("false", c)
	}
	m.decisions.WithLabelValues("true", "none")
	return m
}

func (m *metrics) observe(d policy.Decision, took time.Duration) {
	m.latency.Observe(took.Seconds())
	if d.Allowed {
		m.decisions.WithLabelValues("true", "none").Inc()
		return
	}
	for i, v := range d.Violations {
		if !slices.ContainsFunc(d.Violations[:i], func(w policy.Violation) bool { return w.Category == v.Category }) {
			m.decisions.WithLabelValues("false", v.Category).Inc()
		}
	}
}
