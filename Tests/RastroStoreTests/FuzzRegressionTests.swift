import Foundation
import RastroCore
import RastroPrimitives
import RastroProtocol
@testable import RastroStore
import Testing

/// Every input the fuzz targets (`Fuzz/`, `make fuzz`) found a crash with is kept in `Fuzz/corpus/` as
/// `regression-*` and decoded here: each must be refused with an error, never trap or allocate what the bytes cannot
/// hold.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    static func input(_ target: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: corpus.appendingPathComponent("\(target)/\(name)")))
    }

    /// An ack whose four counts summed past `Int.max` (the sum is the ack's `scans`).
    @Test func anAckWithHugeCountsIsRefused() throws {
        let bytes = try Self.input("hello", "regression-ack-overflow")
        #expect(throws: ProtocolError.self) { try bytes.withByteView { try Ack.decode($0) } }
    }

    /// A trace block with no received times but a scan referring to one (a count bounded by −1).
    @Test func aTraceBlockCountingPastAnEmptyTableIsRefused() throws {
        let bytes = try Self.input("traceblock", "regression-negative-count")
        var block = TraceBlock(number: 1)
        var scratch: [UInt8] = []
        #expect(throws: StoreCorruption.self) {
            try bytes.withByteView { try block.decode($0, number: 1, zstd: Zstd(), scratch: &scratch) }
        }
    }

    /// Cells whose summary offset overflowed an `Int64`, whose record times overflowed, and whose scan count asked for
    /// gigabytes of records.
    @Test(arguments: ["regression-summary-offset", "regression-time-overflow", "regression-huge-count"])
    func aDamagedCellIsRefusedOrDecodedWithoutTrapping(name: String) throws {
        let bytes = try Self.input("cell", name)
        var people = 0
        do {
            try bytes.withByteView { payload in
                try Cell.decode(payload, center: 1, dayStart: 1_788_238_800_000, wantRecords: true) { _, _, _ in people += 1 }
            }
        } catch {
            #expect(error is StoreCorruption || error is CorruptBytes, "\(error)")
        }
    }

    /// A sealed value whose raw length disagrees with its zstd frame is refused before its buffer is allocated. (A
    /// value of schema 4 is refused by its checksum first; one of schema 3 has none.)
    @Test func aSealedValueWithAWrongLengthIsRefused() throws {
        let payload = ByteWriter()
        payload.append(Array(repeating: UInt8(7), count: 4_096))
        let sealed = ByteWriter()
        sealed.byte(SealedValue.legacySealed)
        sealed.varint(payload.count)
        payload.withBytes { _ = Zstd().compress($0, appendingTo: sealed) }
        var bytes = sealed.bytes
        // The raw length follows the format byte as a varint: 4096 = 80 20. Claim 1 GiB instead (80 80 80 80 04).
        #expect(Array(bytes[1...2]) == [0x80, 0x20])
        bytes.replaceSubrange(1...2, with: [0x80, 0x80, 0x80, 0x80, 0x04])
        var scratch: [UInt8] = []
        #expect(throws: StoreCorruption.self) {
            try bytes.withByteView { try SealedValue.withPayload($0, zstd: Zstd(), scratch: &scratch) { $0.count } }
        }
        #expect(scratch.capacity < 1 << 20)
    }
}
