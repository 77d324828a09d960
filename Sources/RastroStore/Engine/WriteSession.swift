import RastroCore

/// Buffers the writer keeps between commits so that a steady stream of batches allocates almost nothing.
struct WriteSessionBuffers {
    /// Every scan of the batch in stored form (identifiers resolved to ids).
    var stored: [StoredScan] = []
    var items: [UInt32] = []
    var hashes: [UInt64] = []
    /// The batch's names the item cache did not answer, and each scan's name's ordinal among them (-1: answered).
    var names = BatchNames()
    var nameOrdinals: [Int32] = []
    var keys: [UInt64] = []
    /// ``WriteSession/markRepeats(_:)``'s keys (``keys`` holds the device order meanwhile).
    var repeatKeys: [UInt64] = []
    /// Scratch space of ``RadixSort``.
    var sortScratch: [UInt64] = []
    var status: [ScanStatus] = []
    /// Batch indexes grouped by device (``WriteSession/classifyKeys()``), and where each device's group ends.
    var order: [Int] = []
    /// Each scan's seq, in batch order.
    var seqs: [UInt64] = []
    var deviceRuns: [(device: UInt32, end: Int)] = []
    /// The block workers' index changes, grouped by key, from the block phase to the index step.
    var deltas = MergedDeltas()
    /// Scratch of the writer's own decoding and encoding (the block workers and ``IndexWork`` have theirs).
    var oldBlock = TraceBlock(number: 0)
    let encoded = ByteWriter(reservingCapacity: 64 << 10)
    let writer = ByteWriter(reservingCapacity: 64 << 10)
    var decompressed: [UInt8] = []
}

/// A scan on its way into its item's timeline, gathered in item order for the block phase.
struct WorkScan {
    var scan: StoredScan
    var index: Int
    var item: UInt32
    /// Its `(device, seq)` is already stored (status `.stored`): a resend or a conflict. Read here, with the scan, in
    /// the gather's overlapping loads: read by the block workers, in item order, that one-byte status was a third of
    /// `updateItem`'s own time (`perf annotate`). It fits in the padding: 72 bytes either way.
    var isStored: Bool
    /// Its item came from the item cache, a 64-bit hash's answer: the block worker checks it against the item's name
    /// (every other answer compared names already). Also in the padding.
    var checksName: Bool
}

/// The sort key of the block phase's work: item id in the high 32 bits, the scan's batch index in the next 31, and
/// in the lowest bit whether the scan's item must be checked. The low 32 bits ascend with the index, so keys appended
/// in batch order keep ``RadixSort``'s promise (`presortedLowBits: 32`): sorting groups the scans by item, each item's
/// in arrival order.
enum WorkKey {
    static var maximumIndex: Int { 0x7FFF_FFFF }

    @inline(__always)
    static func make(item: UInt32, index: Int, checksName: Bool) -> UInt64 {
        UInt64(item) << 32 | UInt64(truncatingIfNeeded: index) << 1 | (checksName ? 1 : 0)
    }

    @inline(__always)
    static func item(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key >> 32) }

    @inline(__always)
    static func index(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key & 0xFFFF_FFFF) >> 1) }

    @inline(__always)
    static func checksName(_ key: UInt64) -> Bool { key & 1 != 0 }
}

/// Where a scan of the batch stands during a commit.
///
/// One byte, no payload: the block workers read it for every scan in item order, that is at random, and a 240,000-
/// scan commit's statuses then stay in the level-2 cache (at 16 bytes each, with the repeated scan's index as a
/// payload, they did not, and that read was 70 % of `updateItem`'s own time).
enum ScanStatus: UInt8, Equatable {
    /// Its `(device, seq)` is new: it will be stored.
    case new
    /// Its `(device, seq)` is already stored: a resend or a conflict, decided against the stored timeline.
    case stored
    /// Same `(device, seq)` as an earlier scan of this batch, whose index ``WriteSession/repeats`` holds.
    case repeated
    case accepted
    case duplicate
    case conflict
    case rejected
}

/// One attempt at committing one batch: every step of docs/storage.md §3–4, inside one write transaction.
///
/// The session changes nothing outside the transaction; what the process may cache afterwards (new identifiers,
/// new items) is staged and published by ``Store/ingest(_:)`` only once the commit is durable.
struct WriteSession {
    let store: Store
    let transaction: Transaction
    let databases: StoreDatabases
    let batch: ScanBatch
    var zone: SiteTimeZone
    var counters: Counters
    var buffers: WriteSessionBuffers
    var report = IngestReport()
    var phases = IngestPhases()
    /// Identifiers and items first seen in this commit, published to the caches after it.
    var stagedEntities: [[InlineBytes: UInt32]] = Array(repeating: [:], count: EntityKind.allCases.count)
    var stagedItems: [(name: InlineBytes, id: UInt32)] = []
    /// For each ``ScanStatus/repeated`` scan, the index of the earlier scan of the batch it repeats.
    var repeats: [Int: Int] = [:]
    /// Dedup ranges of the devices in this batch, written back at the end.
    var seqRanges: [UInt32: SeqRanges] = [:]
    /// Blocks this commit wrote, decoded: cached once the commit is durable.
    var stagedBlocks: [(number: UInt32, block: TraceBlock)] = []
    /// Names of items created by this commit, in id order.
    var newItemNames: [InlineBytes] = []
    /// The ordinals (in the batch's ``BatchNames``) of the names looked up in `names`, in name order: the new ones
    /// among them are what ``insertNames()`` inserts.
    var lookedUpNames: [Int32] = []
    let firstNewItem: UInt32
    /// Whether item ids may come from the process's cache (off when retrying after an ``ItemCacheCollision``).
    let useItemCache: Bool

    init(store: Store, transaction: Transaction, batch: ScanBatch, buffers: WriteSessionBuffers, useItemCache: Bool) throws {
        self.useItemCache = useItemCache
        self.store = store
        self.transaction = transaction
        self.databases = store.databases
        self.batch = batch
        self.zone = store.zone
        self.buffers = buffers
        self.counters = try store.counters(in: transaction)
        self.firstNewItem = counters.nextItem
        // An attempt aborted by MDB_MAP_FULL leaves its accumulators in the reused buffers: start from nothing.
        self.buffers.deltas = MergedDeltas()
    }

    /// The report of the scans `range` of the batch, with problem indexes counted from the range's start.
    func report(for range: Range<Int>) -> IngestReport {
        var report = IngestReport()
        for index in range {
            switch buffers.status[index] {
            case .accepted: report.accepted += 1
            case .duplicate: report.duplicates += 1
            case .conflict: report.conflicts += 1
            case .rejected: report.rejected += 1
            default: break
            }
        }
        for problem in self.report.problems where range.contains(problem.index) {
            var moved = problem
            moved.index -= range.lowerBound
            report.problems.append(moved)
        }
        return report
    }

    /// Runs every step; the caller commits.
    mutating func run() throws {
        let count = batch.count
        guard count > 0 else { return }
        if counters.writerToken != store.writerToken || counters.commits != store.lastCommit {
            // Another process wrote since our last commit (or we never did): our decoded blocks may be stale.
            store.blockCache.removeAll()
        }
        var clock = IngestPhases.now()
        func lap(_ phase: Int) {
            let now = IngestPhases.now()
            phases.seconds[phase] += now - clock
            clock = now
        }
        try resolveEntities()
        lap(0)
        try classifyKeys()
        lap(1)
        try resolveItems()
        lap(2)
        try updateTimelines()
        settleRepeats()
        lap(3)
        // Cells, current states and durations merge on the helper thread while the steps that need the transaction
        // (and do not touch those databases) run here; then this thread helps with what is left, and writes it all.
        let indexWork = try prepareIndexWork()
        let participants = store.indexParticipants
        for participant in participants { participant.reset() }
        lap(4)
        var failure: (any Error)? = nil
        store.helper.run(background: { indexWork.work(as: participants[1]) }) {
            do {
                let started = IngestPhases.now()
                try applyDayStateDeltas()
                let between = IngestPhases.now()
                try applyTouchedDeltas()
                phases.indexParts[1] += between - started
                phases.indexParts[4] += IngestPhases.now() - between
                lap(4)
                try writeSeqRanges()
                lap(5)
                try insertNames()
                lap(6)
                try sealColdBlocks()
                lap(7)
            } catch {
                failure = error
                return
            }
            indexWork.work(as: participants[0])
        }
        if let failure { throw failure }
        try storeIndexWork(indexWork, participants)
        lap(4)
        // After the cells are written: it seals what they hold now.
        try sealColdCells()
        lap(7)
        counters.accepted += UInt64(report.accepted)
        counters.duplicates += UInt64(report.duplicates)
        counters.conflicts += UInt64(report.conflicts)
        counters.rejected += UInt64(report.rejected)
        counters.writerToken = store.writerToken
        counters.commits += 1
        buffers.writer.removeAll()
        counters.encode(into: buffers.writer)
        try transaction.put(databases.meta, MetaKey.key(MetaKey.counters), buffers.writer)
    }
}
