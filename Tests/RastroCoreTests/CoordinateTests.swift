import RastroCore
import Testing

@Suite("Coordinates and numbers")
struct CoordinateTests {
    func parse(_ text: String, limit: Int64 = 180) throws(FieldProblem) -> Int32 {
        var text = text
        var result: Result<Int32, FieldProblem> = .failure(FieldProblem(""))
        text.withUTF8 { buffer in
            do throws(FieldProblem) {
                result = .success(try Coordinate.parse(UnsafeRawBufferPointer(buffer), limitDegrees: limit))
            } catch { result = .failure(error) }
        }
        return try result.get()
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
            var text = text
            var result: Result<UInt64, FieldProblem> = .failure(FieldProblem(""))
            text.withUTF8 { buffer in
                do throws(FieldProblem) { result = .success(try Decimal64.parse(UnsafeRawBufferPointer(buffer))) } catch {
                    result = .failure(error)
                }
            }
            return try result.get()
        }
        #expect(try seq("18446744073709551615") == UInt64.max)
        #expect(try seq("0") == 0)
        #expect(throws: FieldProblem.self) { try seq("18446744073709551616") }
        #expect(throws: FieldProblem.self) { try seq("-1") }
        #expect(throws: FieldProblem.self) { try seq("12a") }
    }
}
