import RastroCore

/// A value given for a parameter that does not parse; the caller names the parameter.
public struct ParseError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `YYYY-MM-DD` as a civil date.
public func parseDate(_ text: String) -> CivilDate? {
    // Digits only: `Int` alone would read "+9" as a month.
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
        let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
        (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month)
    else { return nil }
    return CivilDate(year: year, month: month, day: day)
}

/// A date (local midnight in the site zone) or a timestamp, as UTC milliseconds.
public func parseInstant(_ text: String, zone: inout SiteTimeZone) throws -> Int64 {
    if let date = parseDate(text) { return zone.startOfDay(Int32(date.daysSinceEpoch)) }
    do {
        return try Timestamp.parse(text, zone: &zone)
    } catch {
        throw ParseError("'\(text)' is neither a date (YYYY-MM-DD) nor a timestamp: \(error)")
    }
}

/// A duration such as `90m`, `36h`, `2d`, `1h30m` or `45s`, in milliseconds.
public func parseDuration(_ text: String) throws -> Int64 {
    var total: Int64 = 0
    var number: Int64? = nil
    for character in text {
        if let digit = character.wholeNumberValue, character.isASCII {
            number = (number ?? 0) * 10 + Int64(digit)
            guard number! < 1_000_000_000 else { break }
            continue
        }
        let unit: Int64
        switch character {
        case "d": unit = 86_400_000
        case "h": unit = 3_600_000
        case "m": unit = 60_000
        case "s": unit = 1_000
        default: throw ParseError("'\(text)' is not a duration: use a number with d, h, m or s, such as 36h or 1h30m")
        }
        guard let value = number else { throw ParseError("'\(text)' is not a duration: a unit without a number") }
        total += value * unit
        number = nil
    }
    guard number == nil, !text.isEmpty else {
        throw ParseError("'\(text)' is not a duration: give a unit (d, h, m or s), such as 36h or 1h30m")
    }
    return total
}
