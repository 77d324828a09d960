import ArgumentParser
import RastroDashboard
import RastroQueries

/// `rastro report --html FILE`: the dashboard's views as one self-contained HTML file (``StaticReport``).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the dashboard's views (productivity, deliveries per day, states, task times, failed attempts, overdue) as one HTML file.",
        discussion: "The file embeds its data, style and script and loads nothing: open it offline, mail it, archive it.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var windowOptions: WindowOptions

    @Option(name: .long, help: ArgumentHelp("Write the report here.", valueName: "FILE")) var html: String
    @Option(name: .long, help: "Only this work centre (productivity, deliveries, states, overdue).") var center: String?

    func run() throws {
        let store = try dataOptions.openForReading()
        let text: String
        do {
            text = try StaticReport.html(store: store, from: windowOptions.from, to: windowOptions.to, center: center, now: nowMilliseconds())
        } catch let error as QueryError {
            throw ValidationError(error.cliMessage)
        }
        let file = try OutputFile(html)
        file.write(Array(text.utf8))
        file.close()
        Console.error("wrote \(html) (\(text.utf8.count) bytes)\n")
    }
}
