import RastroCore
import RastroStore

/// `rastro durations`: the time from an item's earliest scan of event A to its earliest scan of event B at or after
/// it, as nearest-rank percentiles per work centre or messenger of the B scan.
///
/// Whole days come from the `durations` histograms the writer keeps per (A, B, day of the A scan, key). Their bins
/// are log-linear with 64 bins per power of two, so every reported percentile and maximum is within 1/128 (0.78 %)
/// of the exact nearest-rank value; counts are exact. An edge day cut by a timestamp is answered from the timelines
/// of the items scanned that day, binned the same way.
public struct DurationReport: Sendable {
    public var fromEvent: Event
    public var toEvent: Event
    /// `nil`: one row for everything.
    public var by: GroupBy?
    public var window: TimeWindow

    public init(from: Event, to: Event, by: GroupBy? = nil, window: TimeWindow = .all) {
        precondition(by != .reason, "durations are by messenger or work centre")
        self.fromEvent = from
        self.toEvent = to
        self.by = by
        self.window = window
    }

    public struct Row: Sendable, Equatable {
        /// The messenger or work centre, or `nil` for the single row without `--by`.
        public var key: String?
        public var count: Int64
        /// Milliseconds.
        public var p50: Int64
        public var p90: Int64
        public var p99: Int64
        public var max: Int64
    }

    /// Rows sorted by key.
    public func run(_ reader: StoreReader) throws -> [Row] {
        guard fromEvent != toEvent else { return [] }
        let plan = try reader.plan(window)
        let kind: UInt8 = by == .messenger ? 1 : 0
        // Bin counts per key id (0 for the single row).
        var histograms = KeyedHistograms()
        let grouped = by != nil
        if !plan.whole.isEmpty {
            try reader.forEachDurationSet(from: fromEvent, to: toEvent, kind: kind, days: plan.whole) { _, cells in
                for cell in cells {
                    histograms.add(key: grouped ? cell.key : 0, bin: Int(cell.bin), count: cell.count)
                }
            }
        }
        for edge in plan.edges {
            try forEachPair(reader, on: edge) { b, duration in
                let key = grouped ? (kind == 1 ? b.messenger : b.workCenter) : 0
                histograms.add(key: key, bin: DurationBins.bin(duration), count: 1)
            }
        }
        var rows: [Row] = []
        for key in histograms.keys {
            let sorted = histograms.bins(key)
            let count = sorted.reduce(0) { $0 + $1.value }
            guard count > 0 else { continue }
            rows.append(
                Row(
                    key: grouped ? try reader.name(by!.entity, key) : nil, count: count,
                    p50: Self.percentile(50, sorted, count: count), p90: Self.percentile(90, sorted, count: count),
                    p99: Self.percentile(99, sorted, count: count), max: DurationBins.representative(sorted.last!.key)))
        }
        rows.sort { ($0.key ?? "") < ($1.key ?? "") }
        return rows
    }

    /// The nearest-rank percentile: the value at rank ⌈p/100 · n⌉ (at least 1) in ascending order.
    static func percentile(_ p: Int64, _ bins: [(key: Int, value: Int64)], count: Int64) -> Int64 {
        let rank = Swift.max(1, (p * count + 99) / 100)
        var seen: Int64 = 0
        for (bin, binCount) in bins {
            seen += binCount
            if seen >= rank { return DurationBins.representative(bin) }
        }
        return DurationBins.representative(bins.last!.key)
    }

    /// The (B scan, duration) of every item whose earliest A scan lies in `slice`.
    func forEachPair(_ reader: StoreReader, on slice: DaySlice, _ body: (StoredScan, Int64) throws -> Void) throws {
        // Only items scanned with event A that day can have their earliest A in the slice.
        var items: [UInt32] = []
        let bit = UInt64(1) << fromEvent.rawValue
        try reader.forEachTouchedEvents(days: slice.day..<(slice.day + 1)) { _, touched in
            for packed in touched where packed & bit != 0 { items.append(UInt32(truncatingIfNeeded: packed >> 8)) }
        }
        // The timelines are decoded on two cores, each half collecting its pairs; `body` then sees them in item order.
        let parts = try reader.reduceTimelines(items: items, into: [(StoredScan, Int64)]()) { pairs, _, _, timeline in
            guard let (a, b) = PairDuration.find(in: timeline, from: fromEvent, to: toEvent) else { return }
            let start = timeline[a].scannedAt
            guard slice.contains(start) else { return }
            pairs.append((timeline[b], timeline[b].scannedAt - start))
        }
        for pairs in parts {
            for (scan, duration) in pairs { try body(scan, duration) }
        }
    }
}

/// The A→B pair of one timeline, by the definition every duration answer uses.
public enum PairDuration {
    /// The index of the item's earliest scan of `from` and of its earliest scan of `to` at or after that time (ties
    /// in time: the earlier arrival, which comes first in timeline order), or `nil` when either is missing.
    public static func find(in timeline: ArraySlice<StoredScan>, from: Event, to: Event) -> (Int, Int)? {
        guard let a = timeline.firstIndex(where: { $0.event == from }) else { return nil }
        let start = timeline[a].scannedAt
        guard let b = timeline.firstIndex(where: { $0.event == to && $0.scannedAt >= start }) else { return nil }
        return (a, b)
    }
}
