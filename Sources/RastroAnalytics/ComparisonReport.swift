import RastroStore

/// `rastro compare`: each key's productivity metrics with its rank in the group and its ratio to the group median.
public struct ComparisonReport: Sendable {
    /// The metrics compared, in column order.
    public static let metrics = [
        "scans", "picked_up", "delivered", "failed_attempts", "returned", "active_hours", "deliveries_per_active_hour",
    ]

    public var by: GroupBy
    /// The keys to compare; `nil` compares every key with a scan in the window.
    public var keys: [String]?
    public var window: TimeWindow

    public init(by: GroupBy, keys: [String]? = nil, window: TimeWindow = .all) {
        precondition(by != .reason, "compare is by messenger or work centre")
        self.by = by
        self.keys = keys
        self.window = window
    }

    public struct Row: Sendable, Equatable {
        public var key: String
        /// In the order of ``ComparisonReport/metrics``.
        public var values: [Double]
        /// 1 for the largest value of the group; equal values share a rank (1, 2, 2, 4).
        public var ranks: [Int]
        /// The value divided by the group's median; `nil` when the median is 0.
        public var ratios: [Double?]
    }

    /// Rows sorted by key.
    public func run(_ reader: StoreReader) throws -> [Row] {
        let tallies = try ProductivityReport(by: by, window: window).tally(reader)
        var byKey: [UInt32: Productivity] = [:]
        for (slot, productivity) in tallies { byKey[UInt32(truncatingIfNeeded: slot)] = productivity }
        var group: [(name: String, productivity: Productivity)] = []
        if let keys {
            for name in Set(keys) {
                let id = try reader.requireID(by.entity, name)
                group.append((name, byKey[id] ?? Productivity()))
            }
        } else {
            for (id, productivity) in byKey { group.append((try reader.name(by.entity, id), productivity)) }
        }
        group.sort { $0.name < $1.name }
        let values = group.map { entry -> [Double] in
            let p = entry.productivity
            return [
                Double(p.scans), Double(p.pickedUp), Double(p.delivered), Double(p.failedAttempts), Double(p.returned),
                p.activeHours, p.deliveriesPerActiveHour,
            ]
        }
        var rows = group.enumerated().map { Row(key: $0.element.name, values: values[$0.offset], ranks: [], ratios: []) }
        for metric in Self.metrics.indices {
            let column = values.map { $0[metric] }
            let median = Self.median(column)
            for index in rows.indices {
                let value = column[index]
                rows[index].ranks.append(1 + column.count { $0 > value })
                rows[index].ratios.append(median == 0 ? nil : value / median)
            }
        }
        return rows
    }

    /// The middle value, or the mean of the two middle values of an even count.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
