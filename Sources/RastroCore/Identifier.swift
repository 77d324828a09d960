/// Validation of identifiers: tracking ids, messengers, work centres, devices and reason codes.
///
/// Identifiers are 1…N bytes of `A-Z a-z 0-9 - _ . /`. Keeping them to ASCII lets every layer handle them as bytes.
public enum Identifier {
    /// A 256-entry table: `true` for the bytes an identifier may contain.
    @usableFromInline
    static let allowed: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "/"):
            true
        default:
            false
        }
    }

    /// Why an identifier is invalid, or `nil` when it is valid.
    @inlinable
    public static func problem(_ bytes: UnsafeRawBufferPointer, maximumBytes: Int) -> String? {
        if bytes.isEmpty { return "is empty" }
        if bytes.count > maximumBytes { return "is \(bytes.count) bytes long; the limit is \(maximumBytes)" }
        for byte in bytes where !allowed[Int(byte)] {
            return "contains \(describe(byte)); allowed are A-Z a-z 0-9 - _ . /"
        }
        return nil
    }

    /// Validates a `String` identifier (for command-line arguments, not hot paths).
    public static func problem(_ text: String, maximumBytes: Int) -> String? {
        var text = text
        return text.withUTF8 { problem(UnsafeRawBufferPointer($0), maximumBytes: maximumBytes) }
    }

    /// A byte as a reader would want to see it in an error message.
    public static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
    }
}
