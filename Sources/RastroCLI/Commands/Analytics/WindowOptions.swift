import ArgumentParser
import RastroAnalytics
import RastroCore
import RastroQueries

/// `--from` / `--to`, shared by every report over a period.
struct WindowOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Start, inclusive: a date (local midnight) or a timestamp.", valueName: "T"))
    var from: String?

    @Option(name: .long, help: ArgumentHelp("End, exclusive: a date (local midnight) or a timestamp.", valueName: "T"))
    var to: String?

    /// The options as query parameters.
    var values: [String: String?] { ["from": from, "to": to] }

    func window(zone: inout SiteTimeZone) throws -> TimeWindow {
        do {
            return try QueryParameters(values).window(zone: &zone)
        } catch {
            throw ValidationError(error.cliMessage)
        }
    }
}

extension GroupBy: ExpressibleByArgument {}
extension Bucket: ExpressibleByArgument {}

extension Event: ExpressibleByArgument {
    public init?(argument: String) { self.init(code: argument) }
    public static var allValueStrings: [String] { allCases.map(\.code) }
}

extension QueryError {
    /// The error as the CLI says it: naming the option (`--from-event`) rather than the parameter.
    var cliMessage: String { "--\(String(parameter.map { $0 == "_" ? "-" : $0 })): \(message)" }
}

extension Dictionary where Key == String, Value == String? {
    static func + (lhs: Self, rhs: Self) -> Self { lhs.merging(rhs) { first, _ in first } }
}

/// Runs a report with the options given as its parameters and prints its table: the same code path as the HTTP API's
/// `GET /v1/<name>`.
func runQuery<Query: ReportQuery>(
    _ type: Query.Type, _ values: [String: String?], _ dataOptions: DataOptions, _ formatOption: FormatOption
) throws {
    let store = try dataOptions.openForReading()
    let query: Query
    do {
        query = try Query(QueryParameters(values), zone: store.zone, now: nowMilliseconds())
    } catch {
        throw ValidationError(error.cliMessage)
    }
    let table: ReportTable
    do {
        table = try query.table(store)
    } catch let error as NotFound {
        throw ValidationError(error.description)
    }
    Console.out(table.render(formatOption.resolved))
}
