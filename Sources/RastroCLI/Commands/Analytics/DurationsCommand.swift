import ArgumentParser
import RastroAnalytics
import RastroCore

/// `rastro durations`: task times between two events.
struct DurationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durations",
        abstract: "Time from an item's earliest scan of one event to its earliest scan of another at or after it.",
        discussion: """
            The window applies to the --from-event scan; the key (--by) is taken from the --to-event scan. Percentiles \
            are nearest-rank, read from log-linear histograms: every p50/p90/p99/max is within 0.78 % of the exact \
            value, and counts are exact. Without --by, one row (all) covers everything.
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "The starting event, such as picked_up.") var fromEvent: Event
    @Option(name: .long, help: "The ending event, such as delivered.") var toEvent: Event
    @Option(name: .long, help: "work_center or messenger (of the ending scan).") var by: GroupBy?

    func validate() throws {
        guard by != .reason else { throw ValidationError("--by must be work_center or messenger") }
        guard fromEvent != toEvent else { throw ValidationError("--from-event and --to-event must differ") }
    }

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let report = DurationReport(from: fromEvent, to: toEvent, by: by, window: try windowOptions.window(zone: &zone))
        let rows = try store.read { try report.run($0) }
        let table = ReportTable(
            columns: [by?.column ?? "scope", "count", "p50_s", "p90_s", "p99_s", "max_s"],
            rows: rows.map { row in
                [
                    .text(row.key ?? "all"), .integer(row.count), seconds(row.p50), seconds(row.p90), seconds(row.p99),
                    seconds(row.max),
                ]
            })
        Console.out(table.render(formatOption.resolved))
    }

    func seconds(_ milliseconds: Int64) -> ReportValue { .fixed(Double(milliseconds) / 1000, 3) }
}

/// `rastro returns`: failed attempts and returns by reason, messenger or work centre.
struct ReturnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "returns", abstract: "Failed delivery attempts and returns by reason, messenger or work centre.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "reason, messenger or work_center.") var by: GroupBy

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let report = ReturnsReport(by: by, window: try windowOptions.window(zone: &zone))
        let rows = try store.read { try report.run($0) }
        let table = ReportTable(
            columns: [by.column, "failed_attempts", "returned"],
            rows: rows.map { [$0.key.map { .text($0) } ?? .null, .integer($0.failedAttempts), .integer($0.returned)] })
        Console.out(table.render(formatOption.resolved))
    }
}
