import ArgumentParser
import RastroAnalytics
import RastroCore

/// `--from` / `--to`, shared by every report over a period.
struct WindowOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Start, inclusive: a date (local midnight) or a timestamp.", valueName: "T"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("End, exclusive: a date (local midnight) or a timestamp.", valueName: "T"))
    var to: String?

    func window(zone: inout SiteTimeZone) throws -> TimeWindow {
        TimeWindow(from: try from.map { try parseInstant($0, zone: &zone) }, to: try to.map { try parseInstant($0, zone: &zone) })
    }

    func validate() throws {
        var zone = SiteTimeZone(identifier: SiteTimeZone.defaultIdentifier)!
        let window = try window(zone: &zone)
        if let from = window.from, let to = window.to, to <= from {
            throw ValidationError("--to must be after --from")
        }
    }
}

extension GroupBy: ExpressibleByArgument {}
extension Bucket: ExpressibleByArgument {}

extension Event: ExpressibleByArgument {
    public init?(argument: String) { self.init(code: argument) }
    public static var allValueStrings: [String] { allCases.map(\.code) }
}

/// A duration such as `90m`, `36h`, `2d`, `1h30m` or `45s`, in milliseconds.
func parseDuration(_ text: String) throws -> Int64 {
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
        default: throw ValidationError("'\(text)' is not a duration: use a number with d, h, m or s, such as 36h or 1h30m")
        }
        guard let value = number else { throw ValidationError("'\(text)' is not a duration: a unit without a number") }
        total += value * unit
        number = nil
    }
    guard number == nil, !text.isEmpty else {
        throw ValidationError("'\(text)' is not a duration: give a unit (d, h, m or s), such as 36h or 1h30m")
    }
    return total
}
