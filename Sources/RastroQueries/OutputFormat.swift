/// How a report is written: an aligned table (a terminal), CSV (the import dialect) or JSON (an array of objects).
/// The CLI's `--format` and the HTTP API's `format=` or `Accept` choose among the same three.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json

    /// The media type the HTTP API answers with.
    public var mediaType: String {
        switch self {
        case .table: "text/plain; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        }
    }
}
