import RastroPrimitives

/// Validation of identifiers: tracking ids, messengers, work centres, devices and reason codes.
///
/// Identifiers are 1…N bytes of `A-Z a-z 0-9 - _ . /`. Keeping them to ASCII lets every layer handle them as bytes.
public enum Identifier {
    /// Whether a byte may appear in an identifier (a branch-light range check: no global table to initialise).
    @inlinable @inline(__always)
    public static func isAllowed(_ byte: UInt8) -> Bool {
        let letter = byte | 0x20  // Folds A-Z onto a-z; other bytes this maps stay outside a-z.
        return (letter >= 0x61 && letter <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
            || byte == 0x2E || byte == 0x2F
    }

    /// Why an identifier is invalid, or `nil` when it is valid.
    @inlinable
    public static func problem(_ bytes: ByteView, maximumBytes: Int) -> String? {
        if bytes.isEmpty { return "is empty" }
        if bytes.count > maximumBytes { return "is \(bytes.count) bytes long; the limit is \(maximumBytes)" }
        if allAllowed(bytes) { return nil }
        for byte in bytes where !isAllowed(byte) {
            return "contains \(describe(byte)); allowed are A-Z a-z 0-9 - _ . /"
        }
        return nil
    }

    /// Whether every byte is allowed, eight at a time (``ByteLanes``): every scan carries four identifiers, checked
    /// by the parser, the server and `rastro send`. The allowed bytes are three ranges: `-` to `9` (`- . /` and the digits are
    /// adjacent), `a` to `z` once case is folded, and `_`.
    @inlinable
    public static func allAllowed(_ bytes: ByteView) -> Bool {
        let count = bytes.count
        var offset = 0
        while offset + 8 <= count {
            if !allAllowed(bytes.load(at: offset, as: UInt64.self), lanes: ~0) { return false }
            offset += 8
        }
        let rest = count - offset
        if rest == 0 { return true }
        return allAllowed(bytes.partialWord(at: offset, count: rest), lanes: ~0 >> UInt64(64 - 8 * rest))
    }

    /// Whether the bytes of `word` selected by `lanes` (0xFF per byte) are allowed.
    @inlinable @inline(__always)
    static func allAllowed(_ word: UInt64, lanes: UInt64) -> Bool {
        if ByteLanes.nonASCII(word) & lanes != 0 { return false }
        let folded = word | ByteLanes.ones &* 0x20
        let punctuationOrDigit = ByteLanes.atLeast(word, 0x2D) & ByteLanes.atMost(word, 0x39)
        let letter = ByteLanes.atLeast(folded, 0x61) & ByteLanes.atMost(folded, 0x7A)
        let allowed = punctuationOrDigit | letter | ByteLanes.equal(word, 0x5F)
        return allowed & lanes == ByteLanes.highs & lanes
    }

    /// Validates a `String` identifier (for command-line arguments, not hot paths).
    public static func problem(_ text: String, maximumBytes: Int) -> String? {
        text.withByteView { problem($0, maximumBytes: maximumBytes) }
    }

    /// A byte as a reader would want to see it in an error message.
    public static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
    }
}
