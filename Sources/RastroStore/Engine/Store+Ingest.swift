#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore

/// Identifies a batch across reconnections: the token that sent it, the client's session and the batch's number.
public struct ReplayKey: Hashable, Sendable {
    public var token: UInt32
    public var session: UInt64
    public var number: UInt64

    public init(token: UInt32, session: UInt64, number: UInt64) {
        self.token = token
        self.session = session
        self.number = number
    }

    var key: Key {
        var key = Key()
        key.append(bigEndian: token)
        key.append(bigEndian: session)
        key.append(bigEndian: number)
        return key
    }
}

/// One network batch in a group commit.
public struct IngestRequest: Sendable {
    public var batch: ScanBatch
    /// When set, a batch already committed under this key is not ingested again: its stored answer is replayed.
    public var replayKey: ReplayKey?
    /// Encodes the answer to store under `replayKey` (inside the transaction, from the batch's report).
    public var encodeReplay: (@Sendable (IngestReport) -> [UInt8])?
    /// An audit record for the batch; the store fills in its counts.
    public var audit: AuditRecord?

    public init(
        batch: ScanBatch, replayKey: ReplayKey? = nil, encodeReplay: (@Sendable (IngestReport) -> [UInt8])? = nil,
        audit: AuditRecord? = nil
    ) {
        self.batch = batch
        self.replayKey = replayKey
        self.encodeReplay = encodeReplay
        self.audit = audit
    }
}

/// What the store did with one request of a group.
public enum IngestResponse: Sendable {
    /// Ingested in this commit; `replay` is the answer stored for resends.
    case committed(IngestReport, replay: [UInt8]?)
    /// Committed earlier under the same replay key: the answer stored then.
    case replayed([UInt8])
}

extension Store {
    /// Stores a batch of validated scans in one durable transaction and reports what happened to each.
    ///
    /// When this returns, every accepted scan and every index change is on disk: it is safe to acknowledge.
    /// Resends are counted as duplicates and stored once; a `(device, seq)` stored with different content is a
    /// conflict. Late and out-of-order scans are merged into their items' timelines; the indexes afterwards are the
    /// same as if every scan had arrived in `scanned_at` order. Callers keep batches within
    /// ``Limits/scansPerCommit``.
    public func ingest(_ batch: ScanBatch) throws -> IngestReport {
        guard !batch.isEmpty else { return IngestReport() }
        guard case .committed(let report, _) = try ingest([IngestRequest(batch: batch)], now: 0)[0] else {
            preconditionFailure("a request without a replay key is never replayed")
        }
        return report
    }

    /// Group commit: stores many network batches in one durable transaction.
    ///
    /// Each request gets its own report. A request whose replay key was committed before (or appears earlier in the
    /// group) is answered with the stored answer instead of being ingested again; the others' answers are stored under
    /// their keys, and their audit records written, in the same transaction as their scans.
    public func ingest(_ requests: [IngestRequest], now: Int64) throws -> [IngestResponse] {
        pthread_mutex_lock(writerLock)
        defer { pthread_mutex_unlock(writerLock) }
        var sessionPhases = IngestPhases()
        var staged: (entities: [[InlineBytes: UInt32]], items: [(name: InlineBytes, id: UInt32)], blocks: [(number: UInt32, block: TraceBlock)], commits: UInt64) = ([], [], [], 0)
        var useItemCache = true
        var responses: [IngestResponse] = []
        let databases = self.databases
        while true {
            do {
                responses = try environment.write { transaction in
                    // The closure may run again after the map grows: it starts from the buffers, never from a prior
                    // attempt.
                    var answers = [IngestResponse?](repeating: nil, count: requests.count)
                    var firstByKey: [ReplayKey: Int] = [:]
                    var repeatsOf = [Int](repeating: -1, count: requests.count)
                    // Sized once: growing by each request's size would copy the merged scans again per request.
                    var merged = requests.count == 1 ? ScanBatch() : ScanBatch(
                        reservingScans: requests.reduce(0) { $0 + $1.batch.count },
                        bytes: requests.reduce(0) { $0 + $1.batch.bytes.count })
                    var ranges: [Range<Int>] = []
                    for (index, request) in requests.enumerated() {
                        if let key = request.replayKey {
                            if let stored = try transaction.withValue(databases.replays, key.key, { value -> [UInt8] in
                                var reader = ByteReader(value)
                                _ = try reader.zigzag()
                                return Array(value[reader.position...])
                            }) {
                                answers[index] = .replayed(stored)
                                ranges.append(0..<0)
                                continue
                            }
                            if let first = firstByKey[key] {
                                repeatsOf[index] = first
                                ranges.append(0..<0)
                                continue
                            }
                            firstByKey[key] = index
                        }
                        let start = merged.count
                        if requests.count == 1 { merged = request.batch } else { merged.append(contentsOf: request.batch) }
                        ranges.append(start..<merged.count)
                    }
                    var session = try WriteSession(
                        store: self, transaction: transaction, batch: merged,
                        buffers: sessionBuffers.take() ?? WriteSessionBuffers(), useItemCache: useItemCache)
                    defer { sessionBuffers = session.buffers }
                    try session.run()
                    for (index, request) in requests.enumerated() where answers[index] == nil && repeatsOf[index] < 0 {
                        let report = session.report(for: ranges[index])
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
                            try appendAudit(audit, in: transaction)
                        }
                        answers[index] = .committed(report, replay: replay)
                    }
                    for (index, first) in repeatsOf.enumerated() where first >= 0 {
                        if case .committed(let report, let replay) = answers[first]! {
                            answers[index] = replay.map { .replayed($0) } ?? .committed(report, replay: nil)
                        }
                    }
                    staged = (session.stagedEntities, session.stagedItems, session.stagedBlocks, session.counters.commits)
                    sessionPhases = session.phases
                    sessionPhases.scans = merged.count
                    sessionPhases.seconds[sessionPhases.seconds.count - 1] = -IngestPhases.now()
                    return answers.map { $0! }
                }
                break
            } catch is ItemCacheCollision {
                // Two tracking ids share a 64-bit hash: redo this commit with every item id from the database.
                itemCache.removeAll()
                useItemCache = false
            }
        }
        sessionPhases.seconds[sessionPhases.seconds.count - 1] += IngestPhases.now()
        phases.add(sessionPhases)
        // Durable: now the process may remember what this commit created.
        for (slot, entries) in staged.entities.enumerated() {
            for (name, id) in entries { entityIDs[slot][name] = id }
        }
        itemCache.insert(staged.items)
        for (number, block) in staged.blocks { blockCache.insert(number, block) }
        if staged.commits > 0 { lastCommit = staged.commits }
        return responses
    }

    /// Seconds each block worker spent busy (profiling).
    public var blockWorkerSeconds: [Double] { blockWorkers.map(\.busySeconds) }

    /// Deletes the stored answers of batches committed before `cutoff` (UTC milliseconds); returns how many.
    ///
    /// A client resends a batch only while it has no acknowledgement, minutes to hours later; after that a resend is
    /// still exactly-once (its scans are duplicates), it just gets counts of duplicates instead of the original answer.
    @discardableResult
    public func pruneReplays(before cutoff: Int64) throws -> Int {
        let databases = self.databases
        return try environment.write { transaction in
            var old: [Key] = []
            try transaction.withCursor(databases.replays) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    var reader = ByteReader(current.value)
                    if try reader.zigzag() < cutoff { old.append(Key(current.key)) }
                    entry = try cursor.next()
                }
            }
            for key in old { try transaction.delete(databases.replays, key) }
            return old.count
        }
    }

    /// Test hook: caches a wrong item for a tracking id, as a hash collision would.
    func poisonItemCache(name: String, item: UInt32) {
        itemCache.insert(InlineBytes(name), item)
    }

    /// Test hook: every tracking id hashes to `hash` from now on.
    func hashEveryName(to hash: UInt64) {
        itemCache.hasher.fixedForTesting = hash
    }
}
