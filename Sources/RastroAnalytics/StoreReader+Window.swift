import RastroCore
import RastroStore

extension StoreReader {
    /// The store's days as a window plans them.
    func plan(_ window: TimeWindow) throws -> DayPlan {
        var zone = self.zone
        return window.plan(storedDays: try dayRange(), zone: &zone)
    }

    /// Calls `body` with each cell's summary restricted to the window: whole days from the stored summaries (records
    /// are skipped unread), edge days from the records inside the window. Cells with no scan in the window are
    /// skipped. Without `people`, one summary per (day, centre) with messenger 0: the centre's whole day, read from
    /// the stored totals.
    func forEachCellSummary(in plan: DayPlan, people: Bool = true, _ body: (CellKey, CellSummary) throws -> Void) throws {
        if !plan.whole.isEmpty {
            try forEachCellSummary(days: plan.whole, people: people) { key, summary in
                if people == (key.messenger != 0) { try body(key, summary) }
            }
        }
        for edge in plan.edges {
            var centerRecords: [CellRecord] = []
            var center: UInt32? = nil
            func flushCenter() throws {
                if let center, let summary = CellSummary(centerRecords, in: edge) {
                    try body(CellKey(day: edge.day, center: center, messenger: 0), summary)
                }
                centerRecords.removeAll(keepingCapacity: true)
            }
            try forEachCell(days: edge.day..<(edge.day + 1), records: true) { key, _, records in
                if people {
                    if let summary = CellSummary(records, in: edge) { try body(key, summary) }
                    return
                }
                // Cells come in (day, centre, messenger) order: a centre's people are consecutive.
                if center != key.center {
                    try flushCenter()
                    center = key.center
                }
                centerRecords.append(contentsOf: records)
            }
            try flushCenter()
        }
    }

    /// Calls `body` with every cell record inside the window, decoding each covered day's records.
    func forEachCellRecord(in plan: DayPlan, _ body: (CellKey, CellRecord) throws -> Void) throws {
        for (day, slice) in plan.days {
            try forEachCell(days: day..<(day + 1), records: true) { key, _, records in
                for record in records where slice?.contains(record.time) ?? true { try body(key, record) }
            }
        }
    }
}

extension CellSummary {
    /// The summary of the records inside `slice`, or `nil` when none is.
    init?(_ records: [CellRecord], in slice: DaySlice) {
        self.init()
        var reasons: [UInt32: (failed: Int, returned: Int)] = [:]
        for record in records where slice.contains(record.time) {
            // Records of several people may be concatenated, so first and last are a minimum and a maximum.
            first = scans == 0 ? record.time : Swift.min(first, record.time)
            last = scans == 0 ? record.time : Swift.max(last, record.time)
            scans += 1
            perEvent[Int(record.event.rawValue)] += 1
            if record.reason != 0 && (record.event == .failedAttempt || record.event == .returned) {
                var entry = reasons[record.reason, default: (0, 0)]
                if record.event == .failedAttempt { entry.failed += 1 } else { entry.returned += 1 }
                reasons[record.reason] = entry
            }
        }
        guard scans > 0 else { return nil }
        self.reasons = reasons.sorted { $0.key < $1.key }.map { ($0.key, $0.value.failed, $0.value.returned) }
    }
}
