#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two clocks the project reads: wall time for what is stored and shown (receive times, audit records), the
/// monotonic clock for durations and deadlines, which a wall-clock step must not stretch or shorten.
public enum SystemClock {
    /// Wall-clock UTC milliseconds since the Unix epoch (`CLOCK_REALTIME`).
    @inlinable public static var wallMilliseconds: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Seconds on the monotonic clock, from an arbitrary start (`CLOCK_MONOTONIC`).
    @inlinable public static var monotonicSeconds: Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Milliseconds on the monotonic clock, from an arbitrary start.
    @inlinable public static var monotonicMilliseconds: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }
}
