import RastroCore

extension WriteSession {
    /// Blocks this far behind the newest (131,072 items) are sealed (compressed): their items are rarely scanned again.
    static var hotBlocks: UInt32 { 512 }

    /// Merges the new scans into their items' timelines, block by block, and derives the index changes.
    mutating func updateTimelines() throws {
        var order: [Int] = []
        order.reserveCapacity(batch.count)
        for index in 0..<batch.count {
            switch buffers.status[index] {
            case .new:
                order.append(index)
            case .stored:
                if buffers.items[index] == Self.unknownItem {
                    conflict(index, field: .trackingID, "device \(batch.string(batch.scans[index].device)) seq "
                        + "\(batch.scans[index].seq) is already stored for another tracking id")
                } else {
                    order.append(index)
                }
            default:
                break
            }
        }
        let items = buffers.items
        order.sort { items[$0] != items[$1] ? items[$0] < items[$1] : $0 < $1 }
        var position = 0
        while position < order.count {
            let number = items[order[position]] >> TraceBlock.itemShift
            var end = position
            while end < order.count && items[order[end]] >> TraceBlock.itemShift == number { end += 1 }
            try updateBlock(number, order[position..<end])
            position = end
        }
    }

    mutating func conflict(_ index: Int, field: ScanField?, _ message: String) {
        buffers.status[index] = .conflict
        report.conflicts += 1
        report.problems.append(ScanProblem(index: index, kind: .conflict, field: field, message: message))
    }

    /// Rewrites one trace block with its new scans.
    mutating func updateBlock(_ number: UInt32, _ group: ArraySlice<Int>) throws {
        let key = Key.uint32(number)
        var isNewBlock = true
        var oldBlock = buffers.oldBlock
        var newBlock = buffers.newBlock
        defer {
            buffers.oldBlock = oldBlock
            buffers.newBlock = newBlock
        }
        let zstd = store.writerZstd
        if let cached = store.blockCache.lookup(number) {
            oldBlock = cached
            isNewBlock = false
        } else {
            oldBlock.removeAll(number: number)
            var scratch = buffers.decompressed
            try transaction.withValue(databases.items, key) { value in
                isNewBlock = false
                do {
                    try oldBlock.decode(value, number: number, zstd: zstd, scratch: &scratch)
                } catch let error as StoreCorruption {
                    throw error.located("items", "block \(number)")
                }
            }
            buffers.decompressed = scratch
        }
        newBlock.removeAll(number: number)
        let lastItemIndex = Int(buffers.items[group.last!] - oldBlock.firstItem)
        let itemCount = max(oldBlock.itemCount, lastItemIndex + 1)
        var cursor = group.startIndex
        var changed = false
        for itemIndex in 0..<itemCount {
            let item = oldBlock.firstItem + UInt32(itemIndex)
            let name = itemIndex < oldBlock.itemCount ? oldBlock.names[itemIndex] : newItemNames[Int(item - firstNewItem)]
            let old = itemIndex < oldBlock.itemCount ? oldBlock.timeline(itemIndex) : oldBlock.scans[0..<0]
            var groupEnd = cursor
            while groupEnd < group.endIndex && buffers.items[group[groupEnd]] == item { groupEnd += 1 }
            if groupEnd == cursor {
                newBlock.appendItem(name: name, scans: old)
                continue
            }
            let merged = try updateItem(item, old: old, group[cursor..<groupEnd])
            cursor = groupEnd
            if let merged {
                changed = true
                newBlock.appendItem(name: name, scans: merged)
            } else {
                newBlock.appendItem(name: name, scans: old)
            }
        }
        guard changed else { return }
        phases.blocksRewritten += 1
        phases.scansRewritten += newBlock.scans.count
        let latestBlock = (counters.nextItem &- 1) >> TraceBlock.itemShift
        let cold = number &+ Self.hotBlocks <= latestBlock
        newBlock.encode(into: buffers.encoded, scratch: buffers.writer, zstd: cold ? zstd : nil)
        try transaction.put(databases.items, key, buffers.encoded, append: isNewBlock)
        stagedBlocks.append((number, newBlock))
    }

    /// Settles the scans of one item: resends and conflicts against the stored timeline, then the new scans merged in
    /// timeline order. Returns the new timeline, or `nil` when nothing was added.
    mutating func updateItem(_ item: UInt32, old: ArraySlice<StoredScan>, _ indices: ArraySlice<Int>) throws -> ArraySlice<StoredScan>? {
        buffers.pending.removeAll(keepingCapacity: true)
        for index in indices {
            let incoming = buffers.stored[index]
            if buffers.status[index] == .stored {
                guard let stored = old.first(where: { $0.device == incoming.device && $0.seq == incoming.seq }) else {
                    conflict(index, field: .trackingID, "device \(batch.string(batch.scans[index].device)) seq "
                        + "\(incoming.seq) is already stored for another tracking id")
                    continue
                }
                if let field = incoming.firstDifference(from: stored) {
                    conflict(index, field: field, "device \(batch.string(batch.scans[index].device)) seq \(incoming.seq) "
                        + "is already stored with a different \(field.name)")
                } else {
                    buffers.status[index] = .duplicate
                    report.duplicates += 1
                }
                continue
            }
            buffers.pending.append((incoming, index))
        }
        let room = max(0, store.limits.scansPerItem - old.count)
        if buffers.pending.count > room {
            for (_, index) in buffers.pending[room...] {
                buffers.status[index] = .rejected
                report.rejected += 1
                report.problems.append(
                    ScanProblem(
                        index: index, kind: .rejected, field: .trackingID,
                        message: "\(batch.string(batch.scans[index].trackingID)) already has \(store.limits.scansPerItem) "
                            + "scans, the most one item may have"))
            }
            buffers.pending.removeLast(buffers.pending.count - room)
        }
        guard !buffers.pending.isEmpty else { return nil }
        // Timeline order: scanned_at, then arrival. A stored scan arrived before any of these.
        buffers.pending.sort { $0.scan.scannedAt != $1.scan.scannedAt ? $0.scan.scannedAt < $1.scan.scannedAt : $0.index < $1.index }
        buffers.merged.removeAll(keepingCapacity: true)
        buffers.origin.removeAll(keepingCapacity: true)
        var oldPosition = old.startIndex
        for (scan, index) in buffers.pending {
            while oldPosition < old.endIndex && old[oldPosition].scannedAt <= scan.scannedAt {
                buffers.merged.append(old[oldPosition])
                buffers.origin.append(oldPosition - old.startIndex)
                oldPosition += 1
            }
            buffers.merged.append(scan)
            buffers.origin.append(-1)
            buffers.status[index] = .accepted
            report.accepted += 1
        }
        while oldPosition < old.endIndex {
            buffers.merged.append(old[oldPosition])
            buffers.origin.append(oldPosition - old.startIndex)
            oldPosition += 1
        }
        buffers.before.derive(old, item: item, zone: &zone)
        buffers.after.derive(buffers.merged[...], item: item, zone: &zone)
        buffers.deltas.apply(before: buffers.before, after: buffers.after, origin: buffers.origin, item: item)
        return buffers.merged[...]
    }

    /// Compresses trace blocks and cells that went cold without being rewritten since, a bounded amount per commit.
    mutating func sealColdValues() throws {
        try sealColdBlocks()
        try sealColdCells()
    }

    /// Seals the cells of up to two cold days per commit (a commit rarely advances the newest day by more).
    mutating func sealColdCells() throws {
        guard counters.newestDay > Self.coldDays else { return }
        let coldBelow = counters.newestDay - Self.coldDays
        let zstd = store.writerZstd
        var sealedDays = 0
        while counters.cellsSealedBelow < coldBelow && sealedDays < 2 {
            // Skip empty stretches (the store's first days, or days without scans) in one seek.
            let day = try transaction.withCursor(databases.cells) { cursor -> UInt32? in
                guard let entry = try cursor.seek(atOrAfter: Key.uint32(counters.cellsSealedBelow)) else { return nil }
                return UInt32(bigEndian: entry.key.loadUnaligned(as: UInt32.self))
            }
            guard let day, day < coldBelow else {
                counters.cellsSealedBelow = coldBelow
                break
            }
            var raw: [(Key, [UInt8])] = []
            try transaction.withCursor(databases.cells) { cursor in
                try cursor.forEach(from: Key.uint32(day), before: Key.uint32(day + 1)) { entry in
                    if !SealedValue.isSealed(entry.value) {
                        raw.append((Key(entry.key), Array(entry.value[1...])))
                    }
                    return true
                }
            }
            for (key, payload) in raw {
                buffers.writer.removeAll()
                payload.withUnsafeBytes { buffers.writer.append($0) }
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
        // Enough per commit to keep up with the blocks a large commit creates.
        let limit = min(sealable, counters.sealedBelow + 256)
        let zstd = store.writerZstd
        while counters.sealedBelow < limit {
            let number = counters.sealedBelow
            counters.sealedBelow += 1
            var block = buffers.oldBlock
            var scratch = buffers.decompressed
            let needsSealing = try transaction.withValue(databases.items, Key.uint32(number)) { value -> Bool in
                guard !TraceBlock.isSealed(value) else { return false }
                try block.decode(value, number: number, zstd: zstd, scratch: &scratch)
                return true
            } ?? false
            buffers.decompressed = scratch
            if needsSealing {
                block.encode(into: buffers.encoded, scratch: buffers.writer, zstd: zstd)
                try transaction.put(databases.items, Key.uint32(number), buffers.encoded)
            }
            buffers.oldBlock = block
        }
    }
}
