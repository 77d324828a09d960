import RastroCore
import RastroPrimitives

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
    /// the gather's overlapping loads, because the block workers would read it in item order, at random, one cache
    /// miss each. It fits in the padding: 72 bytes either way.
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
/// One byte, no payload: the block workers read it for every scan in item order, that is at random, and a large
/// commit's statuses then stay in the level-2 cache, which 16-byte statuses carrying a payload would not.
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
/// new items) is staged and published by ``Writer`` only once the commit is durable. It borrows the writer's
/// threads, workers and caches, on the writer's thread, inside the writer's lock.
struct WriteSession {
    let writer: Writer
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

    init(writer: Writer, transaction: Transaction, batch: ScanBatch, buffers: WriteSessionBuffers, useItemCache: Bool) throws {
        writer.assertSerialised()
        self.useItemCache = useItemCache
        self.writer = writer
        self.transaction = transaction
        self.databases = writer.databases
        self.batch = batch
        self.zone = writer.zone
        self.buffers = buffers
        self.counters = try writer.databases.counters(in: transaction)
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

    /// Runs every stage, top to bottom; the caller commits.
    mutating func run() throws {
        guard batch.count > 0 else { return }
        if counters.writerToken != writer.token || counters.commits != writer.lastCommit {
            // Another process wrote since our last commit (or we never did): our decoded blocks may be stale.
            writer.blockCache.removeAll()
        }
        var stopwatch = Stopwatch()
        try resolveEntities()
        stopwatch.lap(.entities, into: &phases.stages)
        try classifyKeys()
        stopwatch.lap(.dedup, into: &phases.stages)
        try resolveItems()
        stopwatch.lap(.items, into: &phases.stages)
        try updateTimelines()
        settleRepeats()
        stopwatch.lap(.timelines, into: &phases.stages)
        try writeIndexesAndSeal(&stopwatch)
        try writeCounters()
    }

    /// The index stage, overlapped with the stages that need the transaction but not the index databases: the helper
    /// thread merges cells, durations and current states while this thread writes day states, touched days, seq
    /// ranges and names and seals cold blocks; then this thread helps merge what is left, and writes it all.
    private mutating func writeIndexesAndSeal(_ stopwatch: inout Stopwatch) throws {
        let indexWork = try prepareIndexWork()
        let participants = writer.indexParticipants
        for participant in participants { participant.reset() }
        stopwatch.lap(.indexes, into: &phases.stages)
        var failure: (any Error)? = nil
        writer.helper.run(background: { indexWork.work(as: participants[1]) }) {
            do {
                var parts = Stopwatch()
                try applyDayStateDeltas()
                parts.lap(.dayStates, into: &phases.indexes)
                try applyTouchedDeltas()
                parts.lap(.touched, into: &phases.indexes)
                stopwatch.lap(.indexes, into: &phases.stages)
                try writeSeqRanges()
                stopwatch.lap(.seqRanges, into: &phases.stages)
                try insertNames()
                stopwatch.lap(.names, into: &phases.stages)
                try sealColdBlocks()
                stopwatch.lap(.sealing, into: &phases.stages)
            } catch {
                failure = error
                return
            }
            indexWork.work(as: participants[0])
        }
        if let failure { throw failure }
        try storeIndexWork(indexWork, participants)
        stopwatch.lap(.indexes, into: &phases.stages)
        // After the cells are written: it seals what they hold now.
        try sealColdCells()
        stopwatch.lap(.sealing, into: &phases.stages)
    }

    /// The store's counters, with this commit's.
    private mutating func writeCounters() throws {
        counters.accepted += UInt64(report.accepted)
        counters.duplicates += UInt64(report.duplicates)
        counters.conflicts += UInt64(report.conflicts)
        counters.rejected += UInt64(report.rejected)
        counters.writerToken = writer.token
        counters.commits += 1
        buffers.writer.removeAll()
        counters.encode(into: buffers.writer)
        try transaction.put(databases.meta, MetaKey.key(MetaKey.counters), buffers.writer)
    }
}
