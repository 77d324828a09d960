import RastroCore
import RastroGenerator
import RastroPrimitives
import Testing

@Suite("Coordinates and numbers")
struct CoordinateTests {
    func parse(_ text: String, limit: Int64 = 180) throws(FieldProblem) -> Int32 {
        try text.withByteView { bytes throws(FieldProblem) in try Coordinate.parse(bytes, limitDegrees: limit) }
    }

    @Test(arguments: [
        ("4.7110", Int32(47_110_000)), ("-74.0721", Int32(-740_721_000)), ("0", Int32(0)), ("+1.5", Int32(15_000_000)),
        ("180", Int32(1_800_000_000)), ("-180.0000000", Int32(-1_800_000_000)), ("1.123456789", Int32(11_234_567)),
        (".5", Int32(5_000_000)),
    ])
    func parses(text: String, units: Int32) throws {
        #expect(try parse(text) == units)
    }

    @Test(arguments: ["", "-", "abc", "1.2.3", "180.0000001", "1e5", "1000", "4,5"])
    func rejects(text: String) {
        #expect(throws: FieldProblem.self) { try parse(text) }
    }

    @Test func latitudeLimitIsNinety() {
        #expect(throws: FieldProblem.self) { try parse("90.5", limit: 90) }
    }

    @Test(arguments: [Int32(47_110_000), -740_721_000, 0, 1, -1, 1_800_000_000, 123_456_789])
    func printsBackExactly(units: Int32) throws {
        #expect(try parse(Coordinate.format(units)) == units)
    }

    @Test func printsWithoutTrailingZeros() {
        #expect(Coordinate.format(47_110_000) == "4.711")
        #expect(Coordinate.format(-740_721_000) == "-74.0721")
        #expect(Coordinate.format(1) == "0.0000001")
    }

    @Test func parsesUnsigned64BitSeqs() throws {
        func seq(_ text: String) throws(FieldProblem) -> UInt64 {
            try text.withByteView { bytes throws(FieldProblem) in try Decimal64.parse(bytes) }
        }
        #expect(try seq("18446744073709551615") == UInt64.max)
        #expect(try seq("0") == 0)
        #expect(throws: FieldProblem.self) { try seq("18446744073709551616") }
        #expect(throws: FieldProblem.self) { try seq("-1") }
        #expect(throws: FieldProblem.self) { try seq("12a") }
    }

    /// The parser as it was first written (a place value divided by ten per fraction digit): the reference for
    /// ``Coordinate/parse(_:limitDegrees:)``, which must give the same value or refuse the same inputs.
    static func reference(_ text: String, limit: Int64) -> Int32? {
        let bytes = Array(text.utf8)
        var index = 0
        var negative = false
        if index < bytes.count && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var whole: Int64 = 0
        var wholeDigits = 0
        while index < bytes.count, case let digit = Int64(bytes[index]) - 48, digit >= 0 && digit <= 9 {
            whole = whole * 10 + digit
            wholeDigits += 1
            index += 1
            if wholeDigits > 3 { return nil }
        }
        var fraction: Int64 = 0
        var scale: Int64 = 1_000_000
        var fractionDigits = 0
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, case let digit = Int64(bytes[index]) - 48, digit >= 0 && digit <= 9 {
                fraction += digit * scale
                scale /= 10
                fractionDigits += 1
                index += 1
            }
        }
        guard index == bytes.count, wholeDigits + fractionDigits > 0 else { return nil }
        let magnitude = whole * 10_000_000 + fraction
        guard magnitude <= limit * 10_000_000 else { return nil }
        return Int32(negative ? -magnitude : magnitude)
    }

    /// 50,000 random strings of digits, signs, points and other bytes, up to 14 long: the same answer as the reference.
    @Test func agreesWithTheReferenceOnRandomInput() {
        var random = SplitMix(seed: 0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 { random.next() }
        let alphabet = Array("0123456789012345678901234567890123456789-+..e ,".utf8)
        for _ in 0..<50_000 {
            let length = Int(next() % 15)
            let text = String(decoding: (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }, as: UTF8.self)
            let limit: Int64 = next() % 2 == 0 ? 90 : 180
            let got: Int32? = try? parse(text, limit: limit)
            #expect(got == Self.reference(text, limit: limit), "\(text)")
        }
    }
}
