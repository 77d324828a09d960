import RastroCore

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

    public static func decode(_ value: UnsafeRawBufferPointer, dayStart: Int64, into records: inout [CurrentRecord]) throws(StoreCorruption) {
        var reader = ByteReader(value)
        let count = try reader.count(maximum: 1 << 30)
        var time = dayStart
        var item: Int64 = 0
        records.reserveCapacity(records.count + count)
        for _ in 0..<count {
            time += TimeDelta.decode(try reader.varint())
            item += try reader.zigzag()
            guard item >= 0 && item <= Int64(UInt32.max) else { throw StoreCorruption("current-state item \(item)") }
            records.append(CurrentRecord(time: time, item: UInt32(item), center: try reader.varint32(), messenger: try reader.varint32()))
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in current states") }
    }
}

/// The ids of the items scanned on one local day, sorted. See docs/storage.md §5.8.
public enum TouchedItems {
    public static func encode(_ items: [UInt32], into writer: ByteWriter) {
        writer.varint(items.count)
        var previous: UInt32 = 0
        for item in items {
            writer.varint(item - previous)
            previous = item
        }
    }

    public static func decode(_ value: UnsafeRawBufferPointer, into items: inout [UInt32]) throws(StoreCorruption) {
        var reader = ByteReader(value)
        let count = try reader.count(maximum: 1 << 32)
        items.reserveCapacity(items.count + count)
        var item: UInt32 = 0
        for _ in 0..<count {
            item &+= try reader.varint32()
            items.append(item)
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in touched items") }
    }
}
