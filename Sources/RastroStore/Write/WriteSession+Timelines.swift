import RastroCore
import RastroPrimitives
import Synchronization

extension WriteSession {
    /// Blocks this far behind the newest (131,072 items) are sealed (compressed): their items are rarely scanned again.
    static var hotBlocks: UInt32 { 512 }

    /// Merges the new scans into their items' timelines, block by block, and derives the index changes.
    mutating func updateTimelines() throws {
        var stopwatch = Stopwatch()
        // (item, batch index) packed in one integer: sorting plain integers groups scans by item, in arrival order.
        // The lowest bit marks a scan whose item came from the item cache, the one answer the block workers must
        // check against the item's stored name (``WorkKey``).
        precondition(batch.count <= WorkKey.maximumIndex + 1, "a commit holds at most 2^31 scans")
        var keys = buffers.keys
        keys.removeAll(keepingCapacity: true)
        // -1: the item cache answered (``resolveItems()``).
        let ordinals = buffers.nameOrdinals
        precondition(ordinals.count == batch.count, "resolveItems gives every scan a name ordinal or -1")
        for index in 0..<batch.count {
            switch buffers.status[index] {
            case .new:
                break
            case .stored:
                if buffers.items[index] == Self.unknownItem {
                    conflict(index, field: .trackingID, "device \(batch.string(batch.scans[index].device)) seq "
                        + "\(batch.scans[index].seq) is already stored for another tracking id")
                    continue
                }
            default:
                continue
            }
            keys.append(WorkKey.make(item: buffers.items[index], index: index, checksName: ordinals[index] < 0))
        }
        RadixSort.sort(&keys, scratch: &buffers.sortScratch, presortedLowBits: 32)
        // Gather what the block phase needs into item order in one tight loop: its random reads of the batch are
        // independent, so their cache misses overlap; everything after reads `work` in order. A large commit gathers
        // its two halves on this thread and the helper, idle until the block phase.
        let total = keys.count
        let helper = total >= 65_536 ? writer.helper : nil
        let work = gatherWork(keys, helper: helper)
        buffers.keys = keys
        stopwatch.lap(.gather, into: &phases.timelines)

        // The old content of every touched block, read on this thread (it owns the transaction).
        var jobs: [BlockJob] = []
        var position = 0
        while position < work.count {
            let number = work[position].item >> TraceBlock.itemShift
            var end = position
            while end < work.count && work[end].item >> TraceBlock.itemShift == number { end += 1 }
            let (oldBlock, stored) = try currentBlock(number)
            jobs.append(BlockJob(number: number, range: position..<end, oldBlock: oldBlock, stored: stored))
            position = end
        }
        guard !jobs.isEmpty else { return }
        stopwatch.lap(.fetchBlocks, into: &phases.timelines)

        // Two workers, this thread's and the helper's, each taking the next block until none are left.
        let workers = writer.blockWorkers
        let latestBlock = (counters.nextItem &- 1) >> TraceBlock.itemShift
        for worker in workers {
            worker.prepare(
                batch: batch, limits: writer.limits, newItemNames: newItemNames, firstNewItem: firstNewItem,
                latestBlock: latestBlock)
        }
        let sharedWork = work
        let sharedJobs = jobs
        let next = NextJob()
        buffers.status.withMutableArrayView { status in
            for worker in workers { worker.status = status }
            if sharedJobs.count >= 2 && sharedWork.count >= 256 {
                writer.helper.run(
                    background: { workers[1].process(sharedJobs, sharedWork, next: next.value) },
                    foreground: { workers[0].process(sharedJobs, sharedWork, next: next.value) })
            } else {
                workers[0].process(sharedJobs, sharedWork, next: next.value)
            }
        }
        defer { for worker in workers { worker.finish() } }
        stopwatch.lap(.blockWorkers, into: &phases.timelines)
        for worker in workers { if let failure = worker.failure { throw failure } }

        // Results in block order (each worker's are ascending; merge the two): new blocks append.
        var positions = [0, 0]
        while positions[0] < workers[0].outputs.count || positions[1] < workers[1].outputs.count {
            let take: Int
            if positions[1] == workers[1].outputs.count {
                take = 0
            } else if positions[0] == workers[0].outputs.count {
                take = 1
            } else {
                take = workers[0].outputs[positions[0]].number < workers[1].outputs[positions[1]].number ? 0 : 1
            }
            let worker = workers[take]
            let result = worker.outputs[positions[take]]
            positions[take] += 1
            try worker.output.withBytes { bytes in
                try transaction.put(
                    databases.items, Key.uint32(result.number), bytes.part(result.bytes),
                    append: result.isNew)
            }
            stagedBlocks.append((result.number, result.block))
        }
        buffers.deltas = workers[0].grouped.merged(with: workers[1].grouped)
        for worker in workers {
            report.add(worker.report)
            phases.blocksRewritten += worker.blocksRewritten
            phases.scansRewritten += worker.scansRewritten
            phases.tailsAppended += worker.tailsAppended
            phases.scansInTails += worker.scansInTails
            phases.coldBlocksRewritten += worker.coldBlocksRewritten
            phases.coldScansRewritten += worker.coldScansRewritten
        }
        stopwatch.lap(.putsAndMerge, into: &phases.timelines)
    }

    /// The work array: the scans the sorted `keys` name, gathered in that order (on two threads when `helper` is
    /// given). A function of its own so that its copies of the session's arrays end with it: the block workers write
    /// the statuses next, and a copy still alive would make them copy the array first.
    func gatherWork(_ keys: [UInt64], helper: HelperThread?) -> [WorkScan] {
        let total = keys.count
        let stored = buffers.stored
        let status = buffers.status
        return [WorkScan](initializingEvery: total) { output in
            keys.withArrayView { keys in
                stored.withArrayView { stored in
                    status.withArrayView { status in
                        let gather = { (range: Range<Int>) in
                            Self.gather(range, keys: keys, stored: stored, status: status, into: output)
                        }
                        if let helper {
                            helper.run(background: { gather(total / 2..<total) }, foreground: { gather(0..<total / 2) })
                        } else {
                            gather(0..<total)
                        }
                    }
                }
            }
        }
    }

    /// Initialises `output[range]` with the scans the sorted `keys` name, in that order.
    static func gather(
        _ range: Range<Int>, keys: ArrayView<UInt64>, stored: ArrayView<StoredScan>,
        status: ArrayView<ScanStatus>, into output: ArrayInitializer<WorkScan>
    ) {
        for position in range {
            let key = keys[position]
            let index = WorkKey.index(key)
            output.initialize(
                position,
                to: WorkScan(
                    scan: stored[index], index: index, item: WorkKey.item(key), isStored: status[index] == .stored,
                    checksName: WorkKey.checksName(key)))
        }
    }

    /// A block's content before this commit (from the decoded-block cache, or decoded from the database; empty if
    /// new) and its stored value, to which a tail may be appended. The value points into the map; no write happens
    /// before the block workers are done with it.
    mutating func currentBlock(_ number: UInt32) throws -> (TraceBlock, stored: ByteView?) {
        let stored = try transaction.withValue(databases.items, Key.uint32(number)) { $0 }
        if let cached = writer.blockCache.lookup(number) { return (cached, stored) }
        var block = TraceBlock(number: number)
        guard let stored else { return (block, nil) }
        do {
            try block.decode(stored, number: number, zstd: writer.writerZstd, scratch: &buffers.decompressed)
        } catch {
            throw error.located("items", "block \(number)")
        }
        return (block, stored)
    }

    /// A block's decoded content as it now stands in this transaction, if at hand: rewritten by this commit (the
    /// cache still holds its content before), or cached.
    func currentDecodedBlock(_ number: UInt32) -> TraceBlock? {
        // Staged blocks are in ascending order.
        let low = stagedBlocks.partitioningIndex { $0.number >= number }
        if low < stagedBlocks.count && stagedBlocks[low].number == number { return stagedBlocks[low].block }
        return writer.blockCache.peek(number)
    }

    mutating func conflict(_ index: Int, field: ScanField?, _ message: String) {
        buffers.status[index] = .conflict
        report.conflicts += 1
        report.problems.append(ScanProblem(index: index, kind: .conflict, field: field, message: message))
    }

    /// Seals the cells of up to eight cold days per commit: more than a large commit advances the newest day, so the
    /// sealer keeps up and no cold day stays unsealed.
    mutating func sealColdCells() throws {
        guard counters.newestDay > Self.coldDays else { return }
        let coldBelow = counters.newestDay - Self.coldDays
        let zstd = writer.writerZstd
        var sealedDays = 0
        while counters.cellsSealedBelow < coldBelow && sealedDays < 8 {
            // Skip empty stretches (the store's first days, or days without scans) in one seek.
            let day = try transaction.withCursor(databases.cells) { cursor -> UInt32? in
                guard let entry = try cursor.seek(atOrAfter: Key.uint32(counters.cellsSealedBelow)) else { return nil }
                return UInt32(bigEndian: entry.key.load(at: 0, as: UInt32.self))
            }
            guard let day, day < coldBelow else {
                counters.cellsSealedBelow = coldBelow
                break
            }
            var raw: [(Key, [UInt8])] = []
            var scratch: [UInt8] = []
            try transaction.withCursor(databases.cells) { cursor in
                try cursor.forEach(from: Key.uint32(day), before: Key.uint32(day + 1)) { entry in
                    if !SealedValue.isSealed(entry.value) {
                        do {
                            let payload = try SealedValue.withPayload(entry.value, zstd: zstd, scratch: &scratch) { Array($0) }
                            raw.append((Key(entry.key), payload))
                        } catch let error as StoreCorruption {
                            throw error.located("cells", "day \(day)")
                        }
                    }
                    return true
                }
            }
            for (key, payload) in raw {
                buffers.writer.removeAll()
                buffers.writer.append(payload)
                SealedValue.encode(buffers.writer, into: buffers.encoded, zstd: zstd)
                try transaction.put(databases.cells, key, buffers.encoded)
            }
            counters.cellsSealedBelow = day + 1
            sealedDays += 1
        }
    }

    /// Compresses blocks that left the hot window without being touched since, a few per commit.
    mutating func sealColdBlocks() throws {
        guard counters.nextItem > 0 else { return }
        let latestBlock = (counters.nextItem - 1) >> TraceBlock.itemShift
        guard latestBlock >= Self.hotBlocks else { return }
        let sealable = latestBlock - Self.hotBlocks + 1
        // Enough per commit to keep up with the blocks a large commit creates (a 500,000-scan import commit creates
        // ~370).
        let limit = min(sealable, counters.sealedBelow + 1_024)
        let zstd = writer.writerZstd
        while counters.sealedBelow < limit {
            let number = counters.sealedBelow
            counters.sealedBelow += 1
            var block = buffers.oldBlock
            var scratch = buffers.decompressed
            // A block just out of the hot window is usually still in the decoded-block cache, and its value then
            // carries tails to merge: decoding it again would cost the writer's serial thread. The cached block is
            // encoded as it is; `block`, the writer's own buffer, is only decoded into.
            let cached = currentDecodedBlock(number)
            let needsSealing = try transaction.withValue(databases.items, Key.uint32(number)) { value -> Bool in
                guard !TraceBlock.isSealed(value) else { return false }
                if cached == nil { try block.decode(value, number: number, zstd: zstd, scratch: &scratch) }
                return true
            } ?? false
            buffers.decompressed = scratch
            if needsSealing {
                (cached ?? block).encode(into: buffers.encoded, scratch: buffers.writer, zstd: zstd)
                try transaction.put(databases.items, Key.uint32(number), buffers.encoded)
            }
            buffers.oldBlock = block
        }
    }
}

/// The index of the next block job, shared by the block workers.
final class NextJob: Sendable {
    let value = Atomic<Int>(0)
}
