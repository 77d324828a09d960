import RastroCore

/// The duration between an item's earliest scan of event A and its earliest scan of B at or after it.
public struct PairFact: Sendable, Equatable {
    /// Local day of the A scan: the window applies to it.
    public var day: UInt32
    /// Work centre and messenger of the B scan: the report's key comes from it.
    public var center: UInt32
    public var messenger: UInt32
    public var durationMilliseconds: Int64
}

/// Every index fact one item's timeline implies (docs/storage.md §3).
///
/// Facts are a pure function of the timeline, so indexing a late scan is: derive the facts before, insert, derive
/// after, apply the difference. The arrays are reused across items; deriving allocates nothing once warm.
struct TimelineFacts {
    /// Per scan, in timeline order: its cell and its cell record, in the first ``count`` elements.
    ///
    /// The arrays only grow and are written through array views (`MutableArrayView`), so that deriving a timeline checks their
    /// uniqueness once, not once per scan and array: `append` calls the runtime's uniqueness check each time.
    var cellKeys: [CellKey] = []
    var records: [CellRecord] = []
    /// Scans derived: the valid prefix of ``cellKeys`` and ``records``.
    private(set) var count = 0
    /// Slot `from * 7 + to` holds the pair fact when bit `slot` of `pairMask` is set.
    var pairs = [PairFact](repeating: PairFact(day: 0, center: 0, messenger: 0, durationMilliseconds: 0), count: 49)
    var pairMask: UInt64 = 0
    /// The latest scan: the item's current state.
    var currentEvent: Event? = nil
    var currentDay: UInt32 = 0
    var current = CurrentRecord(time: 0, item: 0, center: 0, messenger: 0)
    /// Local days with scans, sorted, unique, and for each the events scanned that day (bit `event`).
    var days: [UInt32] = []
    var dayEvents: [UInt8] = []

    init() {
        reserve(32)
        days.reserveCapacity(8)
        dayEvents.reserveCapacity(8)
    }

    /// Makes ``cellKeys`` and ``records`` hold at least `scans` elements.
    private mutating func reserve(_ scans: Int) {
        guard cellKeys.count < scans else { return }
        let size = max(scans, 2 * cellKeys.count)
        cellKeys = [CellKey](repeating: CellKey(day: 0, center: 0, messenger: 0), count: size)
        records = [CellRecord](
            repeating: CellRecord(time: 0, event: .pickedUp, previousEventCode: 0, previousCenter: 0, reason: 0), count: size)
    }

    mutating func derive(_ timeline: ArraySlice<StoredScan>, item: UInt32, zone: inout SiteTimeZone) {
        days.removeAll(keepingCapacity: true)
        dayEvents.removeAll(keepingCapacity: true)
        pairMask = 0
        currentEvent = nil
        count = timeline.count
        guard !timeline.isEmpty else { return }
        reserve(timeline.count)
        var day: UInt32 = 0
        var events: UInt8 = 0
        cellKeys.withMutableArrayView { keys in
            records.withMutableArrayView { records in
                var position = 0
                var previousEventCode: UInt8 = 0
                var previousCenter: UInt32 = 0
                for scan in timeline {
                    let scanDay = UInt32(zone.day(ofUTC: scan.scannedAt))
                    keys[position] = CellKey(day: scanDay, center: scan.workCenter, messenger: scan.messenger)
                    records[position] = CellRecord(
                        time: scan.scannedAt, event: scan.event, previousEventCode: previousEventCode,
                        previousCenter: previousCenter, reason: scan.reason)
                    // Timelines are in time order, so days arrive sorted.
                    if position == 0 || scanDay != day {
                        if position > 0 {
                            days.append(day)
                            dayEvents.append(events)
                        }
                        day = scanDay
                        events = 0
                    }
                    events |= 1 << scan.event.rawValue
                    previousEventCode = scan.event.rawValue + 1
                    previousCenter = scan.workCenter
                    position += 1
                }
            }
        }
        days.append(day)
        dayEvents.append(events)
        let last = timeline.last!
        currentEvent = last.event
        currentDay = day
        current = CurrentRecord(time: last.scannedAt, item: item, center: last.workCenter, messenger: last.messenger)
        derivePairs(timeline)
    }

    /// For each event A present: its earliest scan a; for each other event B, the first scan of B in timeline order
    /// among those at or after a's time.
    private mutating func derivePairs(_ timeline: ArraySlice<StoredScan>) {
        let base = timeline.startIndex
        var earliest = InlineArray<7, Int>(repeating: Int.max)
        var present: UInt8 = 0
        for index in timeline.indices where present & (1 << timeline[index].event.rawValue) == 0 {
            present |= 1 << timeline[index].event.rawValue
            earliest[Int(timeline[index].event.rawValue)] = index
        }
        guard present.nonzeroBitCount > 1 else { return }
        for from in 0..<Event.count where present & (1 << from) != 0 {
            let fromIndex = earliest[from]
            let fromTime = timeline[fromIndex].scannedAt
            let fromDay = cellKeys[fromIndex - base].day
            // Ties in time with scans that arrived earlier still count as "at or after".
            var start = fromIndex
            while start > base && timeline[start - 1].scannedAt == fromTime { start -= 1 }
            var found: UInt8 = 1 << from
            let wanted = present
            var index = start
            while index < timeline.endIndex && found != wanted {
                let scan = timeline[index]
                let to = Int(scan.event.rawValue)
                if found & (1 << to) == 0 {
                    found |= 1 << to
                    let slot = from * Event.count + to
                    pairMask |= 1 << UInt64(slot)
                    pairs[slot] = PairFact(
                        day: fromDay, center: scan.workCenter, messenger: scan.messenger,
                        durationMilliseconds: scan.scannedAt - fromTime)
                }
                index += 1
            }
        }
    }
}
