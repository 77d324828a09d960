import RastroCore
import RastroStore

/// `rastro states`: how many items are in each (work centre, event) state at an instant — each item's state being
/// its latest scan strictly before that instant (ties: the later arrival).
///
/// The `daystates` index holds, per local day, how many items entered and left each state; the count at instant T
/// is the sum over the days before T's day, plus the cell records of T's own day that are before T (each record
/// enters its state and leaves the state of the item's previous scan). One day's records at most are decoded.
public struct StateReport: Sendable {
    public var center: String?
    /// UTC milliseconds.
    public var at: Int64

    public init(center: String? = nil, at: Int64) {
        self.center = center
        self.at = at
    }

    public struct Row: Sendable, Equatable {
        public var workCenter: String
        public var event: Event
        public var count: Int64
    }

    /// Non-empty states sorted by work centre, then event.
    public func run(_ reader: StoreReader) throws -> [Row] {
        let centerID = try center.map { try reader.requireID(.workCenter, $0) }
        var zone = reader.zone
        let day = UInt32(clamping: max(0, Int64(zone.day(ofUTC: at))))
        // Count per (centre << 3 | event).
        var counts: [UInt64: Int64] = [:]
        try reader.forEachDayStates(days: 0..<day) { _, entries in
            for entry in entries {
                counts[UInt64(entry.center) << 3 | UInt64(entry.event.rawValue), default: 0] += entry.entries - entry.exits
            }
        }
        try reader.forEachCell(days: day..<(day + 1), records: true) { cell, _, records in
            for record in records where record.time < at {
                counts[UInt64(cell.center) << 3 | UInt64(record.event.rawValue), default: 0] += 1
                if let previous = record.previousEvent {
                    counts[UInt64(record.previousCenter) << 3 | UInt64(previous.rawValue), default: 0] -= 1
                }
            }
        }
        var rows: [Row] = []
        for (slot, count) in counts where count != 0 {
            let center = UInt32(slot >> 3)
            if let centerID, center != centerID { continue }
            rows.append(Row(workCenter: try reader.name(.workCenter, center), event: Event(rawValue: UInt8(slot & 7))!, count: count))
        }
        rows.sort { $0.workCenter != $1.workCenter ? $0.workCenter < $1.workCenter : $0.event < $1.event }
        return rows
    }
}
