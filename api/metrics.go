package api

import (
	"net/http"
	"time"

	"github.com/ovation-live/ovation/hub"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series Ovation exports on /metrics. The store
// and the hub report into it through ObserveCommit and ObserveFanout.
type Metrics struct {
	reg            *prometheus.Registry
	handler        http.Handler
	sockets        prometheus.Gauge
	roomConns      *prometheus.GaugeVec
	votesAccepted  prometheus.Counter
	votesDuplicate prometheus.Counter
	votesRejected  *prometheus.CounterVec
	commitSeconds  prometheus.Histogram
	commitSize     prometheus.Histogram
	commitErrors   prometheus.Counter
	fanoutSeconds  prometheus.Histogram
	writeTimeouts  prometheus.Counter
	buildInfo      *prometheus.GaugeVec
}

// NewMetrics registers Ovation's series, with Go and process collectors, on a
// new registry. role is the node's role ("single", "core" or "edge"), the
// role label of the vote series: the single node and the core count the
// votes they commit, an edge the votes its phones sent, once the core has
// answered.
func NewMetrics(role string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg:     reg,
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ovation_websockets", Help: "Open WebSocket connections."}),
		roomConns: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ovation_room_connections",
			Help: "WebSocket connections subscribed to each room's topic."}, []string{"topic"}),
		votesAccepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "ovation_votes_accepted_total", ConstLabels: prometheus.Labels{"role": role},
			Help: "Votes counted or changed, acknowledged after commit."}),
		votesDuplicate: prometheus.NewCounter(prometheus.CounterOpts{Name: "ovation_votes_duplicate_total", ConstLabels: prometheus.Labels{"role": role},
			Help: "Replays of an already counted vote id, acknowledged without change."}),
		votesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ovation_votes_rejected_total", ConstLabels: prometheus.Labels{"role": role},
			Help: "Votes refused, by error code."}, []string{"code"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ovation_commit_batch_seconds",
			Help: "Duration of one group-commit transaction.", Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14)}),
		commitSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ovation_commit_batch_writes",
			Help: "Writes per group-commit transaction.", Buckets: prometheus.ExponentialBuckets(1, 2, 13)}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "ovation_commit_errors_total", Help: "Failed group-commit transactions."}),
		fanoutSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ovation_fanout_seconds",
			Help: "Time to queue one broadcast frame for every local subscriber.", Buckets: prometheus.ExponentialBuckets(0.00001, 2, 16)}),
		writeTimeouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "ovation_write_timeout_closes_total",
			Help: "Connections closed because they did not read their frames within the write timeout (no pong behind them, or a write stuck)."}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ovation_build_info",
			Help: "Always 1, labelled with the server's version, VCS revision and Go version (SetBuildInfo)."}, []string{"version", "revision", "goversion"}),
	}
	reg.MustRegister(m.buildInfo, m.writeTimeouts, m.sockets, m.roomConns, m.votesAccepted, m.votesDuplicate, m.votesRejected, m.commitSeconds, m.commitSize, m.commitErrors, m.fanoutSeconds)
	return m
}

// SetBuildInfo exports the series ovation_build_info with value 1 and the
// binary's version, VCS revision ("" if unknown) and Go version as labels.
// Until it is called, the series is absent.
func (m *Metrics) SetBuildInfo(version, revision, goVersion string) {
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(version, revision, goVersion).Set(1)
}

// ObserveCommit records one group-commit batch.
func (m *Metrics) ObserveCommit(writes int, d time.Duration, err error) {
	if err != nil {
		m.commitErrors.Inc()
		return
	}
	m.commitSeconds.Observe(d.Seconds())
	m.commitSize.Observe(float64(writes))
}

// ObserveFanout records the delivery of one frame to local subscribers.
func (m *Metrics) ObserveFanout(subscribers int, d time.Duration) {
	if subscribers > 0 {
		m.fanoutSeconds.Observe(d.Seconds())
	}
}

// watchHub exports the hub's counters.
func (m *Metrics) watchHub(h *hub.Hub) {
	counter := func(name, help string, f func(hub.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(h.Stats())) })
	}
	for _, c := range []prometheus.Collector{
		counter("ovation_frames_published_total", "Frames published on this node.", func(s hub.Stats) int64 { return s.Published }),
		counter("ovation_frames_delivered_total", "Frames queued to local subscribers.", func(s hub.Stats) int64 { return s.Delivered }),
		counter("ovation_frames_dropped_total", "Queued frames dropped because a newer frame superseded them (slow readers).", func(s hub.Stats) int64 { return s.Superseded }),
		counter("ovation_slow_consumer_closes_total", "Connections closed because their send queue overflowed.", func(s hub.Stats) int64 { return s.SlowClosed }),
	} {
		_ = m.reg.Register(c) // a second server on the same metrics keeps the first registration
	}
}
