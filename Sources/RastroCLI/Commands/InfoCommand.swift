import ArgumentParser
import RastroCore
import RastroStore

/// `rastro info`: what a data directory holds and what it costs on disk.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Summarise a data directory: scans, items, totals and bytes on disk per index.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    func run() throws {
        let store = try dataOptions.openForReading()
        let counters = try store.counters()
        let statistics = try store.databaseStatistics()
        let stored = Int(counters.accepted)
        let file = store.fileBytes()
        let perScan = { (bytes: Int) -> ReportValue in stored > 0 ? .fixed(Double(bytes) / Double(stored), 2) : .null }
        var table = ReportTable(columns: ["measure", "value", "bytes_per_scan"])
        table.rows.append([.text("time_zone"), .text(store.zone.identifier), .null])
        table.rows.append([.text("scans"), .integer(counters.accepted), .null])
        table.rows.append([.text("items"), .integer(counters.nextItem), .null])
        table.rows.append([.text("duplicates_dropped"), .integer(counters.duplicates), .null])
        table.rows.append([.text("conflicts_rejected"), .integer(counters.conflicts), .null])
        table.rows.append([.text("messengers"), .integer(counters.nextEntity[0] - 1), .null])
        table.rows.append([.text("work_centers"), .integer(counters.nextEntity[1] - 1), .null])
        table.rows.append([.text("devices"), .integer(counters.nextEntity[2] - 1), .null])
        table.rows.append([.text("file_bytes"), .integer(file), perScan(file)])
        for (name, databaseStatistics) in statistics {
            table.rows.append([.text("db_\(name)_bytes"), .integer(databaseStatistics.bytes), perScan(databaseStatistics.bytes)])
        }
        Console.out(table.render(formatOption.resolved))
    }
}
