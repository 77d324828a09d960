import RastroCore
import RastroPrimitives

extension WriteSession {
    /// Sorts every scan into: a new `(device, seq)`, one already stored, or a repeat of an earlier scan of this batch.
    ///
    /// One `seqs` read per device. A handheld's seqs usually rise through a batch, so repeats inside the batch are
    /// looked for (``markRepeats(_:)``) only for a device whose seqs do not.
    mutating func classifyKeys() throws {
        let count = batch.count
        buffers.status.removeAll(keepingCapacity: true)
        buffers.status.append(contentsOf: repeatElement(ScanStatus.new, count: count))
        // Group scans by device, keeping batch order inside each group: `device << 32 | index` sorted as integers
        // (a comparison sort would read `stored[$0].device` at random).
        let stored = buffers.stored
        var keys = buffers.keys
        keys.removeAll(keepingCapacity: true)
        for index in 0..<count { keys.append(UInt64(stored[index].device) << 32 | UInt64(index)) }
        RadixSort.sort(&keys, scratch: &buffers.sortScratch, presortedLowBits: 32)
        defer { buffers.keys = keys }
        buffers.order.removeAll(keepingCapacity: true)
        for key in keys { buffers.order.append(Int(truncatingIfNeeded: key & 0xFFFF_FFFF)) }
        // Each scan's seq in batch order (a sequential read of the scans), so that reading them in device order below
        // is a random read of 8-byte entries rather than of 80-byte scans.
        var seqs = buffers.seqs
        seqs.removeAll(keepingCapacity: true)
        for scan in batch.scans { seqs.append(scan.seq) }
        buffers.seqs = seqs  // Shared, not copied: neither changes until the next commit.
        buffers.deviceRuns.removeAll(keepingCapacity: true)
        var start = 0
        while start < count {
            // The sorted keys give each scan's device in order, without reading the scans again.
            let device = UInt32(truncatingIfNeeded: keys[start] >> 32)
            var end = start
            while end < count && UInt32(truncatingIfNeeded: keys[end] >> 32) == device { end += 1 }
            var ranges = SeqRanges()
            if let found = try transaction.withValue(databases.seqs, Key.uint32(device), { bytes -> SeqRanges in
                var decoded = SeqRanges()
                try decoded.decode(bytes)
                return decoded
            }) {
                ranges = found
            }
            // Stored keys first. A handheld's seqs usually rise through a batch, and then nothing repeats.
            var rising = true
            var lastSeq: UInt64 = 0
            for position in start..<end {
                let index = buffers.order[position]
                let seq = seqs[index]
                if position > start && seq <= lastSeq { rising = false }
                lastSeq = seq
                // A key already stored is judged against the stored scan, every time it appears: a resend of the
                // stored scan is a duplicate even after a conflicting scan with the same key earlier in this batch
                // (judging it against that refused scan would make the outcome depend on where batches split).
                if ranges.contains(seq) { buffers.status[index] = .stored }
            }
            if !rising { markRepeats(buffers.order[start..<end]) }
            seqRanges[device] = ranges
            buffers.deviceRuns.append((device, end))
            start = end
        }
    }

    /// Marks every scan of one device whose seq an earlier scan of the batch already has as a repeat of that scan.
    ///
    /// Sorting the scans by (seq, batch index) puts repeats next to the scan they repeat. Batches coalesced from
    /// several connections interleave a device's scans, so this is the common case for `rastrod`, where a hash map
    /// would be probed per scan. Seqs are packed beside the batch index into one integer for ``RadixSort`` when they span less
    /// than 2^40 (they are a handheld's counter); otherwise a comparison sort does it.
    mutating func markRepeats(_ positions: ArraySlice<Int>) {
        var low = UInt64.max
        var high: UInt64 = 0
        for index in positions where buffers.status[index] == .new {
            let seq = buffers.seqs[index]
            low = min(low, seq)
            high = max(high, seq)
        }
        guard low <= high else { return }
        var keys = buffers.repeatKeys
        keys.removeAll(keepingCapacity: true)
        defer { buffers.repeatKeys = keys }
        if high - low < 1 << 40 && batch.count <= 1 << 24 {
            for index in positions where buffers.status[index] == .new {
                keys.append((buffers.seqs[index] - low) << 24 | UInt64(index))
            }
            // `positions` ascend (batch order within the device), and so do the keys' low 24 bits.
            RadixSort.sort(&keys, scratch: &buffers.sortScratch, presortedLowBits: 24)
            var first = -1
            var firstSeq: UInt64 = 0
            for key in keys {
                let index = Int(truncatingIfNeeded: key & 0xFF_FFFF)
                let seq = key >> 24
                if first >= 0 && seq == firstSeq {
                    buffers.status[index] = .repeated
                    repeats[index] = first
                } else {
                    first = index
                    firstSeq = seq
                }
            }
        } else {
            var pairs = positions.filter { buffers.status[$0] == .new }.map { (seq: batch.scans[$0].seq, index: $0) }
            pairs.sort { $0.seq != $1.seq ? $0.seq < $1.seq : $0.index < $1.index }
            var start = 0
            while start < pairs.count {
                var end = start + 1
                while end < pairs.count && pairs[end].seq == pairs[start].seq {
                    buffers.status[pairs[end].index] = .repeated
                    repeats[pairs[end].index] = pairs[start].index
                    end += 1
                }
                start = end
            }
        }
    }

    /// Decides each repeat against the scan it repeats, now that that scan's fate is known.
    mutating func settleRepeats() {
        for index in repeats.keys.sorted() {
            let first = repeats[index]!
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
    ///
    /// Device by device, in the order ``classifyKeys()`` grouped the scans (devices ascending): one dictionary access
    /// per device rather than two hash lookups per scan, and the seqs read from their dense copy.
    mutating func writeSeqRanges() throws {
        var start = 0
        for (device, end) in buffers.deviceRuns {
            defer { start = end }
            var ranges = seqRanges.removeValue(forKey: device) ?? SeqRanges()
            var changed = false
            for position in start..<end where buffers.status[buffers.order[position]] == .accepted {
                ranges.insert(buffers.seqs[buffers.order[position]])
                changed = true
            }
            guard changed else { continue }
            buffers.writer.removeAll()
            ranges.encode(into: buffers.writer)
            try transaction.put(databases.seqs, Key.uint32(device), buffers.writer)
        }
    }
}
