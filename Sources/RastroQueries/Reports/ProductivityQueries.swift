import RastroAnalytics
import RastroCore
import RastroStore

/// Scans, deliveries and active time per messenger or work centre.
public struct ProductivityQuery: ReportQuery {
    public static let name = "productivity"
    public static let summary = "Scans, pickups, deliveries, failed attempts, returns and active hours per messenger or work centre."
    public static let parameters = [
        QueryParameter("by", .choice(["messenger", "work_center"]), required: true, "messenger or work_center."),
        QueryParameter("center", .text, "Only scans at this work centre."),
        QueryParameter("bucket", .choice(Bucket.allCases.map(\.rawValue)), default: "total", "total, day, week (ISO 8601) or month."),
        .from, .to,
    ]

    let report: ProductivityReport

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {
        var zone = zone
        let by = try present(parameters.choice("by", among: [GroupBy.messenger, .workCenter]), "by")
        report = ProductivityReport(
            by: by, center: try parameters.text("center"), bucket: try parameters.choice("bucket", among: Bucket.allCases) ?? .total,
            window: try parameters.window(zone: &zone))
    }

    public func table(_ store: Store) throws -> ReportTable {
        let rows = try store.read { try report.run($0) }
        var columns = [report.by.column]
        if report.bucket != .total { columns.append("bucket") }
        columns += ["scans", "picked_up", "delivered", "failed_attempts", "returned", "active_hours", "deliveries_per_active_hour"]
        return ReportTable(
            columns: columns,
            rows: rows.map { row in
                let p = row.productivity
                var values: [ReportValue] = [.text(row.key)]
                if let bucket = row.bucket { values.append(.text(bucket)) }
                return values + [
                    .integer(p.scans), .integer(p.pickedUp), .integer(p.delivered), .integer(p.failedAttempts), .integer(p.returned),
                    .fixed(p.activeHours, 2), .fixed(p.deliveriesPerActiveHour, 2),
                ]
            })
    }
}

/// The productivity metrics of work centres or messengers side by side, with rank and ratio to the median.
public struct CompareQuery: ReportQuery {
    public static let name = "compare"
    public static let summary = "Compare work centres or messengers: each metric with its rank and its ratio to the group's median."
    public static let parameters = [
        QueryParameter("by", .choice(["work_center", "messenger"]), required: true, "work_center or messenger."),
        QueryParameter("keys", .list, "Only these keys, comma-separated."),
        .from, .to,
    ]

    let report: ComparisonReport

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {
        var zone = zone
        let by = try present(parameters.choice("by", among: [GroupBy.workCenter, .messenger]), "by")
        report = ComparisonReport(by: by, keys: try parameters.list("keys"), window: try parameters.window(zone: &zone))
    }

    public func table(_ store: Store) throws -> ReportTable {
        let rows = try store.read { try report.run($0) }
        var columns = [report.by.column]
        for metric in ComparisonReport.metrics { columns += [metric, metric + "_rank", metric + "_vs_median"] }
        let decimals = [0, 0, 0, 0, 0, 2, 2]
        return ReportTable(
            columns: columns,
            rows: rows.map { row in
                var values: [ReportValue] = [.text(row.key)]
                for metric in ComparisonReport.metrics.indices {
                    values.append(.fixed(row.values[metric], decimals[metric]))
                    values.append(.integer(row.ranks[metric]))
                    values.append(row.ratios[metric].map { .fixed($0, 2) } ?? .null)
                }
                return values
            })
    }
}

/// Failed delivery attempts and returns by reason, messenger or work centre.
public struct ReturnsQuery: ReportQuery {
    public static let name = "returns"
    public static let summary = "Failed delivery attempts and returns by reason, messenger or work centre."
    public static let parameters = [
        QueryParameter("by", .choice(["reason", "messenger", "work_center"]), required: true, "reason, messenger or work_center."),
        .from, .to,
    ]

    let report: ReturnsReport

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {
        var zone = zone
        let by = try present(parameters.choice("by", among: [GroupBy.reason, .messenger, .workCenter]), "by")
        report = ReturnsReport(by: by, window: try parameters.window(zone: &zone))
    }

    public func table(_ store: Store) throws -> ReportTable {
        let rows = try store.read { try report.run($0) }
        return ReportTable(
            columns: [report.by.column, "failed_attempts", "returned"],
            rows: rows.map { [$0.key.map { .text($0) } ?? .null, .integer($0.failedAttempts), .integer($0.returned)] })
    }
}

/// Task times between two events.
public struct DurationsQuery: ReportQuery {
    public static let name = "durations"
    public static let summary = "Time from an item's earliest scan of one event to its earliest scan of another at or after it."
    public static let parameters = [
        QueryParameter("from_event", .choice(QueryParameter.events), required: true, "The starting event, such as picked_up."),
        QueryParameter("to_event", .choice(QueryParameter.events), required: true, "The ending event, such as delivered."),
        QueryParameter("by", .choice(["work_center", "messenger"]), "work_center or messenger (of the ending scan)."),
        .from, .to,
    ]

    let report: DurationReport

    public init(_ parameters: QueryParameters, zone: SiteTimeZone, now: Int64) throws(QueryError) {
        var zone = zone
        let from = try present(parameters.event("from_event"), "from_event")
        let to = try present(parameters.event("to_event"), "to_event")
        guard from != to else { throw QueryError("to_event", "must differ from from_event") }
        report = DurationReport(
            from: from, to: to, by: try parameters.choice("by", among: [GroupBy.workCenter, .messenger]),
            window: try parameters.window(zone: &zone))
    }

    public func table(_ store: Store) throws -> ReportTable {
        let rows = try store.read { try report.run($0) }
        func seconds(_ milliseconds: Int64) -> ReportValue { .fixed(Double(milliseconds) / 1000, 3) }
        return ReportTable(
            columns: [report.by?.column ?? "scope", "count", "p50_s", "p90_s", "p99_s", "max_s"],
            rows: rows.map { row in
                [.text(row.key ?? "all"), .integer(row.count), seconds(row.p50), seconds(row.p90), seconds(row.p99), seconds(row.max)]
            })
    }
}
