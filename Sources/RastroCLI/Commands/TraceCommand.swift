import ArgumentParser
import RastroCore
import RastroStore

/// `rastro trace`: one item's full history.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Show an item's full history, ordered by scanned_at, then arrival.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var formatOption: FormatOption

    @Argument(help: "The tracking id (guía, service order, remittance, document).")
    var trackingID: String

    func run() throws {
        let store = try dataOptions.openForReading()
        guard let table = try Self.table(store: store, trackingID: trackingID) else {
            throw ValidationError("no scans for tracking id \(trackingID) in \(dataOptions.directory)")
        }
        Console.out(table.render(formatOption.resolved))
    }

    static let columns = [
        "scanned_at", "event", "messenger", "work_center", "device", "seq", "reason", "lat", "lon", "received_at",
    ]

    static func table(store: Store, trackingID: String) throws -> ReportTable? {
        try store.read { reader -> ReportTable? in
            guard let entries = try reader.trace(trackingID) else { return nil }
            var zone = reader.zone
            return ReportTable(
                columns: columns,
                rows: entries.map { entry in
                    [
                        .text(Timestamp.format(entry.scannedAt, zone: &zone)), .text(entry.event.code), .text(entry.messenger),
                        .text(entry.workCenter), .text(entry.device), .integer(entry.seq), entry.reason.map(ReportValue.text) ?? .null,
                        entry.latitude.map { .number(Coordinate.format($0)) } ?? .null,
                        entry.longitude.map { .number(Coordinate.format($0)) } ?? .null,
                        .text(Timestamp.format(entry.receivedAt, zone: &zone)),
                    ]
                })
        }
    }
}
