import RastroCore
import RastroPrimitives

/// Per local day, for each (work centre, event): how many items entered that state and how many left it.
/// The count of items in a state at the start of a day is the sum over earlier days of entries − exits.
/// See docs/storage.md §5.5.
public struct DayStateEntry: Sendable, Equatable {
    public var center: UInt32
    public var event: Event
    public var entries: Int64
    public var exits: Int64

    public init(center: UInt32, event: Event, entries: Int64, exits: Int64) {
        self.center = center
        self.event = event
        self.entries = entries
        self.exits = exits
    }

    var sortKey: UInt64 { UInt64(center) << 8 | UInt64(event.rawValue) }
}

public enum DayStates {
    public static func encode(_ entries: [DayStateEntry], into writer: ByteWriter) {
        writer.varint(entries.count)
        for entry in entries {
            writer.varint(entry.center)
            writer.byte(entry.event.rawValue)
            writer.varint(UInt64(entry.entries))
            writer.varint(UInt64(entry.exits))
        }
    }

    public static func decode(_ value: ByteView, into entries: inout [DayStateEntry]) throws(StoreCorruption) {
        var reader = ByteReader(value)
        let count = try reader.count(maximum: 1 << 24)
        for _ in 0..<count {
            let center = try reader.varint32()
            guard let event = Event(rawValue: try reader.byte()) else { throw StoreCorruption("day state event") }
            entries.append(
                DayStateEntry(center: center, event: event, entries: Int64(try reader.count(maximum: 1 << 40)), exits: Int64(try reader.count(maximum: 1 << 40))))
        }
        guard reader.isAtEnd else { throw StoreCorruption("\(reader.remaining) trailing bytes in day states") }
    }
}
