import ArgumentParser
import RastroAnalytics
import RastroCore

/// `rastro productivity`: scans, deliveries and active time per messenger or work centre.
struct ProductivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "productivity",
        abstract: "Scans, pickups, deliveries, failed attempts, returns and active hours per messenger or work centre.",
        discussion: """
            active_hours is the sum over local days of (last − first scanned_at of the key's scans that day); \
            deliveries_per_active_hour is delivered / active_hours (0 when active_hours is 0).
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "messenger or work_center.") var by: GroupBy
    @Option(name: .long, help: "Only scans at this work centre.") var center: String?
    @Option(name: .long, help: "total, day, week (ISO 8601) or month.") var bucket: Bucket = .total

    func validate() throws {
        guard by != .reason else { throw ValidationError("--by must be messenger or work_center") }
    }

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let report = ProductivityReport(by: by, center: center, bucket: bucket, window: try windowOptions.window(zone: &zone))
        let rows = try store.read { try report.run($0) }
        var columns = [by.column]
        if bucket != .total { columns.append("bucket") }
        columns += ["scans", "picked_up", "delivered", "failed_attempts", "returned", "active_hours", "deliveries_per_active_hour"]
        let table = ReportTable(
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
        Console.out(table.render(formatOption.resolved))
    }
}

/// `rastro compare`: the productivity metrics side by side with rank and ratio to the median.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare work centres or messengers: each metric with its rank and its ratio to the group's median.",
        discussion: """
            Rank 1 is the largest value of the group (equal values share a rank); <metric>_vs_median is the value \
            divided by the group's median (empty when the median is 0). Without --keys the group is every key with a \
            scan in the window.
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "work_center or messenger.") var by: GroupBy
    @Option(name: .long, help: ArgumentHelp("Only these keys, comma-separated.", valueName: "A,B,…")) var keys: String?

    func validate() throws {
        guard by != .reason else { throw ValidationError("--by must be work_center or messenger") }
    }

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let keyList = keys.map { $0.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty } }
        let report = ComparisonReport(by: by, keys: keyList, window: try windowOptions.window(zone: &zone))
        let rows = try store.read { try report.run($0) }
        var columns = [by.column]
        for metric in ComparisonReport.metrics { columns += [metric, metric + "_rank", metric + "_vs_median"] }
        let decimals = [0, 0, 0, 0, 0, 2, 2]
        let table = ReportTable(
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
        Console.out(table.render(formatOption.resolved))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
