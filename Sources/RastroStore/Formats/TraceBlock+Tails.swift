import RastroCore
import RastroPrimitives

/// Tails: a block's later scans appended to its stored value instead of the whole block being encoded again.
///
/// Items are scanned over a few days, so a hot block is touched by several commits, and encoding it whole each time
/// encoded every stored scan again; a late scan for a cold item cost a whole block decompressed, encoded and
/// compressed again. A tail holds only one commit's new scans of the items it touched. The block is encoded whole
/// again (compacted) when its tails would outgrow ``tailGrowth`` times its base, when it has ``maximumTails``, and when
/// it is sealed.
/// See docs/storage.md §5.1.
///
/// ```
/// tailed: 0xC0  baseLength:varint  base value (checked 0x0C or sealed 0x30; 0x00 or 0x01 before schema 4)  (tailLength:varint  crc32c(tail):u32 BE  tail)*
/// tail:   count:varint  Δposition:varint × count  payload of a block holding those items and their new scans
/// ```
/// Each tail carries its own checksum, so appending one checks only the new bytes. Schema 3 wrote tails without
/// checksums (format 0x02): such a value is read as it is and encoded whole (checked) the next time it is touched.
/// A tail's scans arrived after every scan before it, so a reader merges each item's tail scans into its timeline
/// after the stored scans of equal time: the order the writer gave them.
extension TraceBlock {
    static var tailedFormat: UInt8 { 0xC0 }
    /// Tails without checksums (schema 3): read, never written.
    static var uncheckedTailedFormat: UInt8 { 2 }
    /// Whether a stored value carries tails.
    static func isTailed(_ value: ByteView) -> Bool { value.first == tailedFormat || value.first == uncheckedTailedFormat }
    /// Tails a stored block may carry before it is encoded whole again.
    static var maximumTails: Int { 8 }
    /// How many times its base a raw block's tails may grow to before it is encoded whole again (a sealed base: once).
    ///
    /// A block created by one commit holds its items' first scans; the next commits bring several times as many, so
    /// a smaller bound would encode those blocks whole again every other commit. The tails cost a little space in hot
    /// blocks only, which are encoded whole anyway when sealed.
    static var tailGrowth: Int { 4 }

    /// The shape of a stored block value: how many tails it carries and how large its base and tails are.
    struct Envelope: Equatable, Sendable {
        var tails: Int
        var baseBytes: Int
        var tailBytes: Int
        /// Whether the base is compressed (the block was sealed before its tails).
        var sealedBase: Bool
    }

    /// The envelope of a stored block value (its base is the whole value when it has no tails); `nil` for one that
    /// does not parse.
    static func envelope(of value: ByteView) -> Envelope? {
        guard let format = value.first else { return nil }
        if format == SealedValue.legacyRaw || format == SealedValue.checked || SealedValue.isSealed(value) {
            return Envelope(tails: 0, baseBytes: value.count, tailBytes: 0, sealedBase: SealedValue.isSealed(value))
        }
        guard isTailed(value) else { return nil }
        var reader = ByteReader(value.part(from: 1))
        guard let baseBytes = try? reader.count(maximum: reader.remaining), let base = try? reader.slice(baseBytes) else {
            return nil
        }
        var envelope = Envelope(tails: 0, baseBytes: baseBytes, tailBytes: 0, sealedBase: SealedValue.isSealed(base))
        while !reader.isAtEnd {
            guard let length = try? reader.count(maximum: reader.remaining), (try? reader.slice(length)) != nil else { return nil }
            envelope.tails += 1
            envelope.tailBytes += length
        }
        return envelope
    }

    /// Writes `stored` (a stored block value) followed by one more tail into `output` (replacing its contents):
    /// the items at `positions` (ascending) with the scans in `tail`, whose items are those, in that order.
    /// Returns `false`, writing nothing, when the block should be encoded whole instead (see ``tailGrowth``). A cold
    /// block whose base is still raw is: the sealer would otherwise seal it on the writer's thread, where the block
    /// workers seal it on two. So is a value of schema 3 (raw base, or tails) that carries no checksum yet.
    static func appendTail(
        _ tail: TraceBlock, positions: [Int], to stored: ByteView, cold: Bool, scratch: ByteWriter,
        into output: ByteWriter
    ) -> Bool {
        precondition(tail.itemCount == positions.count && !positions.isEmpty)
        guard stored.first != SealedValue.legacyRaw && stored.first != uncheckedTailedFormat, let envelope = envelope(of: stored),
            envelope.tails < maximumTails, !cold || envelope.sealedBase
        else { return false }
        scratch.removeAll()
        scratch.varint(positions.count)
        var previous = -1
        for position in positions {
            scratch.varint(position - previous - 1)
            previous = position
        }
        tail.encodePayload(into: scratch)
        let growth = envelope.sealedBase ? 1 : tailGrowth
        guard envelope.tailBytes + scratch.count <= growth * envelope.baseBytes else { return false }
        output.removeAll()
        if stored[0] == tailedFormat {
            output.append(stored)
        } else {
            output.byte(tailedFormat)
            output.varint(stored.count)
            output.append(stored)
        }
        output.varint(4 + scratch.count)
        scratch.withBytes { tail in
            output.uint32BigEndian(CRC32C.checksum(tail))
            output.append(tail)
        }
        return true
    }

    /// Decodes a tailed value: the base (decompressed into `scratch` when sealed), then each tail merged in. Errors
    /// are located by ``decode(_:number:zstd:scratch:)``.
    mutating func decodeTailed(_ value: ByteView, zstd: Zstd, scratch: inout [UInt8]) throws {
        let checked = value.first == Self.tailedFormat
        var reader = ByteReader(value.part(from: 1))
        let baseBytes = try reader.count(maximum: reader.remaining)
        let base = try reader.slice(baseBytes)
        guard !Self.isTailed(base) else { throw StoreCorruption("a tailed base") }
        try SealedValue.withPayload(base, zstd: zstd, scratch: &scratch) { payload in try decodePayload(payload) }
        var tail = TraceBlock(number: number)
        var positions: [Int] = []
        var tailIndex = 0
        while !reader.isAtEnd {
            let length = try reader.count(maximum: reader.remaining)
            var tailBytes = try reader.slice(length)
            if checked {
                guard tailBytes.count >= 4 else { throw StoreCorruption("tail \(tailIndex) of \(tailBytes.count) bytes") }
                do {
                    try SealedValue.verify(tailBytes.part(from: 4), against: UInt32(bigEndian: tailBytes.load(at: 0, as: UInt32.self)))
                } catch {
                    throw StoreCorruption("tail \(tailIndex): \(error.message)")
                }
                tailBytes = tailBytes.part(from: 4)
            }
            var tailReader = ByteReader(tailBytes)
            let count = try tailReader.count(maximum: Self.capacity)
            positions.removeAll(keepingCapacity: true)
            var position = -1
            for _ in 0..<count {
                position += 1 + (try tailReader.count(maximum: Self.capacity))
                guard position < Self.capacity else { throw StoreCorruption("tail \(tailIndex) has item position \(position)") }
                positions.append(position)
            }
            tail.removeAll(number: number)
            try tail.decodePayload(tailReader.rest)
            guard tail.itemCount == count else {
                throw StoreCorruption("tail \(tailIndex) lists \(count) positions for \(tail.itemCount) items")
            }
            try merge(tail, at: positions, tailIndex: tailIndex)
            tailIndex += 1
        }
    }

    /// Merges a tail's items into this block: an item already here gets the tail's scans merged into its timeline
    /// (after stored scans of equal time: they arrived later), a new one is appended.
    mutating func merge(_ tail: TraceBlock, at positions: [Int], tailIndex: Int) throws(StoreCorruption) {
        let baseCount = itemCount
        let newCount = max(baseCount, (positions.last ?? -1) + 1)
        var merged: [StoredScan] = []
        merged.reserveCapacity(scans.count + tail.scans.count)
        var mergedStarts: [Int] = [0]
        mergedStarts.reserveCapacity(newCount + 1)
        var next = 0
        for item in 0..<newCount {
            let old = item < baseCount ? timeline(item) : scans[0..<0]
            if next < positions.count && positions[next] == item {
                if item < baseCount {
                    guard names[item] == tail.names[next] else {
                        throw StoreCorruption("tail \(tailIndex) names item \(item) \(tail.names[next].string), not \(names[item].string)")
                    }
                } else {
                    guard item == names.count else { throw StoreCorruption("tail \(tailIndex) skips item \(names.count)") }
                    names.append(tail.names[next])
                }
                var oldPosition = old.startIndex
                for scan in tail.timeline(next) {
                    while oldPosition < old.endIndex && old[oldPosition].scannedAt <= scan.scannedAt {
                        merged.append(old[oldPosition])
                        oldPosition += 1
                    }
                    merged.append(scan)
                }
                merged.append(contentsOf: old[oldPosition...])
                next += 1
            } else {
                guard item < baseCount else { throw StoreCorruption("tail \(tailIndex) skips item \(item)") }
                merged.append(contentsOf: old)
            }
            mergedStarts.append(merged.count)
        }
        scans = merged
        starts = mergedStarts
    }
}
