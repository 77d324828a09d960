import RastroCore
import RastroStore

/// `rastro returns`: failed delivery attempts and returns per reason, messenger or work centre, from the cells'
/// summaries (which count them per reason).
public struct ReturnsReport: Sendable {
    public var by: GroupBy
    public var window: TimeWindow

    public init(by: GroupBy, window: TimeWindow = .all) {
        self.by = by
        self.window = window
    }

    public struct Row: Sendable, Equatable {
        /// `nil` for scans without a reason (possible only before a reason catalog was installed).
        public var key: String?
        public var failedAttempts: Int
        public var returned: Int
    }

    /// Keys with at least one failed attempt or return, sorted by key; the row without a reason last.
    public func run(_ reader: StoreReader) throws -> [Row] {
        let plan = try reader.plan(window)
        var counts: [UInt32: Incidents] = [:]
        try reader.forEachCellSummary(in: plan, people: by == .messenger) { cell, summary in
            let failed = summary.perEvent[Int(Event.failedAttempt.rawValue)]
            let returned = summary.perEvent[Int(Event.returned.rawValue)]
            guard failed + returned > 0 else { return }
            switch by {
            case .messenger: counts[cell.messenger, default: Incidents()].add(failed, returned)
            case .workCenter: counts[cell.center, default: Incidents()].add(failed, returned)
            case .reason:
                var withReason = Incidents()
                for entry in summary.reasons {
                    counts[entry.reason, default: Incidents()].add(entry.failed, entry.returned)
                    withReason.add(entry.failed, entry.returned)
                }
                if withReason.failed < failed || withReason.returned < returned {
                    counts[0, default: Incidents()].add(failed - withReason.failed, returned - withReason.returned)
                }
            }
        }
        var rows = try counts.map { id, count in
            Row(key: id == 0 && by == .reason ? nil : try reader.name(by.entity, id), failedAttempts: count.failed, returned: count.returned)
        }
        rows.sort { lhs, rhs in
            switch (lhs.key, rhs.key) {
            case (let left?, let right?): left < right
            case (nil, _): false
            case (_, nil): true
            }
        }
        return rows
    }
}

/// Failed attempts and returns of one key.
struct Incidents {
    var failed = 0
    var returned = 0

    mutating func add(_ failed: Int, _ returned: Int) {
        self.failed += failed
        self.returned += returned
    }
}
