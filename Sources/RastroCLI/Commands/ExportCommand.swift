import ArgumentParser
import RastroAnalytics
import RastroCSV
import RastroCore
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
        discussion: "Columns: \(columns.joined(separator: ",")). One read transaction: a consistent snapshot while "
            + "rastrod keeps ingesting.")

    static let columns = [
        "tracking_id", "event", "scanned_at", "messenger", "work_center", "device", "seq", "reason", "lat", "lon",
        "received_at",
    ]

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var window: WindowOptions

    @Option(name: .long, help: "Only scans at this work centre.") var center: String?

    @Option(name: .long, help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "FILE"))
    var out: String?

    @Flag(name: .long, help: "No summary line on standard error.") var quiet = false

    func run() throws {
        let store = try dataOptions.openForReading()
        var zone = store.zone
        let window = try window.window(zone: &zone)
        let output = try OutputFile(out)
        defer { output.close() }
        let started = nowMilliseconds()
        let (scans, items) = try store.read { reader in
            try Self.export(reader, window: window, center: center, to: output)
        }
        if !quiet {
            let seconds = Double(max(nowMilliseconds() - started, 1)) / 1000
            Console.error(
                "exported \(scans) scans of \(items) items in \(formatFixed(seconds, 2)) s: "
                    + "\(Int(Double(scans) / seconds)) rows/s\n")
        }
    }

    /// Writes the header and the rows; returns how many scans and items went out.
    static func export(_ reader: StoreReader, window: TimeWindow, center: String?, to file: OutputFile) throws -> (Int, Int) {
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        output.append(contentsOf: columns.joined(separator: ",").utf8)
        output.append(UInt8(ascii: "\n"))
        defer { file.write(output) }
        var centerID: UInt32? = nil
        if let center {
            // A centre the store has never seen has no scans: the header alone is the right answer.
            guard let id = try reader.id(.workCenter, center) else { return (0, 0) }
            centerID = id
        }
        var zone = reader.zone
        var scans = 0
        var items = 0
        let comma = UInt8(ascii: ",")
        try reader.forEachBlock { block in
            for index in 0..<block.itemCount {
                var counted = false
                for scan in block.timeline(index) {
                    guard window.contains(scan.scannedAt), centerID.map({ $0 == scan.workCenter }) ?? true else { continue }
                    block.names[index].withBytes { CSVWriter.appendIdentifier($0, to: &output) }
                    output.append(comma)
                    output.append(contentsOf: scan.event.code.utf8)
                    output.append(comma)
                    output.append(contentsOf: Timestamp.format(scan.scannedAt, zone: &zone).utf8)
                    output.append(comma)
                    // Identifiers are validated to `A-Z a-z 0-9 - _ . /` and need no quoting (a leading `-` is
                    // guarded); reasons may come from a catalog, so they go through the CSV writer.
                    CSVWriter.appendIdentifier(try reader.name(.messenger, scan.messenger).utf8, to: &output)
                    output.append(comma)
                    CSVWriter.appendIdentifier(try reader.name(.workCenter, scan.workCenter).utf8, to: &output)
                    output.append(comma)
                    CSVWriter.appendIdentifier(try reader.name(.device, scan.device).utf8, to: &output)
                    output.append(comma)
                    output.append(contentsOf: String(scan.seq).utf8)
                    output.append(comma)
                    if scan.reason != 0 { CSVWriter.appendField(try reader.name(.reason, scan.reason), to: &output) }
                    output.append(comma)
                    if scan.hasLocation { output.append(contentsOf: Coordinate.format(scan.latitude).utf8) }
                    output.append(comma)
                    if scan.hasLocation { output.append(contentsOf: Coordinate.format(scan.longitude).utf8) }
                    output.append(comma)
                    output.append(contentsOf: Timestamp.format(scan.receivedAt, zone: &zone).utf8)
                    output.append(UInt8(ascii: "\n"))
                    scans += 1
                    counted = true
                }
                if counted { items += 1 }
                if output.count >= 1 << 20 {
                    file.write(output)
                    output.removeAll(keepingCapacity: true)
                }
            }
            return true
        }
        return (scans, items)
    }
}
