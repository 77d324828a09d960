import RastroCore
import RastroPrimitives
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

    /// An item found overdue: its latest scan before the instant.
    typealias Found = (item: UInt32, time: Int64, center: UInt32, messenger: UInt32)

    /// Oldest first (ties by tracking id).
    public func run(_ reader: StoreReader) throws -> [Row] {
        let centerID = try center.map { try reader.requireID(.workCenter, $0) }
        let cutoff = at - olderThanMilliseconds
        var zone = reader.zone
        let atDay = UInt32(clamping: max(0, Int64(zone.day(ofUTC: at))))
        let cutoffDay = UInt32(clamping: max(0, Int64(zone.day(ofUTC: cutoff))))
        var found: [Found] = []
        // An item whose latest scan of all is an E scan before both the cutoff and the instant was in E at the
        // instant and still is: the `current` index lists exactly those, oldest first.
        try reader.forEachCurrent(event: event, days: 0..<(cutoffDay + 1)) { _, records in
            for record in records where record.time <= cutoff && record.time < at && (centerID == nil || record.center == centerID) {
                found.append((record.item, record.time, record.center, record.messenger))
            }
        }
        // The others were scanned again at or after the instant (their latest scan is then), and only their
        // timelines can say which scan was their latest before it. Those timelines are the cost of this question, so
        // the per-day `touched` lists rule out every candidate they can first.
        let candidates = try laterCandidates(reader, cutoffDay: cutoffDay, atDay: atDay)
        var names: [UInt32: String] = [:]
        typealias Part = (found: [Found], names: [(UInt32, String)])
        let parts = try reader.reduceTimelines(items: candidates, into: Part([], [])) { part, item, trackingID, timeline in
            // The latest scan before the instant; timeline order puts the later arrival last among equal times.
            guard let last = timeline.lastIndex(where: { $0.scannedAt < at }) else { return }
            let scan = timeline[last]
            guard scan.event == event, scan.scannedAt <= cutoff, centerID == nil || scan.workCenter == centerID else { return }
            part.found.append((item, scan.scannedAt, scan.workCenter, scan.messenger))
            part.names.append((item, trackingID))
        }
        for part in parts {
            found += part.found
            for (item, trackingID) in part.names { names[item] = trackingID }
        }
        let missing = found.map(\.item).filter { names[$0] == nil }.sorted()
        for part in try reader.reduceTimelines(items: missing, into: [(UInt32, String)](), { part, item, trackingID, _ in part.append((item, trackingID)) }) {
            for (item, trackingID) in part { names[item] = trackingID }
        }
        var rows = try found.map { entry in
            Row(
                trackingID: names[entry.item] ?? "", event: event, scannedAt: entry.time,
                messenger: try reader.name(.messenger, entry.messenger), workCenter: try reader.name(.workCenter, entry.center),
                ageMilliseconds: at - entry.time)
        }
        rows.sort { $0.scannedAt != $1.scannedAt ? $0.scannedAt < $1.scannedAt : $0.trackingID < $1.trackingID }
        return rows
    }

    /// The items scanned at or after the instant whose latest scan before it may be an E scan by the cutoff, sorted.
    ///
    /// Sets of item ids are bitsets and arrays indexed by item id (ids are dense). An item is ruled out, without its
    /// timeline, when
    /// - it was scanned on a day strictly between the cutoff's day and the instant's: that scan is after the cutoff
    ///   and before the instant;
    /// - or, when the cutoff falls on an earlier day than the instant, the last day up to the cutoff's on which it was
    ///   scanned saw no E scan: its latest scan before the instant is then on that day and not E, or after the cutoff.
    /// The `touched` lists after the instant's day and those up to the cutoff's are decoded at the same time, on two
    /// cores.
    func laterCandidates(_ reader: StoreReader, cutoffDay: UInt32, atDay: UInt32) throws -> [UInt32] {
        guard let days = try reader.dayRange(), days.upperBound >= atDay else { return [] }
        // The items whose latest scan is at or after the instant: those whose latest scan, on the instant's day, is at
        // or after it (the `current` lists of that day), and those scanned on a later day than the instant's.
        var onInstantDay: [UInt32] = []
        try reader.forEachItemScannedSince(at, throughDay: atDay) { onInstantDay.append($0) }
        if atDay == days.upperBound && onInstantDay.isEmpty { return [] }
        let capacity = try reader.counters().nextItem
        var later = ItemSet(capacity: capacity)
        // The events of each item's last day up to the cutoff's, overwritten in day order (or all of its events when
        // the cutoff and the instant fall on the same day, where the day's order says nothing).
        var lastEvents = [UInt8](repeating: 0, count: Int(capacity))
        let sameDay = cutoffDay >= atDay
        try later.withWords { words in
            try lastEvents.withMutableArrayView { lastEvents throws in
                try reader.forEachTouchedList(
                    days: atDay < days.upperBound ? (atDay + 1)..<(days.upperBound + 1) : 0..<0,
                    { list in
                        try list.forEach(below: capacity) { item, _ in words[Int(item >> 6)] |= 1 << (item & 63) }
                    },
                    alongside: 0..<(cutoffDay + 1),
                    { list in
                        try list.forEach(below: capacity) { item, events in
                            lastEvents[Int(item)] = sameDay ? lastEvents[Int(item)] | events : events
                        }
                    })
            }
        }
        for item in onInstantDay { later.insert(item) }
        if cutoffDay + 1 < atDay {
            try reader.forEachTouchedEvents(days: (cutoffDay + 1)..<atDay) { _, items in
                for packed in items { later.remove(UInt32(truncatingIfNeeded: packed >> 8)) }
            }
        }
        let bit = UInt8(1) << event.rawValue
        var candidates: [UInt32] = []
        later.forEach { item in
            if lastEvents[Int(item)] & bit != 0 { candidates.append(item) }
        }
        return candidates
    }
}
