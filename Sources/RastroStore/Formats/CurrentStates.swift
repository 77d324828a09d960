import RastroCore
import RastroPrimitives

/// An item whose latest scan is of the key's event on the key's day.
public struct CurrentRecord: Sendable, Hashable, Comparable {
    /// UTC milliseconds of the latest scan.
    public var time: Int64
    public var item: UInt32
    public var center: UInt32
    public var messenger: UInt32

    public init(time: Int64, item: UInt32, center: UInt32, messenger: UInt32) {
        self.time = time
        self.item = item
        self.center = center
        self.messenger = messenger
    }

    public static func < (lhs: CurrentRecord, rhs: CurrentRecord) -> Bool {
        (lhs.time, lhs.item, lhs.center, lhs.messenger) < (rhs.time, rhs.item, rhs.center, rhs.messenger)
    }

}

extension CurrentRecord: FastHashable {
    /// A commit removing items from a list looks up every record of the list among the removals (``KeyIndex``).
    public var fastHash: UInt64 {
        FastHash.combine(FastHash.mix(UInt64(bitPattern: time)), UInt64(item) << 32 | UInt64(center) ^ UInt64(messenger) << 16)
    }
}

/// The items whose current state is one event, grouped by the local day of their latest scan: what `overdue` reads.
/// See docs/storage.md §5.7.
public enum CurrentStates {
    public static func key(event: Event, day: UInt32) -> Key {
        var key = Key()
        key.append(event.rawValue)
        key.append(bigEndian: day)
        return key
    }

    public static func encode(_ records: [CurrentRecord], dayStart: Int64, into writer: ByteWriter) {
        writer.varint(records.count)
        var previousTime = dayStart
        var previousItem: Int64 = 0
        for record in records {
            writer.varint(TimeDelta.encode(record.time - previousTime))
            writer.zigzag(Int64(record.item) - previousItem)
            writer.varint(record.center)
            writer.varint(record.messenger)
            previousTime = record.time
            previousItem = Int64(record.item)
        }
    }

    /// Calls `body` with the item of each record whose time is at or after `notBefore`, without building records:
    /// what a question about "scanned again since" needs from a whole day's list.
    public static func forEachItem(
        _ value: ByteView, dayStart: Int64, notBefore: Int64, _ body: (UInt32) -> Void
    ) throws(StoreCorruption) {
        var reader = ByteReader(value)
        let count = try reader.count(maximum: 1 << 30)
        var time = dayStart
        var item: Int64 = 0
        for _ in 0..<count {
            time &+= TimeDelta.decode(try reader.varint())
            item &+= try reader.zigzag()
            try reader.skipVarint()
            try reader.skipVarint()
            guard item >= 0 && item <= Int64(UInt32.max) else { throw StoreCorruption("current-state item \(item)") }
            if time >= notBefore { body(UInt32(truncatingIfNeeded: item)) }
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in current states") }
    }

    public static func decode(_ value: ByteView, dayStart: Int64, into records: inout [CurrentRecord]) throws(StoreCorruption) {
        var reader = ByteReader(value)
        // A record takes at least two bytes: a damaged count cannot reserve more than the value could hold.
        let count = try reader.count(maximum: value.count / 2)
        var time = dayStart
        var item: Int64 = 0
        records.reserveCapacity(records.count + count)
        for _ in 0..<count {
            time &+= TimeDelta.decode(try reader.varint())
            item &+= try reader.zigzag()
            guard item >= 0 && item <= Int64(UInt32.max) else { throw StoreCorruption("current-state item \(item)") }
            records.append(CurrentRecord(time: time, item: UInt32(item), center: try reader.varint32(), messenger: try reader.varint32()))
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in current states") }
    }
}

/// The items scanned on one local day, sorted, each with the events it was scanned with that day, packed as
/// `item << 8 | events` (bit `event`). See docs/storage.md §5.8.
public enum TouchedItems {
    public static func encode(_ items: [UInt64], into writer: ByteWriter) {
        writer.varint(items.count)
        var previous: UInt64 = 0
        for packed in items {
            let item = packed >> 8
            writer.varint(item - previous)
            writer.byte(UInt8(truncatingIfNeeded: packed))
            previous = item
        }
    }

    /// Appends the packed `item << 8 | events` values.
    public static func decode(_ value: ByteView, into items: inout [UInt64]) throws(StoreCorruption) {
        // Sized once from the leading count (a day's list holds up to hundreds of thousands of items).
        var header = ByteReader(value)
        if let count = try? header.count(maximum: value.count) { items.reserveCapacity(items.count + count) }
        try forEach(value, below: 1 << 32) { item, events in items.append(UInt64(item) << 8 | UInt64(events)) }
    }

    /// Calls `body` with each item of an encoded list, ascending, and its events, without building an array. Every
    /// item must be below `limit` (a larger one is corrupt and thrown as such), so `body` may index a table of
    /// `limit` entries without checking.
    @inlinable
    public static func forEach(
        _ value: ByteView, below limit: UInt64, _ body: (_ item: UInt32, _ events: UInt8) -> Void
    ) throws(StoreCorruption) {
        var reader = ByteReader(value)
        let count = try reader.count(maximum: 1 << 32)
        var item: UInt64 = 0
        for _ in 0..<count {
            item &+= try reader.varint()
            guard item < limit else { throw StoreCorruption("item \(item) beyond the item counter \(limit)") }
            body(UInt32(truncatingIfNeeded: item), try reader.byte())
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in touched items") }
    }

    /// Two sorted packed lists as one; an item in both gets the union of its events.
    static func merge(_ stored: [UInt64], _ added: [UInt64]) -> [UInt64] {
        var result: [UInt64] = []
        result.reserveCapacity(stored.count + added.count)
        var left = 0
        var right = 0
        while left < stored.count || right < added.count {
            let next: UInt64
            if right == added.count || (left < stored.count && stored[left] >> 8 < added[right] >> 8) {
                next = stored[left]
                left += 1
            } else if left == stored.count || added[right] >> 8 < stored[left] >> 8 {
                next = added[right]
                right += 1
            } else {
                next = stored[left] | added[right]
                left += 1
                right += 1
            }
            if let last = result.last, last >> 8 == next >> 8 {
                result[result.count - 1] = last | next
            } else {
                result.append(next)
            }
        }
        return result
    }
}
