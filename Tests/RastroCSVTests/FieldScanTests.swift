@testable import RastroCSV
import RastroPrimitives
import Testing

/// The tokeniser's word-at-a-time search for the end of an unquoted field, against a byte loop.
@Suite("Unquoted field scan")
struct FieldScanTests {
    /// Where a byte loop finds the first delimiter, LF or CR.
    static func expected(_ bytes: [UInt8], from start: Int, delimiter: UInt8) -> Int {
        bytes[start...].firstIndex { $0 == delimiter || $0 == 0x0A || $0 == 0x0D } ?? bytes.count
    }

    @Test(arguments: [UInt8(ascii: ","), UInt8(ascii: ";")], [UInt8(ascii: ","), UInt8(ascii: ";"), 0x0A, 0x0D])
    func findsTheFirstTerminatorAtEveryOffset(delimiter: UInt8, terminator: UInt8) {
        // Field bytes include UTF-8 (0xC3 0xB1), 0x80 and bytes one away from each terminator, which a carry-based
        // test could confuse with it.
        let filler: [UInt8] = [0x41, 0xC3, 0xB1, 0x80, 0xFF, 0x2B, 0x2D, 0x3A, 0x3C, 0x09, 0x0B, 0x0C, 0x0E, 0x01, 0x00]
        for length in 0...27 {
            for terminatorAt in [nil] + (0..<length).map(Optional.some) {
                var bytes = (0..<length).map { filler[($0 * 7 + length) % filler.count] }
                for index in bytes.indices where bytes[index] == delimiter { bytes[index] = 0x41 }
                if let terminatorAt { bytes[terminatorAt] = terminator }
                // A second terminator later must not matter.
                if let terminatorAt, terminatorAt + 3 < length { bytes[terminatorAt + 3] = 0x0A }
                for start in 0...length {
                    let found = bytes.withByteView { $0.prefix(upTo: length).endOfUnquotedField(from: start, delimiter: delimiter) }
                    let expected = Self.expected(bytes, from: start, delimiter: delimiter)
                    #expect(found == expected, "length \(length), terminator at \(terminatorAt.map(String.init) ?? "none"), start \(start)")
                    if found != expected { return }
                }
            }
        }
    }
}
