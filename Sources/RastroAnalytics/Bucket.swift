import RastroCore

/// How productivity rows are grouped in time: one row per key, or per key and local day, ISO week or month.
public enum Bucket: String, Sendable, CaseIterable {
    case total, day, week, month

    /// A number that orders and identifies the bucket holding local `day`.
    public func index(of day: UInt32) -> Int {
        switch self {
        case .total: return 0
        case .day: return Int(day)
        case .week:
            // 1970-01-01 was a Thursday: Monday-based weekday of day d is (d + 3) mod 7.
            return Int(day) - (Int(day) + 3) % 7
        case .month:
            let date = CivilDate(daysSinceEpoch: Int(day))
            return date.year * 12 + date.month - 1
        }
    }

    /// The label of a bucket: `2026-09-01`, `2026-W36` (ISO 8601 week), `2026-09`; `nil` for the total.
    public func label(_ index: Int) -> String? {
        switch self {
        case .total: return nil
        case .day: return CivilDate(daysSinceEpoch: index).iso
        case .week:
            // The ISO week-numbering year is the year of the week's Thursday.
            let thursday = CivilDate(daysSinceEpoch: index + 3)
            let yearStart = CivilDate(year: thursday.year, month: 1, day: 1).daysSinceEpoch
            let week = (index + 3 - yearStart) / 7 + 1
            return "\(thursday.year)-W\(week < 10 ? "0" : "")\(week)"
        case .month:
            let month = index % 12 + 1
            return "\(index / 12)-\(month < 10 ? "0" : "")\(month)"
        }
    }
}
