import RastroCSV
import RastroCore
import RastroGenerator
import RastroPrimitives

/// CSV text and batches for tests.
public enum StreamFixtures {
    public static let header = "tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon"
    /// A receive time after every generated scan (2026-12-31).
    public static let receivedAt: Int64 = 1_798_675_200_000

    /// Parses CSV rows (without header) into one batch, failing the test on any rejected row.
    public static func batch(_ rows: [String], zone: String = "America/Bogota", receivedAt: Int64 = receivedAt) -> ScanBatch {
        let (batch, rejects) = parse(([header] + rows).joined(separator: "\n") + "\n", zone: zone, receivedAt: receivedAt)
        precondition(rejects.isEmpty, "fixture rows rejected: \(rejects)")
        return batch
    }

    /// Parses CSV text with a header into a batch and rejections.
    public static func parse(_ text: String, zone: String = "America/Bogota", receivedAt: Int64 = receivedAt)
        -> (ScanBatch, [CSVRejection])
    {
        let reader = CSVScanReader(validator: ScanValidator(zone: SiteTimeZone(identifier: zone)!))
        var batch = ScanBatch()
        var rejects: [CSVRejection] = []
        let bytes = Array(text.utf8)
        bytes.withByteView { buffer in
            _ = try! reader.read(buffer, isFinal: true, receivedAt: receivedAt, maximumScans: .max, into: &batch, rejects: &rejects)
        }
        return (batch, rejects)
    }

    /// A generated stream's rows by kind.
    public static func generated(scans: Int, seed: UInt64) -> (all: [String], clean: [String], resends: Int, conflicts: Int) {
        let generator = ScanGenerator(GeneratorConfiguration(scans: scans, seed: seed))
        let rows = generator.rows()
        return (
            rows.filter { $0.kind != .malformed }.map(\.line),
            rows.filter { $0.kind == .scan }.map(\.line),
            generator.statistics.resends, generator.statistics.conflicts
        )
    }
}

/// A deterministic shuffle for tests (Fisher–Yates over SplitMix).
public func shuffled<Element>(_ elements: [Element], seed: UInt64) -> [Element] {
    var random = SplitMix(seed: seed)
    var result = elements
    for index in stride(from: result.count - 1, to: 0, by: -1) {
        result.swapAt(index, random.below(index + 1))
    }
    return result
}
