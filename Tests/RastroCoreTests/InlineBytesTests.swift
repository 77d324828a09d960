import RastroCore
import RastroPrimitives
import Testing

@Suite("Inline bytes")
struct InlineBytesTests {
    /// Every length the copy handles differently: whole words, 4-, 2- and 1-byte tails, and their mixes.
    @Test(arguments: 0...40)
    func keepsEveryLengthExactly(length: Int) {
        let bytes = (0..<length).map { UInt8(33 + ($0 * 7) % 90) }
        // Surrounded by other bytes, as identifiers are inside a batch's storage: nothing past the end may be read in.
        let padded = [0xFF] + bytes + [UInt8](repeating: 0xEE, count: 48)
        let value = padded.withByteView { InlineBytes($0.part(1..<(1 + length))) }
        #expect(Int(value.count) == length)
        #expect(value.withBytes { Array($0) } == bytes)
        #expect(value == InlineBytes(String(decoding: bytes, as: UTF8.self)))
    }

    /// `equals` against the bytes in place: equal at every length, unequal when any one byte differs or the length
    /// does, whatever follows the bytes in memory.
    @Test(arguments: 0...40)
    func comparesInPlaceAtEveryLength(length: Int) {
        let bytes = (0..<length).map { UInt8(33 + ($0 * 11) % 90) }
        let value = InlineBytes(String(decoding: bytes, as: UTF8.self))
        var padded = [0xFF] + bytes + [UInt8](repeating: 0xEE, count: 48)
        padded.withByteView { all in
            #expect(value.equals(all.part(1..<(1 + length))))
            #expect(!value.equals(all.part(1..<(2 + length))))
            if length > 0 { #expect(!value.equals(all.part(1..<length))) }
        }
        for position in 0..<length {
            padded[1 + position] ^= 0x20
            padded.withByteView { all in
                #expect(!value.equals(all.part(1..<(1 + length))), "byte \(position) differs")
            }
            padded[1 + position] ^= 0x20
        }
    }

    /// Case folding of every byte value at every position: `A`–`Z` only, nothing else, unused bytes untouched.
    @Test func lowercasingFoldsExactlyTheUpperCaseLetters() {
        for length in [1, 8, 13, 40] {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "Q"), count: length)
                    bytes[position] = UInt8(value)
                    let folded = bytes.withByteView { InlineBytes($0).lowercased }
                    let expected = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
                    let found = folded.withBytes { Array($0) }
                    #expect(found == expected, "length \(length), byte \(value) at \(position)")
                    if found != expected { return }
                }
            }
        }
    }

    @Test func ordersByBytesThenLength() {
        let names = ["GU0001", "GU00010", "GU0002", "A", "", "GU0001000161", "gu0001"]
        let sorted = names.map { InlineBytes($0) }.sorted().map(\.description)
        #expect(sorted == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }
}
