/// Tests on the eight bytes of a word at once ("SWAR"), for the byte checks every scan's identifiers go through.
///
/// Each test sets the high bit of the bytes that pass and clears every other bit. They hold for bytes below 0x80
/// (ASCII): `x + (0x80 − low)` reaches 0x80 exactly when `x ≥ low`, and `x + (0x7F − high)` exactly when
/// `x > high`, and neither sum carries into the next byte. Callers deal with bytes at or above 0x80 first.
public enum ByteLanes {
    public static let ones: UInt64 = 0x0101_0101_0101_0101
    public static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Bytes at or above 0x80 (which the other tests do not handle).
    @inlinable @inline(__always)
    public static func nonASCII(_ word: UInt64) -> UInt64 { word & highs }

    /// ASCII bytes `≥ low`.
    @inlinable @inline(__always)
    public static func atLeast(_ word: UInt64, _ low: UInt8) -> UInt64 { (word &+ ones &* UInt64(0x80 - low)) & highs }

    /// ASCII bytes `≤ high`.
    @inlinable @inline(__always)
    public static func atMost(_ word: UInt64, _ high: UInt8) -> UInt64 { ~(word &+ ones &* UInt64(0x7F - high)) & highs }

    /// ASCII bytes equal to `value`.
    @inlinable @inline(__always)
    public static func equal(_ word: UInt64, _ value: UInt8) -> UInt64 {
        let difference = word ^ ones &* UInt64(value)
        return ~((difference &+ ones &* 0x7F) | difference) & highs
    }
}
