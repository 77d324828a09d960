import ArgumentParser
import RastroAnalytics
import RastroCore
import RastroQueries

/// `rastro durations`: task times between two events (``DurationsQuery``).
struct DurationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: DurationsQuery.name, abstract: DurationsQuery.summary,
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

    func run() throws {
        try runQuery(
            DurationsQuery.self, ["from_event": fromEvent.code, "to_event": toEvent.code, "by": by?.rawValue] + windowOptions.values,
            dataOptions, formatOption)
    }
}

/// `rastro returns`: failed attempts and returns by reason, messenger or work centre (``ReturnsQuery``).
struct ReturnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: ReturnsQuery.name, abstract: ReturnsQuery.summary)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "reason, messenger or work_center.") var by: GroupBy

    func run() throws {
        try runQuery(ReturnsQuery.self, ["by": by.rawValue] + windowOptions.values, dataOptions, formatOption)
    }
}
