import RastroPrimitives

/// Parsing and printing of `scanned_at` timestamps, on bytes.
///
/// Accepted: `YYYY-MM-DD`, then `T` or a space, then `HH:MM`, optionally `:SS`, optionally a fraction of any length
/// (kept to the millisecond, extra digits truncated), optionally `Z` or an offset `±HH`, `±HHMM`, `±HH:MM`.
/// Without an offset the time is a wall-clock time in the site time zone. Results are milliseconds since the Unix
/// epoch, UTC.
public enum Timestamp {
    /// Parses a timestamp; throws a message fit for a rejected-row report.
    @inlinable
    public static func parse(
        _ bytes: ByteView, zone: inout SiteTimeZone
    ) throws(FieldProblem) -> Int64 {
        let count = bytes.count
        guard count >= 16 else { throw FieldProblem("'\(String(decoding: bytes, as: UTF8.self))' is not a timestamp; expected YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]") }
        var index = 0
        @inline(__always) func digits(_ n: Int) -> Int? {
            guard index + n <= count else { return nil }
            var value = 0
            for offset in 0..<n {
                let digit = Int(bytes[index + offset]) &- 48
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            index += n
            return value
        }
        @inline(__always) func expect(_ byte: UInt8) -> Bool {
            guard index < count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        // The date of the timestamp parsed last (its bytes, validated then) is not parsed again.
        let head = bytes.load(at: 0, as: UInt64.self)
        let tail = bytes.load(at: 8, as: UInt16.self)
        var cachedDays: Int64? = nil
        var year = 0
        var month = 0
        var day = 0
        if let last = zone.lastDate, last.head == head && last.tail == tail {
            cachedDays = last.days
            index = 10
        } else {
            guard let parsedYear = digits(4), expect(UInt8(ascii: "-")), let parsedMonth = digits(2),
                expect(UInt8(ascii: "-")), let parsedDay = digits(2)
            else { throw badShape(bytes) }
            (year, month, day) = (parsedYear, parsedMonth, parsedDay)
        }
        guard index < count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ")
            || bytes[index] == UInt8(ascii: "t")
        else { throw badShape(bytes) }
        index += 1
        guard let hour = digits(2), expect(UInt8(ascii: ":")), let minute = digits(2) else { throw badShape(bytes) }
        var second = 0
        var millisecond = 0
        if expect(UInt8(ascii: ":")) {
            guard let value = digits(2) else { throw badShape(bytes) }
            second = value
            if expect(UInt8(ascii: ".")) || expect(UInt8(ascii: ",")) {
                var scale = 100
                var fractionDigits = 0
                while index < count {
                    let digit = Int(bytes[index]) &- 48
                    guard digit >= 0 && digit <= 9 else { break }
                    millisecond += digit * scale
                    scale /= 10
                    fractionDigits += 1
                    index += 1
                }
                guard fractionDigits > 0 else { throw badShape(bytes) }
            }
        }
        if cachedDays == nil {
            guard month >= 1 && month <= 12 else { throw FieldProblem("month \(month) is out of range 01–12") }
            guard day >= 1 && day <= CivilDate.daysInMonth(year: year, month: month) else {
                throw FieldProblem("day \(day) does not exist in \(year)-\(month < 10 ? "0" : "")\(month)")
            }
        }
        guard hour <= 23 else { throw FieldProblem("hour \(hour) is out of range 00–23") }
        guard minute <= 59 else { throw FieldProblem("minute \(minute) is out of range 00–59") }
        guard second <= 59 else { throw FieldProblem("second \(second) is out of range 00–59") }
        let days: Int64
        if let cachedDays {
            days = cachedDays
        } else {
            days = Int64(CivilDate(year: year, month: month, day: day).daysSinceEpoch)
            zone.lastDate = (head, tail, days)
        }
        let wallClock =
            ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
        if index == count { return zone.cachedUTC(fromLocalWallClock: wallClock) }
        let sign = bytes[index]
        if (sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z")) && index + 1 == count { return wallClock }
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { throw badShape(bytes) }
        index += 1
        guard let offsetHours = digits(2) else { throw badShape(bytes) }
        var offsetMinutes = 0
        if index < count {
            _ = expect(UInt8(ascii: ":"))
            guard let minutes = digits(2) else { throw badShape(bytes) }
            offsetMinutes = minutes
        }
        guard index == count else { throw badShape(bytes) }
        guard offsetHours <= 14 && offsetMinutes <= 59 else {
            throw FieldProblem("offset \(offsetHours):\(offsetMinutes) is out of range (at most ±14:00)")
        }
        let offset = Int64(offsetHours * 60 + offsetMinutes) * 60_000
        return sign == UInt8(ascii: "+") ? wallClock - offset : wallClock + offset
    }

    @usableFromInline
    static func badShape(_ bytes: ByteView) -> FieldProblem {
        FieldProblem(
            "'\(String(decoding: bytes.prefix(48), as: UTF8.self))' is not a timestamp; expected "
                + "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]")
    }

    /// Parses a `String` (command-line arguments; not a hot path).
    public static func parse(_ text: String, zone: inout SiteTimeZone) throws(FieldProblem) -> Int64 {
        try text.withByteView { bytes throws(FieldProblem) in try parse(bytes, zone: &zone) }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmm±HH:MM` in the site zone to `output`.
    public static func append(_ milliseconds: Int64, zone: inout SiteTimeZone, to output: inout [UInt8]) {
        let offset = zone.cachedOffset(atUTC: milliseconds)
        let local = milliseconds + offset
        let days = SiteTimeZone.floorDivide(local, SiteTimeZone.millisecondsPerDay)
        let inDay = local - days * SiteTimeZone.millisecondsPerDay
        let date = CivilDate(daysSinceEpoch: Int(days))
        appendDigits(date.year, 4, &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(date.month, 2, &output)
        output.append(UInt8(ascii: "-"))
        appendDigits(date.day, 2, &output)
        output.append(UInt8(ascii: "T"))
        appendDigits(Int(inDay / 3_600_000), 2, &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(Int(inDay / 60_000 % 60), 2, &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(Int(inDay / 1000 % 60), 2, &output)
        output.append(UInt8(ascii: "."))
        appendDigits(Int(inDay % 1000), 3, &output)
        if offset == 0 {
            output.append(UInt8(ascii: "Z"))
            return
        }
        output.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let offsetMinutes = Int(abs(offset) / 60_000)
        appendDigits(offsetMinutes / 60, 2, &output)
        output.append(UInt8(ascii: ":"))
        appendDigits(offsetMinutes % 60, 2, &output)
    }

    /// The same as ``append(_:zone:to:)``, as a `String`.
    public static func format(_ milliseconds: Int64, zone: inout SiteTimeZone) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(29)
        append(milliseconds, zone: &zone, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    @inline(__always)
    static func appendDigits(_ value: Int, _ width: Int, _ output: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = value
        if remaining >= divisor * 10 {  // Wider than the field (a year past 9999): print it whole.
            output.append(contentsOf: Array(String(value).utf8))
            return
        }
        while divisor > 0 {
            output.append(UInt8(48 + remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }
}
