import RastroCore

/// Log-linear bins over milliseconds for task durations.
///
/// Values below 128 ms have a bin each; above, every power of two is split into 64 equal bins. A bin's reported
/// value is its midpoint, so a reported percentile is within 1/128 (0.78 %) of the exact value: bin `[m·2^e,
/// (m+1)·2^e − 1]` with `m ≥ 64` has half-width below `2^e / 2 ≤ value / 128`.
public enum DurationBins {
    public static var exactBelow: Int64 { 128 }

    @inlinable
    public static func bin(_ milliseconds: Int64) -> Int {
        precondition(milliseconds >= 0, "negative duration")
        if milliseconds < exactBelow { return Int(milliseconds) }
        let exponent = (63 - milliseconds.leadingZeroBitCount) - 6
        return 64 * exponent + Int(milliseconds >> exponent)
    }

    /// The smallest and largest values of a bin.
    @inlinable
    public static func bounds(_ bin: Int) -> (lower: Int64, upper: Int64) {
        if bin < Int(exactBelow) { return (Int64(bin), Int64(bin)) }
        let exponent = bin / 64 - 1
        let mantissa = Int64(bin - 64 * exponent)
        return (mantissa << exponent, ((mantissa + 1) << exponent) - 1)
    }

    /// The value reported for a bin: its midpoint.
    @inlinable
    public static func representative(_ bin: Int) -> Int64 {
        let (lower, upper) = bounds(bin)
        return lower + (upper - lower) / 2
    }
}
