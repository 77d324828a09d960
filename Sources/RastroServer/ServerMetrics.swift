import Metrics
import Prometheus
import RastroQueries
import RastroStore

/// What `GET /metrics` reports, in Prometheus format, through swift-metrics handles backed by this server's own
/// registry (so several servers in one process — tests — keep separate counts).
public final class ServerMetrics: @unchecked Sendable {
    // @unchecked Sendable: every property is a `let` of a swift-metrics handle or registry, each thread-safe itself.
    public let registry = PrometheusCollectorRegistry()
    let accepted: Metrics.Counter
    let duplicates: Metrics.Counter
    let conflicts: Metrics.Counter
    let rejected: Metrics.Counter
    let bytesIn: Metrics.Counter
    let connections: Metrics.Gauge
    let batchScans: Metrics.Recorder
    let commitScans: Metrics.Recorder
    let commitLatency: Metrics.Timer
    let queueDepth: Metrics.Gauge
    let refused: Metrics.Counter
    /// Authentications refused without a token check, the address having failed too often.
    let throttled: Metrics.Counter
    /// Connections closed because a hello or a request took too long.
    let timedOut: Metrics.Counter
    /// Commits that failed (the disk full, an I/O error): their batches were answered with an error, not acked.
    let commitFailures: Metrics.Counter
    /// 1 while the latest commit failed, 0 once one succeeds: what `/healthz` reports.
    let commitsFailing: Metrics.Gauge
    /// Read API requests answered, and how long each took, per route (`productivity`, `export`, …).
    let reads: [String: Metrics.Counter]
    let readSeconds: [String: Metrics.Timer]
    /// Read API requests refused by the per-token rate or the bound on requests at once.
    let readsRefused: Metrics.Counter
    /// Scheduled backups: how they ended, and the last successful one's time, duration and bytes written.
    let backups: [String: Metrics.Counter]
    let backupLastSuccess: Metrics.Gauge
    let backupLastSeconds: Metrics.Gauge
    let backupLastBytes: Metrics.Gauge
    /// Inbox files finished (`done`) or moved to `failed/`, and files waiting in the inbox at its latest look.
    let inboxFiles: [String: Metrics.Counter]
    let inboxWaiting: Metrics.Gauge

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultValueHistogramBuckets = [1, 10, 100, 1_000, 10_000, 100_000]
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
            .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1), .seconds(2),
        ]
        accepted = Metrics.Counter(label: "rastro_scans_accepted_total", factory: factory)
        duplicates = Metrics.Counter(label: "rastro_scans_duplicate_total", factory: factory)
        conflicts = Metrics.Counter(label: "rastro_scans_conflict_total", factory: factory)
        rejected = Metrics.Counter(label: "rastro_scans_rejected_total", factory: factory)
        bytesIn = Metrics.Counter(label: "rastro_bytes_in_total", factory: factory)
        connections = Metrics.Gauge(label: "rastro_connections", factory: factory)
        batchScans = Metrics.Recorder(label: "rastro_batch_scans", aggregate: true, factory: factory)
        commitScans = Metrics.Recorder(label: "rastro_commit_scans", aggregate: true, factory: factory)
        commitLatency = Metrics.Timer(label: "rastro_commit_seconds", factory: factory)
        queueDepth = Metrics.Gauge(label: "rastro_writer_queue_scans", factory: factory)
        refused = Metrics.Counter(label: "rastro_connections_refused_total", factory: factory)
        throttled = Metrics.Counter(label: "rastro_authentications_throttled_total", factory: factory)
        timedOut = Metrics.Counter(label: "rastro_connections_timed_out_total", factory: factory)
        commitFailures = Metrics.Counter(label: "rastro_commit_failures_total", factory: factory)
        commitsFailing = Metrics.Gauge(label: "rastro_commits_failing", factory: factory)
        commitsFailing.record(0)
        var reads: [String: Metrics.Counter] = [:]
        var readSeconds: [String: Metrics.Timer] = [:]
        for route in Self.readRoutes {
            reads[route] = Metrics.Counter(label: "rastro_reads_total", dimensions: [("route", route)], factory: factory)
            readSeconds[route] = Metrics.Timer(label: "rastro_read_seconds", dimensions: [("route", route)], factory: factory)
        }
        self.reads = reads
        self.readSeconds = readSeconds
        readsRefused = Metrics.Counter(label: "rastro_reads_refused_total", factory: factory)
        backups = Dictionary(uniqueKeysWithValues: ["ok", "failed"].map {
            ($0, Metrics.Counter(label: "rastro_backups_total", dimensions: [("result", $0)], factory: factory))
        })
        backupLastSuccess = Metrics.Gauge(label: "rastro_backup_last_success_timestamp_seconds", factory: factory)
        backupLastSeconds = Metrics.Gauge(label: "rastro_backup_last_duration_seconds", factory: factory)
        backupLastBytes = Metrics.Gauge(label: "rastro_backup_last_bytes_written", factory: factory)
        inboxFiles = Dictionary(uniqueKeysWithValues: ["done", "failed"].map {
            ($0, Metrics.Counter(label: "rastro_inbox_files_total", dimensions: [("result", $0)], factory: factory))
        })
        inboxWaiting = Metrics.Gauge(label: "rastro_inbox_files_waiting", factory: factory)
    }

    /// The read API's routes, as metric labels.
    static let readRoutes = ReportQueries.all.map { $0.name } + [ExportQuery.name]

    func count(_ report: IngestReport) {
        accepted.increment(by: report.accepted)
        duplicates.increment(by: report.duplicates)
        conflicts.increment(by: report.conflicts)
        rejected.increment(by: report.rejected)
    }

    /// Rejections decided before the store (invalid fields, forbidden devices).
    func countRejected(_ count: Int) {
        if count > 0 { rejected.increment(by: count) }
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
