import RastroCore
import RastroPrimitives

/// The seqs of one device already stored, as sorted, disjoint, non-adjacent inclusive ranges: the dedup key of
/// every scan that device ever sent. Handhelds count up, so a device usually has one range. See docs/storage.md §5.3.
public struct SeqRanges: Sendable, Equatable {
    public var starts: [UInt64] = []
    public var ends: [UInt64] = []

    public init() {}

    public var count: Int { starts.count }

    /// The index of the range holding `seq`, or `nil`.
    @inlinable
    public func range(containing seq: UInt64) -> Int? {
        guard let last = ends.last else { return nil }
        if seq > last { return nil }  // The common case: a handheld's next scan.
        let low = ends.partitioningIndex { $0 >= seq }
        return low < starts.count && starts[low] <= seq ? low : nil
    }

    @inlinable
    public func contains(_ seq: UInt64) -> Bool { range(containing: seq) != nil }

    /// Adds `seq` (already known to be absent), merging with neighbouring ranges.
    public mutating func insert(_ seq: UInt64) {
        if let last = ends.last, seq > last {
            if seq == last &+ 1 && last != .max { ends[ends.count - 1] = seq } else {
                starts.append(seq)
                ends.append(seq)
            }
            return
        }
        let low = ends.partitioningIndex { $0 >= seq }
        // Range `low` is the first ending at or after seq (and starts after it, since seq is absent).
        let joinsPrevious = low > 0 && ends[low - 1] &+ 1 == seq
        let joinsNext = low < starts.count && seq &+ 1 == starts[low]
        switch (joinsPrevious, joinsNext) {
        case (true, true):
            ends[low - 1] = ends[low]
            starts.remove(at: low)
            ends.remove(at: low)
        case (true, false):
            ends[low - 1] = seq
        case (false, true):
            starts[low] = seq
        case (false, false):
            starts.insert(seq, at: low)
            ends.insert(seq, at: low)
        }
    }

    public func encode(into writer: ByteWriter) {
        writer.varint(starts.count)
        var previousEnd: UInt64 = 0
        for index in starts.indices {
            writer.varint(starts[index] &- previousEnd)
            writer.varint(ends[index] &- starts[index])
            previousEnd = ends[index]
        }
    }

    public mutating func decode(_ value: ByteView) throws(StoreCorruption) {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var reader = ByteReader(value)
        let count = try reader.count(maximum: 1 << 28)
        var previousEnd: UInt64 = 0
        for _ in 0..<count {
            let start = previousEnd &+ (try reader.varint())
            let end = start &+ (try reader.varint())
            starts.append(start)
            ends.append(end)
            previousEnd = end
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in seq ranges") }
    }
}
