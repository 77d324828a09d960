import ArgumentParser
import RastroAnalytics
import RastroCSV
import RastroCore
import RastroQueries
import RastroStore

/// `rastro export`: every stored scan back out as CSV in the import dialect.
///
/// The output is what `rastro import` reads, so an export is a portable backup, a way to move a period or a work
/// centre into another data directory, and the input for tools that speak CSV. Rows come item by item (items in the
/// order the store first saw them), each item's scans in timeline order (`scanned_at`, then arrival); times are ISO 8601
/// with the site offset, to the millisecond. `received_at`, the server's receive time, comes last: `rastro import`
/// ignores it (and says so once), since a re-import is a new arrival.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write stored scans as CSV (the import dialect), item by item in timeline order.",
        discussion: "Columns: \(ExportQuery.columns.joined(separator: ",")). One read transaction: a consistent snapshot while "
            + "rastrod keeps ingesting.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var window: WindowOptions

    @Option(name: .long, help: "Only scans at this work centre.") var center: String?

    @Option(name: .long, help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "FILE"))
    var out: String?

    @Flag(name: .long, help: "No summary line on standard error.") var quiet = false

    func run() throws {
        let store = try dataOptions.openForReading()
        let query: ExportQuery
        do {
            query = try ExportQuery(QueryParameters(window.values + ["center": center]), zone: store.zone)
        } catch {
            throw ValidationError(error.cliMessage)
        }
        let output = try OutputFile(out)
        defer { output.close() }
        let started = nowMilliseconds()
        let (scans, items) = try store.read { reader in try query.write(reader) { output.write($0) } }
        if !quiet {
            let seconds = Double(max(nowMilliseconds() - started, 1)) / 1000
            Console.error(
                "exported \(scans) scans of \(items) items in \(formatFixed(seconds, 2)) s: "
                    + "\(Int(Double(scans) / seconds)) rows/s\n")
        }
    }
}
