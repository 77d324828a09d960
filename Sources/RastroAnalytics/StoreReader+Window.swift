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
    /// skipped.
    func forEachCellSummary(in plan: DayPlan, _ body: (CellKey, CellSummary) throws -> Void) throws {
        if !plan.whole.isEmpty {
            try forEachCellSummary(days: plan.whole, body)
        }
        for edge in plan.edges {
            try forEachCell(days: edge.day..<(edge.day + 1), records: true) { key, _, records in
                if let summary = CellSummary(records, in: edge) { try body(key, summary) }
            }
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
            if scans == 0 { first = record.time }
            last = record.time
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
