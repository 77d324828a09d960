import ArgumentParser
import RastroAnalytics
import RastroCore
import RastroQueries

/// `rastro states`: items per current state (``StatesQuery``).
struct StatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StatesQuery.name, abstract: StatesQuery.summary, discussion: "Ties in scanned_at go to the later arrival. --at defaults to now.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "Only this work centre.") var center: String?
    @Option(name: .long, help: ArgumentHelp("The instant: a date (local midnight) or a timestamp; default now.", valueName: "T"))
    var at: String?

    func run() throws {
        try runQuery(StatesQuery.self, ["center": center, "at": at], dataOptions, formatOption)
    }
}

/// `rastro overdue`: items stuck in one state (``OverdueQuery``).
struct OverdueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: OverdueQuery.name, abstract: OverdueQuery.summary)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    @Option(name: .long, help: "The state, such as out_for_delivery.") var event: Event
    @Option(name: .long, help: ArgumentHelp("How old the latest scan must be: 36h, 2d, 1h30m, 45m.", valueName: "DURATION"))
    var olderThan: String
    @Option(name: .long, help: ArgumentHelp("The instant: a date (local midnight) or a timestamp; default now.", valueName: "T"))
    var at: String?
    @Option(name: .long, help: "Only items whose latest scan is at this work centre.") var center: String?

    func run() throws {
        try runQuery(
            OverdueQuery.self, ["event": event.code, "older_than": olderThan, "at": at, "center": center], dataOptions, formatOption)
    }
}
