import RastroCore
import RastroPrimitives
import Testing

@Suite("Scan batches")
struct ScanBatchTests {
    /// Four identifiers stored with one append land where one store each would put them, empty ones included, after
    /// whatever the arena already held.
    @Test(arguments: [
        ["GU0001", "MSG-01", "BOG-NORTE", "HH-01"], ["", "M", "", "DEVICE-WITH-A-LONGER-NAME-0001"], ["", "", "", ""],
        [String(repeating: "A", count: 40), "B", String(repeating: "C", count: 32), "D"],
    ])
    func storingFourAtOnceMatchesStoringEach(fields: [String]) {
        var together = ScanBatch()
        var oneByOne = ScanBatch()
        let earlier = Array("earlier".utf8)
        _ = earlier.withByteView { together.store($0) }
        _ = earlier.withByteView { oneByOne.store($0) }
        let bytes = fields.map { Array($0.utf8) }
        let spans = bytes[0].withByteView { a in
            bytes[1].withByteView { b in
                bytes[2].withByteView { c in bytes[3].withByteView { d in together.store(a, b, c, d) } }
            }
        }
        let each = bytes.map { field in field.withByteView { oneByOne.store($0) } }
        #expect([spans.0, spans.1, spans.2, spans.3] == each)
        #expect(together.bytes == oneByOne.bytes)
        #expect([spans.0, spans.1, spans.2, spans.3].map(together.string) == fields)
    }

    /// Stores a scan's four identifiers and appends the scan, as the validator does.
    static func append(_ fields: [String], to batch: inout ScanBatch) {
        let bytes = fields.map { Array($0.utf8) }
        let spans = bytes[0].withByteView { a in
            bytes[1].withByteView { b in
                bytes[2].withByteView { c in bytes[3].withByteView { d in batch.store(a, b, c, d) } }
            }
        }
        batch.scans.append(
            Scan(
                trackingID: spans.0, messenger: spans.1, workCenter: spans.2, device: spans.3, reason: .empty,
                scannedAt: 0, receivedAt: 0, seq: UInt64(batch.count + 1), latitude: 0, longitude: 0, event: .received,
                hasLocation: false, source: 0))
    }

    /// A messenger, centre or device with the previous scan's bytes shares its span and takes no arena bytes; one
    /// that differs anywhere (the last byte of a word, the tail, the length) is stored, and shared spans stay right
    /// once the batch is appended to another.
    @Test func identifiersEqualToThePreviousScansShareTheirSpans() {
        var batch = ScanBatch()
        Self.append(["GU0001", "MSG-BOGCEN-022", "BOG-CEN", "HH-BOGCEN-022"], to: &batch)
        let first = batch.scans[0]
        let bytesAfterFirst = batch.bytes.count
        Self.append(["GU0002", "MSG-BOGCEN-022", "BOG-NOR", "HH-BOGCEN-022"], to: &batch)
        let second = batch.scans[1]
        #expect(second.messenger == first.messenger && second.device == first.device)
        #expect(second.workCenter != first.workCenter)
        #expect(batch.bytes.count == bytesAfterFirst + "GU0002".utf8.count + "BOG-NOR".utf8.count)
        // Differences in a word's last byte, in the tail after the words, and in length alone.
        Self.append(["GU0003", "MSG-BOGCEN-023", "BOG-NO", "HH-BOGCEX-022"], to: &batch)
        let third = batch.scans[2]
        #expect(third.messenger != second.messenger && third.workCenter != second.workCenter && third.device != second.device)
        // Shared with the scan just before only (here the third's, not the first's).
        Self.append(["GU0004", "MSG-BOGCEN-022", "BOG-NO", "HH-BOGCEX-022"], to: &batch)
        let fourth = batch.scans[3]
        #expect(fourth.messenger != first.messenger && fourth.workCenter == third.workCenter && fourth.device == third.device)
        let expected = [
            ["GU0001", "MSG-BOGCEN-022", "BOG-CEN", "HH-BOGCEN-022"], ["GU0002", "MSG-BOGCEN-022", "BOG-NOR", "HH-BOGCEN-022"],
            ["GU0003", "MSG-BOGCEN-023", "BOG-NO", "HH-BOGCEX-022"], ["GU0004", "MSG-BOGCEN-022", "BOG-NO", "HH-BOGCEX-022"],
        ]
        func strings(_ batch: ScanBatch) -> [[String]] {
            batch.scans.map { [batch.string($0.trackingID), batch.string($0.messenger), batch.string($0.workCenter), batch.string($0.device)] }
        }
        #expect(strings(batch) == expected)
        var merged = ScanBatch()
        Self.append(["GU0000", "X", "Y", "Z"], to: &merged)
        merged.append(contentsOf: batch)
        #expect(Array(strings(merged).dropFirst()) == expected)
    }
}
