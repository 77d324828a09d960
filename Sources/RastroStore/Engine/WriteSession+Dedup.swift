import RastroCore

extension WriteSession {
    /// Sorts every scan into: a new `(device, seq)`, one already stored, or a repeat of an earlier scan of this batch.
    ///
    /// One `seqs` read per device. A handheld's seqs usually rise through a batch, so repeats inside the batch are
    /// looked for with a hash map only once a device's seqs stop rising.
    mutating func classifyKeys() throws {
        let count = batch.count
        buffers.status.removeAll(keepingCapacity: true)
        buffers.status.append(contentsOf: repeatElement(ScanStatus.new, count: count))
        // Group scans by device, keeping batch order inside each group: `device << 32 | index` sorted as integers
        // (a comparison sort reading `stored[$0].device` at random cost 40 ns per scan more).
        let stored = buffers.stored
        var keys = buffers.keys
        keys.removeAll(keepingCapacity: true)
        for index in 0..<count { keys.append(UInt64(stored[index].device) << 32 | UInt64(index)) }
        RadixSort.sort(&keys, scratch: &buffers.sortScratch)
        buffers.order.removeAll(keepingCapacity: true)
        for key in keys { buffers.order.append(Int(truncatingIfNeeded: key & 0xFFFF_FFFF)) }
        buffers.keys = keys
        var start = 0
        while start < count {
            let device = stored[buffers.order[start]].device
            var end = start
            while end < count && stored[buffers.order[end]].device == device { end += 1 }
            var ranges = SeqRanges()
            if let found = try transaction.withValue(databases.seqs, Key.uint32(device), { bytes -> SeqRanges in
                var decoded = SeqRanges()
                try decoded.decode(bytes)
                return decoded
            }) {
                ranges = found
            }
            var rising = true
            var lastSeq: UInt64 = 0
            var seen: [UInt64: Int] = [:]
            for position in start..<end {
                let index = buffers.order[position]
                let seq = batch.scans[index].seq
                if rising && position > start && seq <= lastSeq {
                    rising = false
                    for earlier in start..<position {
                        let earlierIndex = buffers.order[earlier]
                        let earlierSeq = batch.scans[earlierIndex].seq
                        if seen[earlierSeq] == nil { seen[earlierSeq] = earlierIndex }
                    }
                }
                lastSeq = seq
                // A key already stored is judged against the stored scan, every time it appears: a resend of the
                // stored scan is a duplicate even after a conflicting scan with the same key earlier in this batch
                // (judging it against that refused scan would make the outcome depend on where batches split).
                if ranges.contains(seq) {
                    buffers.status[index] = .stored
                    continue
                }
                if !rising {
                    if let first = seen[seq] {
                        buffers.status[index] = .repeatOf(first)
                        continue
                    }
                    seen[seq] = index
                }
            }
            seqRanges[device] = ranges
            start = end
        }
    }

    /// Decides each repeat against the scan it repeats, now that that scan's fate is known.
    mutating func settleRepeats() {
        for index in 0..<batch.count {
            guard case .repeatOf(let first) = buffers.status[index] else { continue }
            let difference = difference(between: index, and: first)
            switch (difference, buffers.status[first]) {
            case (nil, .accepted), (nil, .duplicate):
                buffers.status[index] = .duplicate
                report.duplicates += 1
            case (nil, _):
                // Same content as a scan that was itself refused: refused for the same reason.
                buffers.status[index] = .conflict
                report.conflicts += 1
                report.problems.append(
                    ScanProblem(
                        index: index, kind: .conflict, field: nil,
                        message: "repeats scan \(first + 1) of this batch, which was not stored"))
            case (let field?, _):
                buffers.status[index] = .conflict
                report.conflicts += 1
                report.problems.append(
                    ScanProblem(
                        index: index, kind: .conflict, field: field,
                        message: "device \(batch.string(batch.scans[index].device)) seq \(batch.scans[index].seq) appears twice "
                            + "in this batch with a different \(field.name)"))
            }
        }
        report.problems.sort { $0.index < $1.index }
    }

    /// The first field in which two scans of the batch differ.
    func difference(between index: Int, and other: Int) -> ScanField? {
        let left = batch.scans[index]
        let right = batch.scans[other]
        if batch.inline(left.trackingID) != batch.inline(right.trackingID) { return .trackingID }
        return buffers.stored[index].firstDifference(from: buffers.stored[other])
    }

    /// Adds the seqs of accepted scans to their devices' ranges and writes the ranges back.
    mutating func writeSeqRanges() throws {
        var changed = Set<UInt32>()
        for index in 0..<batch.count where buffers.status[index] == .accepted {
            let device = buffers.stored[index].device
            seqRanges[device]!.insert(batch.scans[index].seq)
            changed.insert(device)
        }
        for device in changed.sorted() {
            buffers.writer.removeAll()
            seqRanges[device]!.encode(into: buffers.writer)
            try transaction.put(databases.seqs, Key.uint32(device), buffers.writer)
        }
    }
}
