#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import RastroCore
import RastroStore

/// The server's only writer: batches from every connection, coalesced into one LMDB transaction per commit (group
/// commit), acknowledged only once that transaction is durable.
///
/// A dedicated thread runs the blocking LMDB work. While a commit runs, new batches queue; the next commit takes
/// everything queued (up to ``ServerLimits/commitScans``), so the busier the server, the larger and cheaper its
/// commits. When idle, the first batch waits at most ``ServerLimits/commitWindowMilliseconds`` for company.
public final class GroupCommitWriter: @unchecked Sendable {
    public typealias Completion = @Sendable (Result<IngestResponse, any Error>) -> Void

    struct Pending {
        var request: IngestRequest
        var completion: Completion
    }

    let store: Store
    let limits: ServerLimits
    let metrics: ServerMetrics
    let logger: Logger
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Pending] = []
    private var queuedScans = 0
    private var stopping = false
    private var stopped = false
    private var thread = pthread_t()
    /// Called (on the writer thread) whenever the queue falls below the congestion bound, so paused connections read
    /// again.
    private var drainedHandlers: [@Sendable () -> Void] = []

    public init(store: Store, limits: ServerLimits, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        let unmanaged = Unmanaged.passRetained(self)
        pthread_create(&thread, nil, { context in
            let writer = Unmanaged<GroupCommitWriter>.fromOpaque(context!).takeRetainedValue()
            writer.loop()
            return nil
        }, unmanaged.toOpaque())
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Queues a batch; `completion` runs on the writer thread once it is durably committed (or failed).
    public func submit(_ request: IngestRequest, completion: @escaping Completion) {
        pthread_mutex_lock(mutex)
        if stopping {
            pthread_mutex_unlock(mutex)
            completion(.failure(WriterStopped()))
            return
        }
        queue.append(Pending(request: request, completion: completion))
        queuedScans += request.batch.count
        metrics.queueDepth.record(queuedScans)
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Whether connections should stop reading until the queue drains.
    public var isCongested: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return queuedScans >= limits.queuedScans
    }

    /// Runs `handler` once, the next time the queue falls below the congestion bound (or now if it already is).
    public func whenDrained(_ handler: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        if queuedScans < limits.queuedScans || stopping {
            pthread_mutex_unlock(mutex)
            handler()
            return
        }
        drainedHandlers.append(handler)
        pthread_mutex_unlock(mutex)
    }

    /// Commits what is queued, then stops the thread; later submissions fail.
    public func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(changed)
        while !stopped { pthread_cond_wait(changed, mutex) }
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
    }

    private func loop() {
        while let group = nextGroup() {
            commit(group)
        }
        pthread_mutex_lock(mutex)
        stopped = true
        let handlers = drainedHandlers
        drainedHandlers = []
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        for handler in handlers { handler() }
    }

    /// Waits for work, lets a lone first batch wait the commit window for company, then takes up to a commit's worth.
    private func nextGroup() -> [Pending]? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while queue.isEmpty && !stopping { pthread_cond_wait(changed, mutex) }
        if queue.isEmpty { return nil }
        if queuedScans < limits.commitScans && !stopping {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            let window = limits.commitWindowMilliseconds * 1_000_000
            deadline.tv_nsec += window % 1_000_000_000
            deadline.tv_sec += window / 1_000_000_000 + deadline.tv_nsec / 1_000_000_000
            deadline.tv_nsec %= 1_000_000_000
            while queuedScans < limits.commitScans && !stopping {
                if pthread_cond_timedwait(changed, mutex, &deadline) == ETIMEDOUT { break }
            }
        }
        var taken = 0
        var scans = 0
        while taken < queue.count && (taken == 0 || scans + queue[taken].request.batch.count <= limits.commitScans) {
            scans += queue[taken].request.batch.count
            taken += 1
        }
        let group = Array(queue.prefix(taken))
        queue.removeFirst(taken)
        queuedScans -= scans
        metrics.queueDepth.record(queuedScans)
        return group
    }

    private func commit(_ group: [Pending]) {
        let started = ContinuousClock.now
        let scans = group.reduce(0) { $0 + $1.request.batch.count }
        do {
            let responses = try store.ingest(group.map(\.request), now: serverMilliseconds())
            let elapsed = ContinuousClock.now - started
            metrics.commitLatency.recordNanoseconds(elapsed.nanoseconds)
            metrics.commitScans.record(scans)
            for (pending, response) in zip(group, responses) {
                if case .committed(let report, _) = response { metrics.count(report) }
                pending.completion(.success(response))
            }
        } catch {
            logger.error("commit failed", metadata: ["error": "\(error)", "scans": "\(scans)"])
            for pending in group { pending.completion(.failure(error)) }
        }
        pthread_mutex_lock(mutex)
        var handlers: [@Sendable () -> Void] = []
        if queuedScans < limits.queuedScans {
            handlers = drainedHandlers
            drainedHandlers = []
        }
        pthread_mutex_unlock(mutex)
        for handler in handlers { handler() }
    }
}

/// The writer is shutting down: the batch was not stored.
public struct WriterStopped: Error, CustomStringConvertible {
    public var description: String { "the server is shutting down" }
}

/// The receive time the server gives a batch's scans: wall-clock UTC to the whole second.
///
/// Trace blocks keep a table of the receive times their scans carry (docs/storage.md §5.1). With milliseconds,
/// every batch of every connection had its own, and a server-fed block's table held hundreds: 26.7 bytes per scan
/// against an import's 24.1, and a table lookup per scan when blocks are rewritten. The batches of one second share
/// one entry now. A second is far finer than what receive times answer (how late a handheld uploaded, in hours).
func serverReceiveTime() -> Int64 {
    serverMilliseconds() / 1_000 * 1_000
}

/// Wall-clock UTC milliseconds.
func serverMilliseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
