import Foundation

/// The site's time zone: the calendar that days, "today" and timestamps without an offset refer to.
///
/// Conversions sit on the ingest hot path (every scan needs its local day), so the zone caches the bounds of the
/// last local day it computed; scans arrive clustered in time and almost every lookup hits. The cache makes the value
/// `mutating`: each thread works on its own copy.
public struct SiteTimeZone: Sendable {
    /// The IANA identifier, e.g. `America/Bogota`.
    public let identifier: String
    @usableFromInline let zone: TimeZone

    @usableFromInline var cachedDay: Int32 = .min
    @usableFromInline var cachedStart: Int64 = 0
    @usableFromInline var cachedEnd: Int64 = 0
    /// Offset from UTC in milliseconds across the cached day, or `nil` when the day has a transition.
    @usableFromInline var cachedUniformOffset: Int64? = nil

    /// The zone Rastro uses when a data directory does not name one.
    public static let defaultIdentifier = "America/Bogota"

    public static let millisecondsPerDay: Int64 = 86_400_000

    /// Opens an IANA time zone, or returns `nil` when the identifier is unknown.
    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    /// The offset from UTC, in milliseconds, at a UTC instant.
    public func offsetMilliseconds(atUTC milliseconds: Int64) -> Int64 {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return Int64(zone.secondsFromGMT(for: date)) * 1000
    }

    /// The local calendar day (days since 1970-01-01 in this zone) of a UTC instant.
    @inlinable
    public mutating func day(ofUTC milliseconds: Int64) -> Int32 {
        if milliseconds >= cachedStart && milliseconds < cachedEnd { return cachedDay }
        return recomputeDay(ofUTC: milliseconds)
    }

    @usableFromInline
    mutating func recomputeDay(ofUTC milliseconds: Int64) -> Int32 {
        let local = milliseconds + offsetMilliseconds(atUTC: milliseconds)
        var day = Int32(Self.floorDivide(local, Self.millisecondsPerDay))
        // Near a transition the local midnight can move; settle the day against the real bounds.
        while milliseconds < startOfDay(day) { day -= 1 }
        while milliseconds >= startOfDay(day + 1) { day += 1 }
        cache(day)
        return day
    }

    @usableFromInline
    mutating func cache(_ day: Int32) {
        let start = startOfDay(day)
        let end = startOfDay(day + 1)
        cachedDay = day
        cachedStart = start
        cachedEnd = end
        let startOffset = offsetMilliseconds(atUTC: start)
        let endOffset = offsetMilliseconds(atUTC: end - 1)
        cachedUniformOffset = startOffset == endOffset ? startOffset : nil
    }

    /// The UTC instant of local midnight that starts `day`.
    public func startOfDay(_ day: Int32) -> Int64 {
        utc(fromLocalWallClock: Int64(day) * Self.millisecondsPerDay)
    }

    /// The UTC instant of a local wall-clock time given as milliseconds since 1970-01-01T00:00 local.
    ///
    /// An ambiguous wall time (clocks set back) resolves to its first occurrence; a skipped one (clocks set forward)
    /// resolves as if the clocks had not moved yet, which lands just after the gap.
    public func utc(fromLocalWallClock local: Int64) -> Int64 {
        let firstGuess = local - offsetMilliseconds(atUTC: local)
        let offset = offsetMilliseconds(atUTC: firstGuess)
        let secondGuess = local - offset
        if offsetMilliseconds(atUTC: secondGuess) == offset { return min(firstGuess, secondGuess) }
        return firstGuess
    }

    /// Same as ``utc(fromLocalWallClock:)`` but through the day cache: the hot path for timestamps without offset.
    @inlinable
    public mutating func cachedUTC(fromLocalWallClock local: Int64) -> Int64 {
        let day = Int32(Self.floorDivide(local, Self.millisecondsPerDay))
        if day != cachedDay { cache(day) }
        if let offset = cachedUniformOffset { return local - offset }
        return utc(fromLocalWallClock: local)
    }

    /// The offset to print beside a UTC instant, through the day cache.
    @inlinable
    public mutating func cachedOffset(atUTC milliseconds: Int64) -> Int64 {
        _ = day(ofUTC: milliseconds)
        if let offset = cachedUniformOffset { return offset }
        return offsetMilliseconds(atUTC: milliseconds)
    }

    /// Floor division for possibly negative numerators.
    @inlinable
    public static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
