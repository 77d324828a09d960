#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import RastroCore
import RastroPrimitives
import RastroStore
import Synchronization

/// The server's only writer: batches from every connection, coalesced into one LMDB transaction per commit (group
/// commit), acknowledged only once that transaction is durable.
///
/// A dedicated thread runs the blocking LMDB work. While a commit runs, new batches queue; the next commit takes
/// everything queued (up to ``ServerLimits/commitScans``), so the busier the server, the larger and cheaper its
/// commits. When idle, the first batch waits at most ``ServerLimits/commitWindowMilliseconds`` for company.
public final class GroupCommitWriter: Sendable {
    public typealias Completion = @Sendable (Result<IngestResponse, any Error>) -> Void

    struct Pending: Sendable {
        var request: IngestRequest
        var completion: Completion
    }

    private struct State {
        var queue: [Pending] = []
        var queuedScans = 0
        /// Audit records of refused connections, written together by the writer thread.
        var audits: [AuditRecord] = []
        var stopping = false
        var stopped = false
        /// Run (on the writer thread) when the queue falls below the congestion bound, so paused connections read
        /// again.
        var drainedHandlers: [@Sendable () -> Void] = []
    }

    let store: Store
    let limits: ServerLimits
    let metrics: ServerMetrics
    let logger: Logger
    private let state = Monitor(State())
    /// Why the latest commit failed, or `nil` once one succeeds: `/healthz` is unhealthy while it is set.
    private let failure = Mutex<String?>(nil)
    /// Set once, right after the thread starts; read by `stop`.
    private let thread = Mutex<OwnedThread?>(nil)

    public init(store: Store, limits: ServerLimits, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        let started = OwnedThread(name: "rastro-writer") { [self] in loop() }
        thread.withLock { $0 = started }
    }

    /// Why the latest commit failed (a full disk: "no space left on device …"), or `nil` when it succeeded.
    public var commitFailure: String? { failure.withLock { $0 } }

    /// Queues a batch; `completion` runs on the writer thread once it is durably committed (or failed).
    public func submit(_ request: IngestRequest, completion: @escaping Completion) {
        let accepted = state.withLock { state in
            guard !state.stopping else { return false }
            state.queue.append(Pending(request: request, completion: completion))
            state.queuedScans += request.batch.count
            metrics.queueDepth.record(state.queuedScans)
            return true
        }
        if !accepted { completion(.failure(WriterStopped())) }
    }

    /// Queues an audit record (a refused connection) for the writer thread, which writes every record queued by then
    /// in one transaction of its own: a burst of refusals costs one durable write, not one each, and never waits on an
    /// event loop.
    public func audit(_ record: AuditRecord) {
        state.withLock { state in
            guard !state.stopping else { return }
            state.audits.append(record)
        }
    }

    /// Whether connections should stop reading until the queue drains.
    public var isCongested: Bool {
        state.withLock { $0.queuedScans >= limits.queuedScans }
    }

    /// Runs `handler` once, the next time the queue falls below the congestion bound (or now if it already is).
    public func whenDrained(_ handler: @escaping @Sendable () -> Void) {
        let now = state.withLock { state in
            if state.queuedScans < limits.queuedScans || state.stopping { return true }
            state.drainedHandlers.append(handler)
            return false
        }
        if now { handler() }
    }

    /// Commits what is queued, then stops the thread; later submissions fail.
    public func stop() {
        state.withLock { $0.stopping = true }
        state.withLock(when: { $0.stopped }) { _, _ in }
        thread.withLock { $0 }?.join()
    }

    private func loop() {
        while let (group, audits) = nextWork() {
            if !audits.isEmpty { write(audits) }
            if !group.isEmpty { commit(group) }
        }
        let handlers = state.withLock { state in
            state.stopped = true
            defer { state.drainedHandlers = [] }
            return state.drainedHandlers
        }
        for handler in handlers { handler() }
    }

    /// Waits for work; takes the queued audit records, lets a lone first batch wait the commit window for company, then
    /// takes up to a commit's worth of batches. `nil` once stopping with nothing left.
    private func nextWork() -> (group: [Pending], audits: [AuditRecord])? {
        let limits = self.limits
        let taken = state.withLock(when: { !$0.queue.isEmpty || !$0.audits.isEmpty || $0.stopping }) {
            state, _ -> (batches: Bool, audits: [AuditRecord])? in
            guard !state.queue.isEmpty || !state.audits.isEmpty else { return nil }
            defer { state.audits = [] }
            return (!state.queue.isEmpty, state.audits)
        }
        guard let taken else { return nil }
        guard taken.batches else { return ([], taken.audits) }
        let group = state.withLock(
            when: { $0.queuedScans >= limits.commitScans || $0.stopping },
            timeoutNanoseconds: Int64(limits.commitWindowMilliseconds) * 1_000_000
        ) { state, _ in
            var taken = 0
            var scans = 0
            while taken < state.queue.count
                && (taken == 0 || scans + state.queue[taken].request.batch.count <= limits.commitScans)
            {
                scans += state.queue[taken].request.batch.count
                taken += 1
            }
            let group = Array(state.queue.prefix(taken))
            state.queue.removeFirst(taken)
            state.queuedScans -= scans
            metrics.queueDepth.record(state.queuedScans)
            return group
        }
        return (group, taken.audits)
    }

    /// A commit succeeded: clears the failure `/healthz` reports.
    private func recovered() {
        let wasFailing = failure.withLock { failure in
            defer { failure = nil }
            return failure != nil
        }
        if wasFailing {
            metrics.commitsFailing.record(0)
            logger.notice("commits succeed again")
        }
    }

    private func write(_ audits: [AuditRecord]) {
        do {
            try store.audit(audits)
        } catch {
            logger.error("audit records not written", metadata: ["error": "\(error)", "records": "\(audits.count)"])
        }
    }

    private func commit(_ group: [Pending]) {
        let started = ContinuousClock.now
        let scans = group.reduce(0) { $0 + $1.request.batch.count }
        do {
            let responses = try store.ingest(group.map(\.request), now: serverMilliseconds())
            let elapsed = ContinuousClock.now - started
            metrics.commitLatency.recordNanoseconds(elapsed.nanoseconds)
            metrics.commitScans.record(scans)
            recovered()
            for (pending, response) in zip(group, responses) {
                if case .committed(let report, _) = response { metrics.count(report) }
                pending.completion(.success(response))
            }
        } catch {
            logger.error("commit failed", metadata: ["error": "\(error)", "scans": "\(scans)"])
            metrics.commitFailures.increment()
            metrics.commitsFailing.record(1)
            failure.withLock { $0 = "\(error)" }
            for pending in group { pending.completion(.failure(error)) }
        }
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard state.queuedScans < limits.queuedScans else { return [] }
            defer { state.drainedHandlers = [] }
            return state.drainedHandlers
        }
        for handler in handlers { handler() }
    }
}

/// The writer is shutting down: the batch was not stored.
public struct WriterStopped: Error, CustomStringConvertible {
    public var description: String { "the server is shutting down" }
}

/// The receive time the server gives a batch's scans: wall-clock UTC to the whole second.
///
/// Trace blocks keep a table of the receive times their scans carry (docs/storage.md §5.1). With milliseconds every
/// batch of every connection would have its own entry; to the second, the batches of one second share one. A second
/// is far finer than what receive times answer (how late a handheld uploaded, in hours).
func serverReceiveTime() -> Int64 {
    serverMilliseconds() / 1_000 * 1_000
}

/// Wall-clock UTC milliseconds.
func serverMilliseconds() -> Int64 { SystemClock.wallMilliseconds }

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
