import RastroAnalytics
import RastroCSV
import RastroCore
import RastroStore

/// Stored scans back out as CSV in the import dialect, item by item in timeline order, written in chunks of about
/// ``chunkBytes`` so that neither the CLI nor the HTTP API holds an export whole.
///
/// The output is what `rastro import` reads: a portable backup, a way to move a period or a work centre into another
/// data directory. Times are ISO 8601 with the site offset, to the millisecond. `received_at`, the server's receive
/// time, comes last: `rastro import` ignores it, since a re-import is a new arrival.
public struct ExportQuery: Sendable {
    public static let name = "export"
    public static let summary = "Stored scans as CSV (the import dialect), item by item in timeline order."
    public static let parameters = [.from, .to, QueryParameter("center", .text, "Only scans at this work centre.")]
    public static let columns = [
        "tracking_id", "event", "scanned_at", "messenger", "work_center", "device", "seq", "reason", "lat", "lon",
        "received_at",
    ]
    public static let chunkBytes = 1 << 20

    public let window: TimeWindow
    public let center: String?

    public init(_ parameters: QueryParameters, zone: SiteTimeZone) throws(QueryError) {
        var zone = zone
        window = try parameters.window(zone: &zone)
        center = try parameters.text("center")
    }

    /// Writes the header and the rows through `write`, a chunk at a time, from one read transaction; returns how many
    /// scans and items went out.
    public func write(_ reader: StoreReader, _ write: ([UInt8]) throws -> Void) throws -> (scans: Int, items: Int) {
        var output: [UInt8] = []
        output.reserveCapacity(Self.chunkBytes + 4096)
        output.append(contentsOf: Self.columns.joined(separator: ",").utf8)
        output.append(UInt8(ascii: "\n"))
        var centerID: UInt32? = nil
        if let center {
            // A centre the store has never seen has no scans: the header alone is the right answer.
            guard let id = try reader.id(.workCenter, center) else {
                try write(output)
                return (0, 0)
            }
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
                if output.count >= Self.chunkBytes {
                    try write(output)
                    output.removeAll(keepingCapacity: true)
                }
            }
            return true
        }
        if !output.isEmpty { try write(output) }
        return (scans, items)
    }
}
