import RastroCore
import RastroPrimitives

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
        try requireWriter().ingest(requests, now: now)
    }

    /// Where this process's commits spent their time (`--phases`).
    public var phases: IngestPhases { writer?.phasesSoFar ?? IngestPhases() }

    /// Seconds each block worker spent busy (`--phases`).
    public var blockWorkerSeconds: [Double] { writer?.blockWorkerSeconds ?? [] }

    /// The answer stored with the batch committed under `key` (as its request's `encodeReplay` made it), or `nil`.
    public func storedAnswer(_ key: ReplayKey) throws -> [UInt8]? {
        let databases = self.databases
        return try environment.read { transaction in
            try transaction.withValue(databases.replays, key.key) { value -> [UInt8] in
                var reader = ByteReader(value)
                _ = try reader.zigzag()
                return Array(value[reader.position...])
            }
        }
    }

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

    func requireWriter() throws -> Writer {
        guard let writer else { throw StoreError("\(directory) is open read-only: it takes no scans") }
        return writer
    }

    /// Test hook: caches a wrong item for a tracking id, as a hash collision would.
    func poisonItemCache(name: String, item: UInt32) {
        writer!.withSerialAccess { $0.itemCache.insert(InlineBytes(name), item) }
    }

    /// Test hook: every tracking id hashes to `hash` from now on.
    func hashEveryName(to hash: UInt64) {
        writer!.withSerialAccess { $0.itemCache.hasher.fixedForTesting = hash }
    }
}
