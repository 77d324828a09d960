/// A fast, well-mixed 64-bit hash for the keys of the project's own hash tables (``FastHashable``).
///
/// Swift's `Hasher` (SipHash-1-3) resists hash flooding at several times this mixer's cost; the writer's tables are
/// keyed by values the store itself derives (day, centre and messenger ids; identifiers already validated) and
/// probed several times per scan, so they hash with this mixer.
public enum FastHash {
    /// The murmur3 / splitmix finaliser: every input bit affects every output bit.
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &* 0x9E37_79B9_7F4A_7C15
        z ^= z >> 32
        z &*= 0xD6E8_FEB8_6659_FD93
        z ^= z >> 32
        return z
    }

    @inlinable @inline(__always)
    public static func combine(_ hash: UInt64, _ value: UInt64) -> UInt64 {
        mix(hash ^ value &+ 0x632B_E59B_D9B4_E019)
    }
}
