import RastroCore
import RastroPrimitives
import Synchronization

/// The store's write engine: everything that only writing needs, owned in one place.
///
/// ``Store`` keeps the environment and the read API and hands every ``Store/ingest(_:now:)`` to its writer. Between
/// commits the writer keeps what makes the next commit cheap: caches of what is committed (identifier ids, item ids
/// by tracking-id hash, decoded trace blocks), the helper thread, the two block workers and the two index
/// participants that split a commit's CPU work over two cores, zstd contexts, and scratch buffers.
///
/// A commit is one ``WriteSession`` inside one LMDB write transaction (docs/architecture.md). The session changes
/// nothing here; what it learnt (new ids, new items, rewritten blocks) is staged and published to the caches only
/// after the transaction is durable, so a failed or retried commit leaves the caches as they were.
final class Writer: @unchecked Sendable {
    // @unchecked Sendable: every mutable property is used only inside `serial.withLock`, by one thread at a time;
    // debug builds check it (`assertSerialised`).

    let environment: Environment
    let databases: StoreDatabases
    let zone: SiteTimeZone
    let limits: Limits
    /// Identifies this process's writer in ``Counters/writerToken``: a commit by anyone else invalidates the block
    /// cache.
    let token = UInt64.random(in: 1...UInt64.max)

    /// Serialises this process's commits (LMDB serialises writers across processes).
    private let serial = Mutex<Void>(())
    /// The thread inside `serial`, for debug assertions.
    private let holder = Atomic<UInt>(0)

    /// Committed identifier → id mappings per ``EntityKind`` (index `rawValue - 1`). Entities are few.
    var entityIDs: [[InlineBytes: UInt32]] = Array(repeating: [:], count: EntityKind.allCases.count)
    var itemCache: ItemCache
    var blockCache: BlockCache
    /// The store's commit count after this process's last commit.
    var lastCommit: UInt64 = 0

    let helper = HelperThread(name: "rastro-helper")
    /// The writer's zstd context; the helper has its own, for the cells it seals while the writer seals blocks.
    let writerZstd = Zstd(level: 1)
    let helperZstd = Zstd(level: 1)
    /// The block phase of a commit runs on two workers: the writer's thread's and the helper's.
    let blockWorkers: [BlockWorker]
    /// The writer's and the helper's scratch for ``IndexWork``, in that order.
    let indexParticipants: [IndexWork.Participant]
    /// Scratch reused by every commit, so that a steady stream of batches allocates almost nothing; a session holds
    /// it while it runs.
    private var buffers: WriteSessionBuffers? = WriteSessionBuffers()
    /// Where commit time went, summed over this process's commits.
    private(set) var phases = IngestPhases()

    init(environment: Environment, databases: StoreDatabases, zone: SiteTimeZone, limits: Limits) {
        self.environment = environment
        self.databases = databases
        self.zone = zone
        self.limits = limits
        itemCache = ItemCache(capacity: limits.itemCacheEntries)
        blockCache = BlockCache(capacity: limits.blockCacheEntries)
        blockWorkers = [BlockWorker(zone: zone), BlockWorker(zone: zone)]
        indexParticipants = [
            IndexWork.Participant(zone: zone, zstd: writerZstd), IndexWork.Participant(zone: zone, zstd: helperZstd),
        ]
    }

    /// Group commit: stores many network batches in one durable transaction (``Store/ingest(_:now:)``).
    func ingest(_ requests: [IngestRequest], now: Int64) throws -> [IngestResponse] {
        try serial.withLock { _ in
            holder.store(ThreadIdentity.current, ordering: .relaxed)
            defer { holder.store(0, ordering: .relaxed) }
            var useItemCache = true
            // The item cache answers by 64-bit hash; a session that meets two tracking ids sharing one throws
            // ItemCacheCollision before anything is committed. The commit is then redone with every item id read
            // from the database, so this loop runs at most twice. (MDB_MAP_FULL has its own retry, inside
            // Environment.write.)
            while true {
                do {
                    var outcome = try environment.write { transaction in
                        try commit(requests, now: now, useItemCache: useItemCache, in: transaction)
                    }
                    outcome.phases.stages[.commit] += Stopwatch.now()
                    publish(outcome)
                    return outcome.responses
                } catch is ItemCacheCollision {
                    itemCache.removeAll()
                    useItemCache = false
                }
            }
        }
    }

    /// Seconds each block worker spent busy.
    var blockWorkerSeconds: [Double] {
        serial.withLock { _ in blockWorkers.map(\.busySeconds) }
    }

    /// The phases so far (a copy, taken between commits).
    var phasesSoFar: IngestPhases {
        serial.withLock { _ in phases }
    }

    /// Lends the item cache to a session's probing loop: an inout access to the stored table, so that probing never
    /// copies it.
    func probeItemCache<Result>(_ body: (inout ItemCache) throws -> Result) rethrows -> Result {
        assertSerialised()
        return try body(&itemCache)
    }

    /// Runs `body` between commits, with the writer's state to itself (test hooks).
    func withSerialAccess<Result>(_ body: (Writer) throws -> Result) rethrows -> Result {
        try serial.withLock { _ in try body(self) }
    }

    /// Stops the process unless the calling thread is inside ``ingest(_:now:)``: the write transaction and the state
    /// below belong to that thread.
    func assertSerialised() {
        assert(holder.load(ordering: .relaxed) == ThreadIdentity.current, "writer state used outside the writer's lock")
    }

    // MARK: - One commit

    /// What one durable commit produced: the answers, and what the caches may learn now that it is on disk.
    private struct Outcome {
        var responses: [IngestResponse]
        var entities: [[InlineBytes: UInt32]]
        var items: [(name: InlineBytes, id: UInt32)]
        var blocks: [(number: UInt32, block: TraceBlock)]
        var commits: UInt64
        var phases: IngestPhases
    }

    /// The group's requests, once replays are set aside: the scans to store, in one batch, and each request's range
    /// of it.
    private struct Plan {
        var batch = ScanBatch()
        var ranges: [Range<Int>] = []
        var answers: [IngestResponse?]
        /// For a request whose replay key appears earlier in the group, that earlier request's index.
        var repeatOf: [Int?]
    }

    /// One attempt at the commit, inside `transaction`. It may run again (after MDB_MAP_FULL or a cache collision):
    /// it starts from the requests and the reusable buffers, never from a previous attempt's results.
    private func commit(
        _ requests: [IngestRequest], now: Int64, useItemCache: Bool, in transaction: Transaction
    ) throws -> Outcome {
        var plan = try plan(requests, in: transaction)
        var session = try WriteSession(
            writer: self, transaction: transaction, batch: plan.batch, buffers: buffers.take() ?? WriteSessionBuffers(),
            useItemCache: useItemCache)
        defer { buffers = session.buffers }
        try session.run()
        try answer(requests, &plan, from: session, now: now, in: transaction)
        var phases = session.phases
        phases.scans = plan.batch.count
        phases.stages[.commit] = -Stopwatch.now()
        return Outcome(
            responses: plan.answers.map { $0! }, entities: session.stagedEntities, items: session.stagedItems,
            blocks: session.stagedBlocks, commits: session.counters.commits, phases: phases)
    }

    /// Sets aside the requests already committed under their replay key (answered with the stored answer) and the
    /// repeats of an earlier request of the group; merges the others' scans into one batch.
    private func plan(_ requests: [IngestRequest], in transaction: Transaction) throws -> Plan {
        var plan = Plan(
            answers: [IngestResponse?](repeating: nil, count: requests.count),
            repeatOf: [Int?](repeating: nil, count: requests.count))
        if requests.count > 1 {
            // Sized once: growing by each request's size would copy the merged scans again per request.
            plan.batch = ScanBatch(
                reservingScans: requests.reduce(0) { $0 + $1.batch.count },
                bytes: requests.reduce(0) { $0 + $1.batch.bytes.count })
        }
        var firstByKey: [ReplayKey: Int] = [:]
        for (index, request) in requests.enumerated() {
            if let key = request.replayKey {
                if let stored = try storedReplay(key, in: transaction) {
                    plan.answers[index] = .replayed(stored)
                    plan.ranges.append(0..<0)
                    continue
                }
                if let first = firstByKey[key] {
                    plan.repeatOf[index] = first
                    plan.ranges.append(0..<0)
                    continue
                }
                firstByKey[key] = index
            }
            let start = plan.batch.count
            if requests.count == 1 { plan.batch = request.batch } else { plan.batch.append(contentsOf: request.batch) }
            plan.ranges.append(start..<plan.batch.count)
        }
        return plan
    }

    /// The answer stored for a batch committed under `key`, without its timestamp.
    private func storedReplay(_ key: ReplayKey, in transaction: Transaction) throws -> [UInt8]? {
        try transaction.withValue(databases.replays, key.key) { value -> [UInt8] in
            var reader = ByteReader(value)
            _ = try reader.zigzag()
            return Array(value[reader.position...])
        }
    }

    /// Each stored request's report, its replay answer and audit record written in the same transaction; repeats
    /// get their first's answer.
    private func answer(
        _ requests: [IngestRequest], _ plan: inout Plan, from session: WriteSession, now: Int64,
        in transaction: Transaction
    ) throws {
        for (index, request) in requests.enumerated() where plan.answers[index] == nil && plan.repeatOf[index] == nil {
            let report = session.report(for: plan.ranges[index])
            let replay = request.encodeReplay?(report)
            if let key = request.replayKey, let replay {
                let writer = ByteWriter(reservingCapacity: replay.count + 10)
                writer.zigzag(now)
                writer.append(replay)
                try transaction.put(databases.replays, key.key, writer)
            }
            if var audit = request.audit {
                audit.accepted += report.accepted
                audit.duplicates += report.duplicates
                audit.conflicts += report.conflicts
                audit.rejected += report.rejected
                try audit.append(in: transaction, databases)
            }
            plan.answers[index] = .committed(report, replay: replay)
        }
        for (index, first) in plan.repeatOf.enumerated() {
            guard let first, case .committed(let report, let replay) = plan.answers[first] else { continue }
            plan.answers[index] = replay.map { .replayed($0) } ?? .committed(report, replay: nil)
        }
    }

    /// The commit is durable: the caches may remember what it created.
    private func publish(_ outcome: Outcome) {
        phases.add(outcome.phases)
        for (slot, entries) in outcome.entities.enumerated() {
            for (name, id) in entries { entityIDs[slot][name] = id }
        }
        itemCache.insert(outcome.items)
        for (number, block) in outcome.blocks { blockCache.insert(number, block) }
        if outcome.commits > 0 { lastCommit = outcome.commits }
    }
}
