import ArgumentParser
import RastroCore
import RastroQueries
import RastroStore

/// `rastro trace`: one item's full history (``TraceQuery``).
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: TraceQuery.name, abstract: TraceQuery.summary)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    @Argument(help: "The tracking id (guía, service order, remittance, document).")
    var trackingID: String

    func run() throws {
        try runQuery(TraceQuery.self, ["tracking_id": trackingID], dataOptions, formatOption)
    }
}
