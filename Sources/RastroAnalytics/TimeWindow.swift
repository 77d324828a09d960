import RastroCore

/// The `--from` / `--to` window of a report, applied to `scanned_at`: `[from, to)` in UTC milliseconds, either end
/// open.
public struct TimeWindow: Sendable, Equatable {
    public var from: Int64?
    public var to: Int64?

    public init(from: Int64? = nil, to: Int64? = nil) {
        self.from = from
        self.to = to
    }

    /// The whole history.
    public static var all: TimeWindow { TimeWindow() }

    @inlinable
    public func contains(_ time: Int64) -> Bool {
        if let from, time < from { return false }
        if let to, time >= to { return false }
        return true
    }

    /// How the window covers local days: whole days are answered from per-day summaries, and at most two edge days
    /// (a `--from` or `--to` that is not a local midnight) from their records.
    public func plan(storedDays: ClosedRange<UInt32>?, zone: inout SiteTimeZone) -> DayPlan {
        let empty = DayPlan(whole: 0..<0, edges: [])
        guard let storedDays else { return empty }
        if let from, let to, to <= from { return empty }
        var first = Int64(storedDays.lowerBound)
        var last = Int64(storedDays.upperBound)
        if let from { first = max(first, Int64(zone.day(ofUTC: from))) }
        if let to { last = min(last, Int64(zone.day(ofUTC: to - 1))) }
        guard first <= last, first >= 0 else { return empty }
        var edges: [DaySlice] = []
        var whole = UInt32(first)..<UInt32(last + 1)
        let firstSlice = slice(UInt32(first), zone: &zone)
        if !firstSlice.isWholeDay {
            edges.append(firstSlice.slice)
            whole = whole.dropFirst()
        }
        if last != first {
            let lastSlice = slice(UInt32(last), zone: &zone)
            if !lastSlice.isWholeDay {
                edges.append(lastSlice.slice)
                whole = whole.dropLast()
            }
        }
        return DayPlan(whole: whole, edges: edges)
    }

    private func slice(_ day: UInt32, zone: inout SiteTimeZone) -> (slice: DaySlice, isWholeDay: Bool) {
        let start = zone.startOfDay(Int32(day))
        let end = zone.startOfDay(Int32(day) + 1)
        let slice = DaySlice(day: day, lower: max(start, from ?? start), upper: min(end, to ?? end))
        return (slice, slice.lower == start && slice.upper == end)
    }
}

/// The local days a window covers: a run of whole days, and edge days covered in part.
public struct DayPlan: Sendable, Equatable {
    public var whole: Range<UInt32>
    /// Days covered only in part, with the part: `[lower, upper)` in UTC milliseconds.
    public var edges: [DaySlice]

    /// Every day of the plan in order, with its part when it is an edge.
    public var days: [(day: UInt32, slice: DaySlice?)] {
        var all: [(UInt32, DaySlice?)] = whole.map { ($0, nil) }
        for edge in edges { all.append((edge.day, edge)) }
        return all.sorted { $0.0 < $1.0 }
    }
}

/// One edge day and the part of it inside the window.
public struct DaySlice: Sendable, Equatable {
    public var day: UInt32
    public var lower: Int64
    public var upper: Int64

    @inlinable
    public func contains(_ time: Int64) -> Bool { time >= lower && time < upper }
}
