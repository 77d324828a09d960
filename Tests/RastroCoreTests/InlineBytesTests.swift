import RastroCore
import Testing

@Suite("Inline bytes")
struct InlineBytesTests {
    /// Every length the copy handles differently: whole words, a 4-byte tail, single bytes, and their mixes.
    @Test(arguments: 0...40)
    func keepsEveryLengthExactly(length: Int) {
        let bytes = (0..<length).map { UInt8(33 + ($0 * 7) % 90) }
        // Surrounded by other bytes, as identifiers are inside a batch's storage: nothing past the end may be read in.
        let padded = [0xFF] + bytes + [UInt8](repeating: 0xEE, count: 48)
        let value = padded.withUnsafeBytes { InlineBytes(UnsafeRawBufferPointer(rebasing: $0[1..<(1 + length)])) }
        #expect(Int(value.count) == length)
        #expect(value.withBytes { Array($0) } == bytes)
        #expect(value == InlineBytes(String(decoding: bytes, as: UTF8.self)))
    }

    @Test func ordersByBytesThenLength() {
        let names = ["GU0001", "GU00010", "GU0002", "A", "", "GU0001000161", "gu0001"]
        let sorted = names.map { InlineBytes($0) }.sorted().map(\.description)
        #expect(sorted == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }
}
