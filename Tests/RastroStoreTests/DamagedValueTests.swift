import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// Every stored value carries a checksum (docs/storage.md §5.0): any flipped bit in a value this version writes is
/// refused as corruption when read, never decoded into a wrong answer and never a crash.
@Suite("Damaged values")
struct DamagedValueTests {
    enum Shape: String, CaseIterable, CustomTestStringConvertible {
        case checked, sealed, tailed, tailedOnSealedBase
        var testDescription: String { rawValue }
    }

    /// A stored trace-block value of `shape`, and the block it decodes to.
    static func stored(_ shape: Shape) -> (ByteWriter, TraceBlock) {
        var block = FormatTests.randomBlock(seed: 5, items: shape == .tailedOnSealedBase ? 60 : 16, millisecondDevices: false)
        let value = ByteWriter()
        if shape == .sealed || shape == .tailedOnSealedBase {
            // Sealed whatever the saving: random timelines barely compress, so the store would keep them checked.
            let payload = ByteWriter()
            block.encodePayload(into: payload)
            SealedValue.encodeSealed(payload, into: value, zstd: Zstd())
        } else {
            block.encode(into: value, scratch: ByteWriter(), zstd: nil)
        }
        guard shape == .tailed || shape == .tailedOnSealedBase else { return (value, block) }
        var random = SplitMixForTests(seed: 9)
        var stored = value
        for index in 0..<2 {
            let (tail, positions) = TraceBlockTailTests.randomTail(&random, after: block, newItems: index)
            let output = ByteWriter()
            let appended = stored.withBytes {
                TraceBlock.appendTail(tail, positions: positions, to: $0, cold: false, scratch: ByteWriter(), into: output)
            }
            precondition(appended, "the tail fits")
            block = TraceBlockTailTests.merged(block, tail, positions)
            stored = output
        }
        return (stored, block)
    }

    @Test(arguments: Shape.allCases)
    func everyFlippedBitOfATraceBlockIsRefused(shape: Shape) throws {
        let (value, block) = Self.stored(shape)
        var bytes = value.bytes
        #expect(bytes.withByteView { SealedValue.isSealed($0) } == (shape == .sealed))
        // Intact, it decodes to the block.
        let zstd = Zstd()
        let decoded = try Self.decode(bytes, zstd: zstd)
        #expect(decoded.names == block.names && decoded.scans == block.scans)
        var refused = 0
        for position in bytes.indices {
            for bit in 0..<8 {
                bytes[position] ^= 1 << bit
                do {
                    _ = try Self.decode(bytes, zstd: zstd)
                    Issue.record("a flip of bit \(bit) at byte \(position) of \(bytes.count) decoded")
                } catch {
                    refused += 1
                }
                bytes[position] ^= 1 << bit
            }
        }
        #expect(refused == bytes.count * 8)
    }

    @Test(arguments: [false, true])
    func everyFlippedBitOfACellValueIsRefused(sealed: Bool) throws {
        let payload = ByteWriter()
        for index in 0..<600 { payload.byte(sealed ? UInt8(index % 5) : UInt8(truncatingIfNeeded: index &* 37)) }
        let value = ByteWriter()
        SealedValue.encode(payload, into: value, zstd: sealed ? Zstd() : nil)
        var bytes = value.bytes
        #expect(bytes.withByteView { SealedValue.isSealed($0) } == sealed)
        #expect(bytes.withByteView { SealedValue.isChecked($0) } == true)
        let zstd = Zstd()
        var scratch: [UInt8] = []
        var undetected: [String] = []
        for position in bytes.indices {
            for bit in 0..<8 {
                bytes[position] ^= 1 << bit
                let read = try? bytes.withByteView { try SealedValue.withPayload($0, zstd: zstd, scratch: &scratch) { Array($0) } }
                if read != nil { undetected.append("bit \(bit) of byte \(position)") }
                bytes[position] ^= 1 << bit
            }
        }
        #expect(undetected.isEmpty, "\(undetected.prefix(5))")
        let intact = try bytes.withByteView { try SealedValue.withPayload($0, zstd: zstd, scratch: &scratch) { Array($0) } }
        #expect(intact == payload.bytes)
    }

    /// The checksum's failure names what it found.
    @Test func aDamagedValueSaysSo() throws {
        let payload = ByteWriter()
        payload.append(Array("the payload".utf8))
        let value = ByteWriter()
        SealedValue.encode(payload, into: value, zstd: nil)
        var bytes = value.bytes
        bytes[bytes.count - 1] ^= 0x10
        var scratch: [UInt8] = []
        let error = try #require(throws: StoreCorruption.self) {
            try bytes.withByteView { try SealedValue.withPayload($0, zstd: Zstd(), scratch: &scratch) { $0.count } }
        }
        #expect(error.message.contains("checksum mismatch"))
    }

    /// Values of schemas 2 and 3 carry no checksum and are still read; the writer re-encodes them (checked) rather
    /// than append a tail to one.
    @Test func uncheckedOlderValuesAreReadAndNotExtended() throws {
        let block = FormatTests.randomBlock(seed: 12, items: 40, millisecondDevices: false)
        let payload = ByteWriter()
        block.encodePayload(into: payload)
        let legacy = ByteWriter()
        legacy.byte(SealedValue.legacyRaw)
        payload.withBytes { legacy.append($0) }
        #expect(legacy.withBytes { SealedValue.isChecked($0) } == false)
        let decoded = try Self.decode(legacy.bytes)
        #expect(decoded.scans == block.scans)
        var random = SplitMixForTests(seed: 2)
        let (tail, positions) = TraceBlockTailTests.randomTail(&random, after: block, newItems: 0)
        let appended = legacy.withBytes {
            TraceBlock.appendTail(tail, positions: positions, to: $0, cold: false, scratch: ByteWriter(), into: ByteWriter())
        }
        #expect(!appended)
    }

    static func decode(_ bytes: [UInt8], zstd: Zstd = Zstd()) throws -> TraceBlock {
        var block = TraceBlock(number: 0)
        var scratch: [UInt8] = []
        try bytes.withByteView { try block.decode($0, number: 7, zstd: zstd, scratch: &scratch) }
        return block
    }
}
