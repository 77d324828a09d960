import RastroCore
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
        _ = earlier.withUnsafeBytes { together.store($0) }
        _ = earlier.withUnsafeBytes { oneByOne.store($0) }
        let bytes = fields.map { Array($0.utf8) }
        let spans = bytes[0].withUnsafeBytes { a in
            bytes[1].withUnsafeBytes { b in
                bytes[2].withUnsafeBytes { c in bytes[3].withUnsafeBytes { d in together.store(a, b, c, d) } }
            }
        }
        let each = bytes.map { field in field.withUnsafeBytes { oneByOne.store($0) } }
        #expect([spans.0, spans.1, spans.2, spans.3] == each)
        #expect(together.bytes == oneByOne.bytes)
        #expect([spans.0, spans.1, spans.2, spans.3].map(together.string) == fields)
    }
}
