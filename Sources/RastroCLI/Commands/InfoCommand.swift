import ArgumentParser
import RastroQueries

/// `rastro info`: what a data directory holds and what it costs on disk (``InfoQuery``).
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: InfoQuery.name, abstract: InfoQuery.summary)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    func run() throws {
        try runQuery(InfoQuery.self, [:], dataOptions, formatOption)
    }
}
