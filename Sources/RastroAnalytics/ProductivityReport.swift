import RastroCore
import RastroStore

/// What one key (a messenger or a work centre) did in one time bucket.
public struct Productivity: Sendable, Equatable {
    public var scans = 0
    public var pickedUp = 0
    public var delivered = 0
    public var failedAttempts = 0
    public var returned = 0
    /// The sum over local days of (last − first `scanned_at` of the key's scans that day).
    public var activeMilliseconds: Int64 = 0

    public init() {}

    public var activeHours: Double { Double(activeMilliseconds) / 3_600_000 }

    /// Deliveries per active hour; 0 when the key was never active for a measurable time.
    public var deliveriesPerActiveHour: Double { activeMilliseconds == 0 ? 0 : Double(delivered) / activeHours }

    mutating func add(_ summary: CellSummary) {
        scans += summary.scans
        pickedUp += summary.perEvent[Int(Event.pickedUp.rawValue)]
        delivered += summary.perEvent[Int(Event.delivered.rawValue)]
        failedAttempts += summary.perEvent[Int(Event.failedAttempt.rawValue)]
        returned += summary.perEvent[Int(Event.returned.rawValue)]
    }
}

/// One row of `rastro productivity`.
public struct ProductivityRow: Sendable, Equatable {
    public var key: String
    /// The bucket's label; `nil` for `--bucket total`.
    public var bucket: String?
    public var productivity: Productivity
}

/// `rastro productivity`: scans, events and active time per messenger or work centre, from the cells' summaries.
///
/// Whole days cost one read of each (day, centre) cell's summaries; an edge day cut by a timestamp decodes that day's
/// records. Nothing here reads trace blocks.
public struct ProductivityReport: Sendable {
    public var by: GroupBy
    public var center: String?
    public var bucket: Bucket
    public var window: TimeWindow

    public init(by: GroupBy, center: String? = nil, bucket: Bucket = .total, window: TimeWindow = .all) {
        precondition(by != .reason, "productivity is by messenger or work centre")
        self.by = by
        self.center = center
        self.bucket = bucket
        self.window = window
    }

    /// Rows sorted by key, then bucket.
    public func run(_ reader: StoreReader) throws -> [ProductivityRow] {
        let tallies = try tally(reader)
        var rows: [(name: String, bucket: Int, row: ProductivityRow)] = []
        rows.reserveCapacity(tallies.count)
        for (packed, productivity) in tallies {
            let name = try reader.name(by.entity, UInt32(truncatingIfNeeded: packed))
            let index = Int(truncatingIfNeeded: Int64(bitPattern: packed) >> 32)
            rows.append((name, index, ProductivityRow(key: name, bucket: bucket.label(index), productivity: productivity)))
        }
        // Identifiers are ASCII, so String order is byte order.
        rows.sort { $0.name != $1.name ? $0.name < $1.name : $0.bucket < $1.bucket }
        return rows.map(\.row)
    }

    /// Productivity per (bucket index << 32 | key id).
    func tally(_ reader: StoreReader) throws -> [UInt64: Productivity] {
        let centerID = try center.map { try reader.requireID(.workCenter, $0) }
        let plan = try reader.plan(window)
        var tallies: [UInt64: Productivity] = [:]
        // First and last scan per (day, key): a messenger's day spans every centre they scanned at.
        var spans: [UInt64: (first: Int64, last: Int64)] = [:]
        let byMessenger = by == .messenger
        // A centre's day is its stored total; a messenger's needs the people's summaries.
        try reader.forEachCellSummary(in: plan, people: byMessenger) { cell, summary in
            if let centerID, cell.center != centerID { return }
            let key = byMessenger ? cell.messenger : cell.center
            let slot = UInt64(UInt32(truncatingIfNeeded: bucket.index(of: cell.day))) << 32 | UInt64(key)
            tallies[slot, default: Productivity()].add(summary)
            let dayKey = UInt64(cell.day) << 32 | UInt64(key)
            if let span = spans[dayKey] {
                spans[dayKey] = (min(span.first, summary.first), max(span.last, summary.last))
            } else {
                spans[dayKey] = (summary.first, summary.last)
            }
        }
        for (dayKey, span) in spans {
            let day = UInt32(dayKey >> 32)
            let slot = UInt64(UInt32(truncatingIfNeeded: bucket.index(of: day))) << 32 | (dayKey & 0xFFFF_FFFF)
            tallies[slot]!.activeMilliseconds += span.last - span.first
        }
        return tallies
    }
}
