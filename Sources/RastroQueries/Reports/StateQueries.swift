import RastroAnalytics
import RastroCore
import RastroStore

/// Items per current state: the work centre and event of each item's latest scan before an instant.
public struct StatesQuery: ReportQuery {
    public static let name = "states"
    public static let summary = "Count items by current state: the work centre and event of each item's latest scan before at."
    public static let parameters = [QueryParameter("center", .text, "Only this work centre."), .at]

    let report: StateReport

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {
        var zone = zone
        report = StateReport(center: try parameters.text("center"), at: try parameters.instant("at", zone: &zone) ?? now)
    }

    public func table(_ store: Store) throws -> ReportTable {
        let rows = try store.read { try report.run($0) }
        return ReportTable(
            columns: ["work_center", "event", "count"], rows: rows.map { [.text($0.workCenter), .text($0.event.code), .integer($0.count)] })
    }
}

/// Items stuck in one state: whose latest scan is an event and at least a duration old, oldest first.
public struct OverdueQuery: ReportQuery {
    public static let name = "overdue"
    public static let summary = "Items whose current state is an event and whose latest scan is at least a duration old, oldest first."
    public static let parameters = [
        QueryParameter("event", .choice(QueryParameter.events), required: true, "The state, such as out_for_delivery."),
        QueryParameter("older_than", .duration, required: true, "How old the latest scan must be: 36h, 2d, 1h30m, 45m."),
        .at,
        QueryParameter("center", .text, "Only items whose latest scan is at this work centre."),
    ]

    let report: OverdueReport
    let zone: SiteTimeZone

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {
        var zone = zone
        let event = try present(parameters.event("event"), "event")
        let age = try present(parameters.duration("older_than"), "older_than")
        report = OverdueReport(
            event: event, olderThanMilliseconds: age, at: try parameters.instant("at", zone: &zone) ?? now,
            center: try parameters.text("center"))
        self.zone = zone
    }

    public func table(_ store: Store) throws -> ReportTable {
        let rows = try store.read { try report.run($0) }
        var zone = zone
        return ReportTable(
            columns: ["tracking_id", "event", "scanned_at", "messenger", "work_center", "age_hours"],
            rows: rows.map { row in
                [
                    .text(row.trackingID), .text(row.event.code), .text(Timestamp.format(row.scannedAt, zone: &zone)),
                    .text(row.messenger), .text(row.workCenter), .fixed(Double(row.ageMilliseconds) / 3_600_000, 2),
                ]
            })
    }
}

/// One item's full history, in timeline order.
public struct TraceQuery: ReportQuery {
    public static let name = "trace"
    public static let summary = "An item's full history, ordered by scanned_at, then arrival."
    public static let parameters = [
        QueryParameter("tracking_id", .text, required: true, inPath: true, "The tracking id (guía, service order, remittance, document).")
    ]
    public static let columns = [
        "scanned_at", "event", "messenger", "work_center", "device", "seq", "reason", "lat", "lon", "received_at",
    ]

    public let trackingID: String

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {
        trackingID = try parameters.required("tracking_id")
    }

    public func table(_ store: Store) throws -> ReportTable {
        let table = try store.read { reader -> ReportTable? in
            guard let entries = try reader.trace(trackingID) else { return nil }
            var zone = reader.zone
            return ReportTable(
                columns: Self.columns,
                rows: entries.map { entry in
                    [
                        .text(Timestamp.format(entry.scannedAt, zone: &zone)), .text(entry.event.code), .text(entry.messenger),
                        .text(entry.workCenter), .text(entry.device), .integer(entry.seq), entry.reason.map(ReportValue.text) ?? .null,
                        entry.latitude.map { .number(Coordinate.format($0)) } ?? .null,
                        entry.longitude.map { .number(Coordinate.format($0)) } ?? .null,
                        .text(Timestamp.format(entry.receivedAt, zone: &zone)),
                    ]
                })
        }
        guard let table else { throw NotFound("no scans for tracking id \(trackingID) in \(store.directory)") }
        return table
    }
}

/// What a data directory holds and what it costs on disk.
public struct InfoQuery: ReportQuery {
    public static let name = "info"
    public static let summary = "Scans, items, totals and bytes on disk per index."
    public static let parameters: [QueryParameter] = []

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {}

    public func table(_ store: Store) throws -> ReportTable {
        let counters = try store.counters()
        let statistics = try store.databaseStatistics()
        let stored = Int(counters.accepted)
        let file = store.fileBytes()
        let perScan = { (bytes: Int) -> ReportValue in stored > 0 ? .fixed(Double(bytes) / Double(stored), 2) : .null }
        var table = ReportTable(columns: ["measure", "value", "bytes_per_scan"])
        table.rows.append([.text("time_zone"), .text(store.zone.identifier), .null])
        table.rows.append([.text("scans"), .integer(counters.accepted), .null])
        table.rows.append([.text("items"), .integer(counters.nextItem), .null])
        table.rows.append([.text("duplicates_dropped"), .integer(counters.duplicates), .null])
        table.rows.append([.text("conflicts_rejected"), .integer(counters.conflicts), .null])
        table.rows.append([.text("messengers"), .integer(counters.nextEntity[0] - 1), .null])
        table.rows.append([.text("work_centers"), .integer(counters.nextEntity[1] - 1), .null])
        table.rows.append([.text("devices"), .integer(counters.nextEntity[2] - 1), .null])
        table.rows.append([.text("file_bytes"), .integer(file), perScan(file)])
        for (name, databaseStatistics) in statistics {
            table.rows.append([.text("db_\(name)_bytes"), .integer(databaseStatistics.bytes), perScan(databaseStatistics.bytes)])
        }
        return table
    }
}
