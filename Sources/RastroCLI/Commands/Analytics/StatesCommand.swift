import ArgumentParser
import RastroAnalytics
import RastroCore

/// `rastro states`: items per current state.
struct StatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "states",
        abstract: "Count items by current state: the work centre and event of each item's latest scan before --at.",
        discussion: "Ties in scanned_at go to the later arrival. --at defaults to now.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "Only this work centre.") var center: String?
    @Option(name: .long, help: ArgumentHelp("The instant: a date (local midnight) or a timestamp; default now.", valueName: "T"))
    var at: String?

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let instant = try at.map { try parseInstant($0, zone: &zone) } ?? nowMilliseconds()
        let report = StateReport(center: center, at: instant)
        let rows = try store.read { try report.run($0) }
        let table = ReportTable(
            columns: ["work_center", "event", "count"],
            rows: rows.map { [.text($0.workCenter), .text($0.event.code), .integer($0.count)] })
        Console.out(table.render(formatOption.resolved))
    }
}

/// `rastro overdue`: items stuck in one state.
struct OverdueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overdue",
        abstract: "Items whose current state is an event and whose latest scan is at least a duration old, oldest first.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "The state, such as out_for_delivery.") var event: Event
    @Option(name: .long, help: ArgumentHelp("How old the latest scan must be: 36h, 2d, 1h30m, 45m.", valueName: "DURATION"))
    var olderThan: String
    @Option(name: .long, help: ArgumentHelp("The instant: a date (local midnight) or a timestamp; default now.", valueName: "T"))
    var at: String?
    @Option(name: .long, help: "Only items whose latest scan is at this work centre.") var center: String?

    func validate() throws { _ = try parseDuration(olderThan) }

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let instant = try at.map { try parseInstant($0, zone: &zone) } ?? nowMilliseconds()
        let report = OverdueReport(event: event, olderThanMilliseconds: try parseDuration(olderThan), at: instant, center: center)
        let rows = try store.read { try report.run($0) }
        let table = ReportTable(
            columns: ["tracking_id", "event", "scanned_at", "messenger", "work_center", "age_hours"],
            rows: rows.map { row in
                [
                    .text(row.trackingID), .text(row.event.code), .text(Timestamp.format(row.scannedAt, zone: &zone)),
                    .text(row.messenger), .text(row.workCenter), .fixed(Double(row.ageMilliseconds) / 3_600_000, 2),
                ]
            })
        Console.out(table.render(formatOption.resolved))
    }
}
