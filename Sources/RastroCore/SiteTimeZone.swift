import Foundation

/// The site's time zone: the calendar that days, "today" and timestamps without an offset refer to.
///
/// Conversions sit on the ingest hot path (every scan needs its local day, often several times), so the zone
/// caches the span of UTC time over which its offset is constant — between two daylight-saving transitions, or
/// forever for zones without them, such as `America/Bogota`. Inside that span a conversion is two integer
/// operations. The cache makes lookups `mutating`: each thread works on its own copy.
public struct SiteTimeZone: Sendable {
    /// The IANA identifier, e.g. `America/Bogota`.
    public let identifier: String
    @usableFromInline let zone: TimeZone

    /// `[spanStart, spanEnd)` in UTC milliseconds, over which the offset is `spanOffset`.
    @usableFromInline var spanStart: Int64 = 1
    @usableFromInline var spanEnd: Int64 = 0
    @usableFromInline var spanOffset: Int64 = 0
    /// The date ``Timestamp/parse(_:zone:)`` read last: its first ten bytes (`YYYY-MM-DD`, as two little-endian
    /// loads) and its day number. Consecutive scans are nearly always dated the same day.
    @usableFromInline var lastDate: (head: UInt64, tail: UInt16, days: Int64)? = nil

    /// The zone Rastro uses when a data directory does not name one.
    public static let defaultIdentifier = "America/Bogota"

    public static var millisecondsPerDay: Int64 { 86_400_000 }

    /// Opens an IANA time zone, or returns `nil` when the identifier is unknown.
    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    /// The offset from UTC, in milliseconds, at a UTC instant (uncached: Foundation).
    public func offsetMilliseconds(atUTC milliseconds: Int64) -> Int64 {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return Int64(zone.secondsFromGMT(for: date)) * 1000
    }

    /// The offset from UTC at a UTC instant, through the span cache.
    @inlinable
    public mutating func cachedOffset(atUTC milliseconds: Int64) -> Int64 {
        if milliseconds >= spanStart && milliseconds < spanEnd { return spanOffset }
        return cacheSpan(around: milliseconds)
    }

    /// Finds the transitions around `milliseconds` and caches the span between them.
    @usableFromInline
    mutating func cacheSpan(around milliseconds: Int64) -> Int64 {
        let offset = offsetMilliseconds(atUTC: milliseconds)
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        // Look a year either way: a zone with no transition in that range is treated as constant over it.
        let year: Int64 = 366 * Self.millisecondsPerDay
        var end = milliseconds + year
        if let next = zone.nextDaylightSavingTimeTransition(after: date) {
            end = min(end, Int64((next.timeIntervalSince1970 * 1000).rounded(.down)))
        }
        var start = milliseconds - year
        if let previous = previousTransition(before: milliseconds, notBefore: start) { start = previous }
        spanStart = start
        spanEnd = max(end, milliseconds + 1)
        spanOffset = offset
        return offset
    }

    /// The latest transition in `[notBefore, milliseconds]`, found by asking for the next one from `notBefore`.
    func previousTransition(before milliseconds: Int64, notBefore: Int64) -> Int64? {
        var cursor = Date(timeIntervalSince1970: Double(notBefore) / 1000)
        var latest: Int64? = nil
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor) {
            let instant = Int64((next.timeIntervalSince1970 * 1000).rounded(.down))
            if instant > milliseconds { break }
            latest = instant
            cursor = next
        }
        return latest
    }

    /// The local calendar day (days since 1970-01-01 in this zone) of a UTC instant.
    @inlinable
    public mutating func day(ofUTC milliseconds: Int64) -> Int32 {
        let local = milliseconds + cachedOffset(atUTC: milliseconds)
        return Int32(Self.floorDivide(local, Self.millisecondsPerDay))
    }

    /// The UTC instant of local midnight that starts `day`.
    @inlinable
    public mutating func startOfDay(_ day: Int32) -> Int64 {
        cachedUTC(fromLocalWallClock: Int64(day) * Self.millisecondsPerDay)
    }

    /// The UTC instant of a local wall-clock time given as milliseconds since 1970-01-01T00:00 local.
    ///
    /// An ambiguous wall time (clocks set back) resolves to its first occurrence; a skipped one (clocks set forward)
    /// resolves as if the clocks had not moved yet, which lands just after the gap.
    @inlinable
    public mutating func cachedUTC(fromLocalWallClock local: Int64) -> Int64 {
        // Inside a cached span whose offset also holds at the result, the answer is exact.
        let guess = local - spanOffset
        if guess >= spanStart && guess < spanEnd { return guess }
        return utc(fromLocalWallClock: local)
    }

    @usableFromInline
    mutating func utc(fromLocalWallClock local: Int64) -> Int64 {
        let firstOffset = cachedOffset(atUTC: local)
        let firstGuess = local - firstOffset
        let secondOffset = cachedOffset(atUTC: firstGuess)
        let secondGuess = local - secondOffset
        if cachedOffset(atUTC: secondGuess) == secondOffset { return min(firstGuess, secondGuess) }
        return firstGuess
    }

    /// Floor division for possibly negative numerators.
    @inlinable
    public static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
