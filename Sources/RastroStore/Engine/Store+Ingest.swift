#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore

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
        pthread_mutex_lock(writerLock)
        defer { pthread_mutex_unlock(writerLock) }
        var sessionPhases = IngestPhases()
        var staged: (entities: [[InlineBytes: UInt32]], items: [(name: InlineBytes, id: UInt32)], blocks: [(number: UInt32, block: TraceBlock)], commits: UInt64) = ([], [], [], 0)
        var useItemCache = true
        var report = IngestReport()
        while true {
            do {
                report = try environment.write { transaction in
                    // The closure may run again after the map grows: it starts from the buffers, never from a prior
                    // attempt.
                    var session = try WriteSession(
                        store: self, transaction: transaction, batch: batch,
                        buffers: sessionBuffers.take() ?? WriteSessionBuffers(), useItemCache: useItemCache)
                    defer { sessionBuffers = session.buffers }
                    try session.run()
                    staged = (session.stagedEntities, session.stagedItems, session.stagedBlocks, session.counters.commits)
                    sessionPhases = session.phases
                    sessionPhases.seconds[sessionPhases.seconds.count - 1] = -IngestPhases.now()
                    return session.report
                }
                break
            } catch is ItemCacheCollision {
                // Two tracking ids share a 64-bit hash: redo this commit with every item id from the database.
                itemCache.removeAll()
                useItemCache = false
            }
        }
        sessionPhases.seconds[sessionPhases.seconds.count - 1] += IngestPhases.now()
        for index in sessionPhases.seconds.indices { phases.seconds[index] += sessionPhases.seconds[index] }
        phases.commits += 1
        phases.blocksRewritten += sessionPhases.blocksRewritten
        phases.scansRewritten += sessionPhases.scansRewritten
        for part in 0..<phases.timelineParts.count { phases.timelineParts[part] += sessionPhases.timelineParts[part] }
        for part in 0..<phases.indexParts.count { phases.indexParts[part] += sessionPhases.indexParts[part] }
        // Durable: now the process may remember what this commit created.
        for (slot, entries) in staged.entities.enumerated() {
            for (name, id) in entries { entityIDs[slot][name] = id }
        }
        for (name, id) in staged.items { itemCache.insert(name, id) }
        for (number, block) in staged.blocks { blockCache.insert(number, block) }
        lastCommit = staged.commits
        return report
    }
}

extension Store {
    /// Test hook: caches a wrong item for a tracking id, as a hash collision would.
    func poisonItemCache(name: String, item: UInt32) {
        itemCache.insert(InlineBytes(name), item)
    }
}

extension Store {
    /// Seconds each block worker spent busy (profiling).
    public var blockWorkerSeconds: [Double] { blockWorkers.map(\.busySeconds) }
}
