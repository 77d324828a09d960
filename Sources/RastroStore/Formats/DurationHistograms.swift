import RastroCore
import RastroPrimitives

/// One count of a histogram set: key (a work centre or messenger id), bin, count.
public struct HistogramCell: Sendable, Equatable, Comparable {
    public var key: UInt32
    public var bin: UInt16
    public var count: Int64

    @inlinable
    public init(key: UInt32, bin: UInt16, count: Int64) {
        self.key = key
        self.bin = bin
        self.count = count
    }

    @inlinable
    var order: UInt64 { UInt64(key) << 16 | UInt64(bin) }

    public static func < (lhs: HistogramCell, rhs: HistogramCell) -> Bool { lhs.order < rhs.order }
}

/// The histograms of one (from event, to event, local day of the from-scan, key kind): a flat list of cells sorted
/// by (key, bin). See docs/storage.md §5.6.
public enum DurationHistograms {
    /// Key kinds: the work centre or the messenger of the to-scan.
    public static var byCenter: UInt8 { 0 }
    public static var byMessenger: UInt8 { 1 }

    public static func key(from: UInt8, to: UInt8, day: UInt32, kind: UInt8) -> Key {
        var key = Key()
        key.append(from)
        key.append(to)
        key.append(bigEndian: day)
        key.append(kind)
        return key
    }

    /// Encodes sorted cells with non-zero counts.
    public static func encode(_ cells: [HistogramCell], into writer: ByteWriter) {
        var keys = 0
        var index = 0
        while index < cells.count {
            keys += 1
            let key = cells[index].key
            while index < cells.count && cells[index].key == key { index += 1 }
        }
        writer.varint(keys)
        index = 0
        var previousKey: UInt32 = 0
        while index < cells.count {
            let key = cells[index].key
            var end = index
            while end < cells.count && cells[end].key == key { end += 1 }
            writer.varint(key - previousKey)
            previousKey = key
            writer.varint(end - index)
            var previousBin = 0
            for cell in cells[index..<end] {
                precondition(cell.count > 0, "histogram cell with count \(cell.count)")
                writer.varint(Int(cell.bin) - previousBin)
                writer.varint(UInt64(cell.count))
                previousBin = Int(cell.bin)
            }
            index = end
        }
    }

    public static func decode(_ value: ByteView, into cells: inout [HistogramCell]) throws(StoreCorruption) {
        var reader = ByteReader(value)
        let keys = try reader.count(maximum: 1 << 26)
        var key: UInt32 = 0
        for _ in 0..<keys {
            key &+= try reader.varint32()
            let bins = try reader.count(maximum: 1 << 16)
            var bin = 0
            for _ in 0..<bins {
                bin += try reader.count(maximum: 1 << 16)
                guard bin <= Int(UInt16.max) else { throw StoreCorruption("histogram bin \(bin)") }
                cells.append(HistogramCell(key: key, bin: UInt16(bin), count: Int64(try reader.count(maximum: 1 << 40))))
            }
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in a histogram set") }
    }

    /// Merges sorted `deltas` (counts may be negative) into sorted `cells`, dropping cells that reach zero.
    public static func merge(_ cells: [HistogramCell], _ deltas: [HistogramCell]) throws(StoreCorruption) -> [HistogramCell] {
        var result: [HistogramCell] = []
        result.reserveCapacity(cells.count + deltas.count)
        var left = 0
        var right = 0
        while left < cells.count || right < deltas.count {
            if right == deltas.count || (left < cells.count && cells[left].order < deltas[right].order) {
                result.append(cells[left])
                left += 1
                continue
            }
            var cell = deltas[right]
            right += 1
            if left < cells.count && cells[left].order == cell.order {
                cell.count += cells[left].count
                left += 1
            }
            guard cell.count >= 0 else { throw StoreCorruption("histogram count below zero for key \(cell.key) bin \(cell.bin)") }
            if cell.count > 0 { result.append(cell) }
        }
        return result
    }
}
