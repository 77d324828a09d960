import RastroCore

/// Time differences as varint payloads with one bit saying whether they count seconds or milliseconds.
///
/// Most handhelds report whole seconds, some report milliseconds; a block-wide unit would fall back to milliseconds
/// as soon as one such handheld appears. Per value, a whole-second difference costs about 10 bits less.
public enum TimeDelta {
    /// The payload for a signed difference in milliseconds.
    @inlinable @inline(__always)
    public static func encode(_ milliseconds: Int64) -> UInt64 {
        if milliseconds % 1000 == 0 {
            let seconds = milliseconds / 1000
            return UInt64(bitPattern: (seconds << 1) ^ (seconds >> 63)) << 1
        }
        return UInt64(bitPattern: (milliseconds << 1) ^ (milliseconds >> 63)) << 1 | 1
    }

    /// The signed difference in milliseconds a payload holds.
    @inlinable @inline(__always)
    public static func decode(_ payload: UInt64) -> Int64 {
        let zigzag = payload >> 1
        let value = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        return payload & 1 == 0 ? value &* 1000 : value
    }
}
