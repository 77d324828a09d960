import RastroCore
import RastroPrimitives
import Testing

@Suite("Scan validator")
struct ScanValidatorTests {
    /// Validates one row (`tracking, event, time, messenger, centre, device, seq`) into `batch`; the problem's field
    /// and message when it is refused.
    static func append(
        _ row: [String], with validator: inout ScanValidator, to batch: inout ScanBatch
    ) -> (field: ScanField, message: String)? {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in row {
            ranges.append(bytes.count..<bytes.count + field.utf8.count)
            bytes.append(contentsOf: field.utf8)
        }
        return bytes.withByteView { all in
            func field(_ index: Int) -> ByteView { all.part(ranges[index]) }
            let none = ByteView()
            let raw = ScanValidator.RawFields(
                trackingID: field(0), event: field(1), scannedAt: field(2), messenger: field(3), workCenter: field(4),
                device: field(5), seq: field(6), reason: none, latitude: none, longitude: none)
            do throws(ScanValidator.Problem) {
                try validator.append(raw, receivedAt: 1_788_300_000_000, source: 1, to: &batch)
                return nil
            } catch {
                return (error.field, error.message)
            }
        }
    }

    static func row(_ seq: Int, messenger: String = "MSG-BOGCEN-022", device: String = "HH-BOGCEN-022") -> [String] {
        ["GU\(1_000 + seq)", "received", "2026-09-01T10:00:00-05:00", messenger, "BOG-CEN", device, "\(seq)"]
    }

    /// Identifiers repeated from the scan the validator appended last share its spans; a bad one after them is still
    /// refused, and a refused row between two scans does not stop the second from sharing the first's.
    @Test func repeatedIdentifiersAreSharedAndBadOnesStillRefused() {
        var validator = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)
        var batch = ScanBatch()
        #expect(Self.append(Self.row(1), with: &validator, to: &batch) == nil)
        #expect(Self.append(Self.row(2), with: &validator, to: &batch) == nil)
        #expect(batch.scans[1].messenger == batch.scans[0].messenger && batch.scans[1].device == batch.scans[0].device)
        let refused = Self.append(Self.row(3, device: "HH BOGCEN 022"), with: &validator, to: &batch)
        #expect(refused?.field == .device && refused?.message.contains("' '") == true)
        #expect(Self.append(Self.row(4), with: &validator, to: &batch) == nil)
        #expect(batch.count == 3 && batch.scans[2].device == batch.scans[1].device)
        #expect(batch.string(batch.scans[2].messenger) == "MSG-BOGCEN-022")
    }

    /// A scan appended to the batch by other means was not checked by this validator: an identifier equal to its
    /// own is checked, not trusted.
    @Test func aScanAppendedOtherwiseIsNotTakenAsChecked() {
        var validator = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!)
        var batch = ScanBatch()
        batch.append(
            trackingID: "GU1", event: .received, scannedAt: 1_788_274_800_000, messenger: "bad messenger!",
            workCenter: "BOG-CEN", device: "HH-BOGCEN-022", seq: 1)
        let refused = Self.append(Self.row(2, messenger: "bad messenger!"), with: &validator, to: &batch)
        #expect(refused?.field == .messenger)
        #expect(batch.count == 1)
    }

    /// An identifier checked under a longer limit is checked again by a validator with a shorter one.
    @Test func aShorterLimitChecksAgain() {
        let long = String(repeating: "M", count: 30)
        var limits = Limits()
        limits.identifierBytes = 40
        var generous = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!, limits: limits)
        limits.identifierBytes = 24
        var strict = ScanValidator(zone: SiteTimeZone(identifier: "America/Bogota")!, limits: limits)
        var batch = ScanBatch()
        #expect(Self.append(Self.row(1, messenger: long), with: &generous, to: &batch) == nil)
        let refused = Self.append(Self.row(2, messenger: long), with: &strict, to: &batch)
        #expect(refused?.field == .messenger && refused?.message.contains("24") == true)
    }
}
