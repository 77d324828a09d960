import RastroCore
import RastroPrimitives
import Testing

/// The word-at-a-time identifier check against the byte-by-byte rule it replaces.
@Suite("Identifier")
struct IdentifierTests {
    /// Every byte value at every position of every length up to the longest identifier, inside other valid bytes
    /// and followed by bytes that must not be read.
    @Test(arguments: 1...40)
    func everyByteAtEveryPositionIsJudgedAsTheByteRuleJudgesIt(length: Int) {
        let valid = Array("Az09-_./GU".utf8)
        var bytes = (0..<length).map { valid[$0 % valid.count] } + [UInt8](repeating: 0x21, count: 8)
        for position in 0..<length {
            for value in 0...255 {
                bytes[position] = UInt8(value)
                let expected = Identifier.isAllowed(UInt8(value))
                let found = bytes.withByteView { Identifier.allAllowed($0.prefix(upTo: length)) }
                #expect(found == expected, "length \(length), byte 0x\(String(value, radix: 16)) at \(position)")
                if found != expected { return }
            }
            bytes[position] = valid[position % valid.count]
        }
    }

    @Test func problemsNameTheFirstBadByte() {
        #expect(Identifier.problem("GU-0001.a/b_C", maximumBytes: 40) == nil)
        #expect(Identifier.problem("GU 0001", maximumBytes: 40) == "contains ' '; allowed are A-Z a-z 0-9 - _ . /")
        #expect(Identifier.problem("GUÑ", maximumBytes: 40) == "contains byte 0xC3; allowed are A-Z a-z 0-9 - _ . /")
        #expect(Identifier.problem("", maximumBytes: 40) == "is empty")
        #expect(Identifier.problem("ABCDE", maximumBytes: 4) == "is 5 bytes long; the limit is 4")
    }

    /// The allowed set, spelled out: the rule both checks must keep.
    @Test func theAllowedBytesAreExactlyTheDocumentedSet() {
        let documented = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./".utf8)
        for value in 0...255 {
            #expect(Identifier.isAllowed(UInt8(value)) == documented.contains(UInt8(value)), "byte \(value)")
        }
    }
}
