import RastroCore
import RastroPrimitives
import Synchronization

/// One trace block to rewrite: its new scans (a range of the commit's work array) and its current content.
struct BlockJob {
    var number: UInt32
    var range: Range<Int>
    var oldBlock: TraceBlock
    /// The stored value, pointing into the map: valid until the session's first write after the block phase.
    var stored: ByteView?

    var isNew: Bool { stored == nil }
}

/// The CPU work of rewriting trace blocks, runnable on any thread: settles resends and conflicts against stored
/// timelines, merges new scans in timeline order, derives the index deltas, encodes the blocks.
///
/// A worker owns all its scratch and results; it shares only read-only inputs (the batch, the work array) and the
/// session's status array, in which each scan belongs to exactly one job. LMDB is not touched here: the session reads
/// old blocks before and writes the results after, on the transaction's thread.
final class BlockWorker: @unchecked Sendable {
    // @unchecked Sendable: one thread uses a worker at a time (the writer between commits, then the thread it runs on
    // during the block phase, which the writer waits for); jobs, and so status entries, are claimed atomically.
    struct Output {
        var number: UInt32
        var bytes: Range<Int>
        var isNew: Bool
        var block: TraceBlock
    }

    // Inputs of the current commit.
    var batch = ScanBatch()
    var limits = Limits.default
    var newItemNames: [InlineBytes] = []
    var firstNewItem: UInt32 = 0
    var latestBlock: UInt32 = 0
    var status: MutableArrayView<ScanStatus>? = nil
    var zone: SiteTimeZone

    // Results of the current commit.
    var deltas = CommitDeltas()
    /// ``deltas`` grouped by key, once every job is done.
    var grouped = GroupedDeltas()
    var report = IngestReport()
    var outputs: [Output] = []
    let output = ByteWriter(reservingCapacity: 1 << 20)
    var blocksRewritten = 0
    var scansRewritten = 0
    var tailsAppended = 0
    var scansInTails = 0
    var coldBlocksRewritten = 0
    var coldScansRewritten = 0
    var failure: (any Error)? = nil
    /// Seconds this worker spent processing, over the life of the store (profiling).
    var busySeconds = 0.0

    // Scratch.
    let zstd = Zstd(level: 1)
    let scratch = ByteWriter(reservingCapacity: 64 << 10)
    let encoded = ByteWriter(reservingCapacity: 64 << 10)
    var pending: [(scan: StoredScan, index: Int)] = []
    /// The item's timeline after this commit, in the first ``mergedCount`` elements of ``merged``, and for each of its
    /// scans its position in the stored timeline or -1 (``origin``). Both arrays only grow, and are written through
    /// array views (`MutableArrayView`): an `append` per scan checks the array's uniqueness each time (a runtime call).
    var merged: [StoredScan] = []
    var origin: [Int] = []
    var mergedCount = 0
    /// The timeline after this commit (``merged``'s valid prefix).
    var mergedTimeline: ArraySlice<StoredScan> { merged[0..<mergedCount] }
    var before = TimelineFacts()
    var after = TimelineFacts()
    var newBlock = TraceBlock(number: 0)
    /// This commit's new scans of the block's changed items, and their positions: the tail, when one is written.
    var tail = TraceBlock(number: 0)
    var tailPositions: [Int] = []

    init(zone: SiteTimeZone) { self.zone = zone }

    /// Clears the results and takes the inputs of a new commit.
    func prepare(
        batch: ScanBatch, limits: Limits, newItemNames: [InlineBytes], firstNewItem: UInt32, latestBlock: UInt32
    ) {
        self.batch = batch
        self.limits = limits
        self.newItemNames = newItemNames
        self.firstNewItem = firstNewItem
        self.latestBlock = latestBlock
        deltas.removeAll()
        grouped = GroupedDeltas()
        report = IngestReport()
        outputs.removeAll(keepingCapacity: true)
        output.removeAll()
        blocksRewritten = 0
        scansRewritten = 0
        tailsAppended = 0
        scansInTails = 0
        coldBlocksRewritten = 0
        coldScansRewritten = 0
        failure = nil
    }

    /// Releases the commit's inputs (the batch) once its results are taken.
    func finish() {
        batch = ScanBatch()
        newItemNames = []
        status = nil
        grouped = GroupedDeltas()
    }

    /// Takes jobs from the shared counter until none are left: the two workers balance themselves, whatever the
    /// blocks cost.
    func process(_ jobs: [BlockJob], _ work: [WorkScan], next: borrowing Atomic<Int>) {
        let started = Stopwatch.now()
        defer { busySeconds += Stopwatch.now() - started }
        do {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < jobs.count else { break }
                try rewrite(jobs[index], work[jobs[index].range])
            }
            grouped = deltas.grouped()
        } catch {
            failure = error
        }
    }

    /// Rewrites one trace block with its new scans.
    func rewrite(_ job: BlockJob, _ group: ArraySlice<WorkScan>) throws {
        let oldBlock = job.oldBlock
        newBlock.removeAll(number: job.number)
        let lastItemIndex = Int(group.last!.item - oldBlock.firstItem)
        let itemCount = max(oldBlock.itemCount, lastItemIndex + 1)
        // The previous result was handed to `outputs`, so these arrays start empty: sized once here rather than grown
        // (and copied) by doubling as items are appended.
        newBlock.scans.reserveCapacity(oldBlock.scans.count + group.count)
        newBlock.names.reserveCapacity(itemCount)
        newBlock.starts.reserveCapacity(itemCount + 1)
        try checkNames(group, oldBlock)
        tail.removeAll(number: job.number)
        tailPositions.removeAll(keepingCapacity: true)
        var tailGap = false
        var cursor = group.startIndex
        var changed = false
        for itemIndex in 0..<itemCount {
            let item = oldBlock.firstItem + UInt32(itemIndex)
            let name = self.name(of: item, in: oldBlock)
            let old = itemIndex < oldBlock.itemCount ? oldBlock.timeline(itemIndex) : oldBlock.scans[0..<0]
            var groupEnd = cursor
            while groupEnd < group.endIndex && group[groupEnd].item == item { groupEnd += 1 }
            if groupEnd == cursor {
                newBlock.appendItem(name: name, scans: old)
                continue
            }
            let updated = updateItem(item, old: old, group[cursor..<groupEnd])
            cursor = groupEnd
            if updated {
                changed = true
                newBlock.appendItem(name: name, scans: mergedTimeline)
                if !job.isNew {
                    tailPositions.append(itemIndex)
                    tail.names.append(name)
                    for (scan, source) in zip(mergedTimeline, origin) where source < 0 { tail.scans.append(scan) }
                    tail.starts.append(tail.scans.count)
                }
            } else {
                newBlock.appendItem(name: name, scans: old)
                // A new item left without scans would leave a gap in the tail's positions (never expected: a new
                // item's id is given for a scan it will store); the block is then encoded whole.
                if itemIndex >= oldBlock.itemCount { tailGap = true }
            }
        }
        guard changed else { return }
        let cold = job.number &+ WriteSession.hotBlocks <= latestBlock
        // A stored block gets this commit's new scans as a tail when its envelope has room; otherwise it is encoded
        // whole (sealed when cold), which also drops its tails.
        if let stored = job.stored, !tailGap,
            TraceBlock.appendTail(tail, positions: tailPositions, to: stored, cold: cold, scratch: scratch, into: encoded)
        {
            tailsAppended += 1
            scansInTails += tail.scans.count
        } else {
            blocksRewritten += 1
            scansRewritten += newBlock.scans.count
            if cold {
                coldBlocksRewritten += 1
                coldScansRewritten += newBlock.scans.count
            }
            newBlock.encode(into: encoded, scratch: scratch, zstd: cold ? zstd : nil)
        }
        let start = output.count
        encoded.withBytes { output.append($0) }
        outputs.append(Output(number: job.number, bytes: start..<output.count, isNew: job.isNew, block: newBlock))
    }

    /// An item's tracking id: stored in its block, or first seen in this commit.
    @inline(__always)
    func name(of item: UInt32, in oldBlock: TraceBlock) -> InlineBytes {
        let itemIndex = Int(item - oldBlock.firstItem)
        return itemIndex < oldBlock.itemCount ? oldBlock.names[itemIndex] : newItemNames[Int(item - firstNewItem)]
    }

    /// Item ids may come from a cache of hashes: every scan so answered must name the item it was given.
    ///
    /// Only those scans are read (``WorkScan/checksName``): the write session checked the others in batch order
    /// (``BatchNames/namesMatch(_:ordinals:in:range:)``), where the reads are sequential. The names are read from the
    /// batch here, on the two workers, rather than carried in `WorkScan` through the serial gather. The scans come in
    /// item order, so each read is a cache miss somewhere in the batch: a loop that does nothing else lets the
    /// processor overlap those misses, which the per-item work between them did not.
    func checkNames(_ group: ArraySlice<WorkScan>, _ oldBlock: TraceBlock) throws {
        let matches = batch.bytes.withByteView { bytes in
            var matches = true
            for scan in group where scan.checksName {
                let span = batch.scans[scan.index].trackingID
                let bytes = bytes.part(Int(span.offset)..<Int(span.offset + span.length))
                matches = matches && name(of: scan.item, in: oldBlock).equals(bytes)
            }
            return matches
        }
        if !matches { throw ItemCacheCollision() }
    }

    /// Settles the scans of one item: resends and conflicts against the stored timeline, then the new scans merged in
    /// timeline order into `merged`. Returns whether anything was added.
    func updateItem(_ item: UInt32, old: ArraySlice<StoredScan>, _ scans: ArraySlice<WorkScan>) -> Bool {
        let status = self.status!
        pending.removeAll(keepingCapacity: true)
        for work in scans {
            let index = work.index
            let incoming = work.scan
            if work.isStored {
                guard let stored = old.first(where: { $0.device == incoming.device && $0.seq == incoming.seq }) else {
                    conflict(index, field: .trackingID, "device \(batch.string(batch.scans[index].device)) seq "
                        + "\(incoming.seq) is already stored for another tracking id")
                    continue
                }
                if let field = incoming.firstDifference(from: stored) {
                    conflict(index, field: field, "device \(batch.string(batch.scans[index].device)) seq \(incoming.seq) "
                        + "is already stored with a different \(field.name)")
                } else {
                    status[index] = .duplicate
                    report.duplicates += 1
                }
                continue
            }
            pending.append((incoming, index))
        }
        let room = max(0, limits.scansPerItem - old.count)
        if pending.count > room {
            for (_, index) in pending[room...] {
                status[index] = .rejected
                report.rejected += 1
                report.problems.append(
                    ScanProblem(
                        index: index, kind: .rejected, field: .trackingID,
                        message: "\(batch.string(batch.scans[index].trackingID)) already has \(limits.scansPerItem) "
                            + "scans, the most one item may have"))
            }
            pending.removeLast(pending.count - room)
        }
        guard !pending.isEmpty else { return false }
        // Timeline order: scanned_at, then arrival. A stored scan arrived before any of these.
        if pending.count > 1 {
            pending.sort { $0.scan.scannedAt != $1.scan.scannedAt ? $0.scan.scannedAt < $1.scan.scannedAt : $0.index < $1.index }
        }
        merge(old)
        for (_, index) in pending { status[index] = .accepted }
        report.accepted += pending.count
        before.derive(old, item: item, zone: &zone)
        after.derive(mergedTimeline, item: item, zone: &zone)
        deltas.apply(before: &before, after: &after, origin: &origin, item: item)
        return true
    }

    /// Merges ``pending`` (sorted) into the stored timeline `old`: ``merged`` and ``origin``. A new scan goes after
    /// the stored scans of equal time, which arrived before it.
    private func merge(_ old: ArraySlice<StoredScan>) {
        let total = old.count + pending.count
        if merged.count < total {
            let size = max(total, 2 * merged.count, 64)
            merged.append(contentsOf: repeatElement(pending[0].scan, count: size - merged.count))
            origin.append(contentsOf: repeatElement(-1, count: size - origin.count))
        }
        mergedCount = total
        let pending = self.pending
        merged.withMutableArrayView { merged in
            origin.withMutableArrayView { origin in
                var output = 0
                var oldPosition = old.startIndex
                for (scan, _) in pending {
                    while oldPosition < old.endIndex && old[oldPosition].scannedAt <= scan.scannedAt {
                        merged[output] = old[oldPosition]
                        origin[output] = oldPosition - old.startIndex
                        output += 1
                        oldPosition += 1
                    }
                    merged[output] = scan
                    origin[output] = -1
                    output += 1
                }
                while oldPosition < old.endIndex {
                    merged[output] = old[oldPosition]
                    origin[output] = oldPosition - old.startIndex
                    output += 1
                    oldPosition += 1
                }
            }
        }
    }

    func conflict(_ index: Int, field: ScanField?, _ message: String) {
        status![index] = .conflict
        report.conflicts += 1
        report.problems.append(ScanProblem(index: index, kind: .conflict, field: field, message: message))
    }
}
