import RastroCore
import RastroStore

/// `rastro overdue`: items whose state at an instant is one event and whose latest scan is at least some time old —
/// the stuck items a supervisor chases.
///
/// The `current` index holds every item's latest scan by (event, day), sorted by time, so the items in state E since
/// before a cutoff are a prefix of E's days. At an instant in the past, items scanned on or after that instant's day
/// may have been in another state then: those (the `touched` lists of the days since) are decided from their
/// timelines instead.
public struct OverdueReport: Sendable {
    public var event: Event
    public var olderThanMilliseconds: Int64
    /// UTC milliseconds.
    public var at: Int64
    public var center: String?

    public init(event: Event, olderThanMilliseconds: Int64, at: Int64, center: String? = nil) {
        self.event = event
        self.olderThanMilliseconds = olderThanMilliseconds
        self.at = at
        self.center = center
    }

    public struct Row: Sendable, Equatable {
        public var trackingID: String
        public var event: Event
        public var scannedAt: Int64
        public var messenger: String
        public var workCenter: String
        /// `at − scannedAt`, milliseconds.
        public var ageMilliseconds: Int64
    }

    /// Oldest first (ties by tracking id).
    public func run(_ reader: StoreReader) throws -> [Row] {
        let centerID = try center.map { try reader.requireID(.workCenter, $0) }
        let cutoff = at - olderThanMilliseconds
        var zone = reader.zone
        let atDay = UInt32(clamping: max(0, Int64(zone.day(ofUTC: at))))
        let cutoffDay = UInt32(clamping: max(0, Int64(zone.day(ofUTC: cutoff))))
        var found: [(item: UInt32, time: Int64, center: UInt32, messenger: UInt32)] = []
        // An item whose latest scan of all is an E scan before both the cutoff and the instant was in E at the
        // instant and still is: the `current` index lists exactly those, oldest first.
        try reader.forEachCurrent(event: event, days: 0..<(cutoffDay + 1)) { _, records in
            for record in records where record.time <= cutoff && record.time < at && (centerID == nil || record.center == centerID) {
                found.append((record.item, record.time, record.center, record.messenger))
            }
        }
        // The others were scanned again at or after the instant (their latest scan is then): of those, the ones
        // scanned with E by the cutoff's day may have been in E at the instant, and their timelines decide. Sets of
        // item ids are bitsets (ids are dense).
        var candidates: [UInt32] = []
        if let days = try reader.dayRange(), days.upperBound >= atDay {
            let capacity = try reader.counters().nextItem
            var later = ItemSet(capacity: capacity)
            try reader.forEachItemScannedSince(at) { later.insert($0) }
            let bit = UInt64(1) << event.rawValue
            var seen = ItemSet(capacity: capacity)
            try reader.forEachTouchedEvents(days: 0..<(min(cutoffDay, atDay) + 1)) { _, items in
                for packed in items where packed & bit != 0 {
                    let item = UInt32(truncatingIfNeeded: packed >> 8)
                    if later.contains(item) && seen.insert(item) { candidates.append(item) }
                }
            }
            candidates.sort()
        }
        var names: [UInt32: String] = [:]
        try reader.forEachTimeline(items: candidates) { item, trackingID, timeline in
            // The latest scan before the instant; timeline order puts the later arrival last among equal times.
            guard let last = timeline.lastIndex(where: { $0.scannedAt < at }) else { return }
            let scan = timeline[last]
            guard scan.event == event, scan.scannedAt <= cutoff, centerID == nil || scan.workCenter == centerID else { return }
            found.append((item, scan.scannedAt, scan.workCenter, scan.messenger))
            names[item] = trackingID
        }
        let missing = found.map(\.item).filter { names[$0] == nil }.sorted()
        try reader.forEachTrackingID(items: missing) { item, trackingID in names[item] = trackingID }
        var rows = try found.map { entry in
            Row(
                trackingID: names[entry.item] ?? "", event: event, scannedAt: entry.time,
                messenger: try reader.name(.messenger, entry.messenger), workCenter: try reader.name(.workCenter, entry.center),
                ageMilliseconds: at - entry.time)
        }
        rows.sort { $0.scannedAt != $1.scannedAt ? $0.scannedAt < $1.scannedAt : $0.trackingID < $1.trackingID }
        return rows
    }
}

/// A set of item ids as a bitset: ids are dense from 0, so a million items cost 128 KB and a lookup one load.
struct ItemSet {
    private var words: [UInt64] = []

    /// A set sized for item ids below `capacity` up front (it still grows past it).
    init(capacity: UInt32 = 0) {
        words = [UInt64](repeating: 0, count: Int(capacity >> 6) + 1)
    }

    /// Inserts `item`; `false` when it was there already.
    @discardableResult
    mutating func insert(_ item: UInt32) -> Bool {
        let word = Int(item >> 6)
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: max(word + 1 - words.count, words.count))) }
        let mask = UInt64(1) << UInt64(item & 63)
        if words[word] & mask != 0 { return false }
        words[word] |= mask
        return true
    }

    func contains(_ item: UInt32) -> Bool {
        let word = Int(item >> 6)
        return word < words.count && words[word] & (UInt64(1) << UInt64(item & 63)) != 0
    }
}
