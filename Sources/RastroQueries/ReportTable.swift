import RastroCore
import RastroCSV

/// One value of a report cell; JSON keeps numbers as numbers and absent values as `null`.
public enum ReportValue: Sendable, Equatable {
    case text(String)
    /// A number already formatted (fixed decimals), printed as is in every format.
    case number(String)
    case null

    public static func integer<Value: BinaryInteger>(_ value: Value) -> ReportValue { .number(String(value)) }

    /// A number with exactly `decimals` decimals.
    public static func fixed(_ value: Double, _ decimals: Int) -> ReportValue { .number(formatFixed(value, decimals)) }

    var text: String {
        switch self {
        case .text(let value), .number(let value): value
        case .null: ""
        }
    }

    var isNumber: Bool {
        if case .number = self { return true }
        return false
    }
}

/// Formats with a fixed number of decimals, rounding half away from zero, without Foundation's locale.
public func formatFixed(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
    guard scaled < 9.0e18 else { return String(value) }
    let integer = UInt64(scaled)
    let divisor = UInt64(scale)
    var text = String(integer / divisor)
    if decimals > 0 {
        let fraction = String(integer % divisor)
        text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return (value < 0 && integer != 0 ? "-" : "") + text
}

/// A report: named columns and rows, printed as an aligned table, CSV (one header row) or JSON.
public struct ReportTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[ReportValue]]

    public init(columns: [String], rows: [[ReportValue]] = []) {
        self.columns = columns
        self.rows = rows
    }

    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .csv: csv()
        case .json: json()
        case .table: table()
        }
    }

    public func csv() -> String {
        var output: [UInt8] = []
        CSVWriter.appendRow(columns, to: &output)
        for row in rows { CSVWriter.appendRow(row.map(\.text), to: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    public func json() -> String {
        var text = "["
        for (rowIndex, row) in rows.enumerated() {
            text += rowIndex == 0 ? "\n  {" : ",\n  {"
            for (index, column) in columns.enumerated() {
                if index > 0 { text += ", " }
                text += JSONText.quoted(column) + ": "
                switch row[index] {
                case .text(let value): text += JSONText.quoted(value)
                case .number(let value): text += value
                case .null: text += "null"
                }
            }
            text += "}"
        }
        return text + (rows.isEmpty ? "]\n" : "\n]\n")
    }

    public func table() -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (index, value) in row.enumerated() { widths[index] = max(widths[index], value.text.count) }
        }
        let numeric = columns.indices.map { index in !rows.isEmpty && rows.allSatisfy { $0[index].isNumber || $0[index] == .null } }
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, value in
                let padding = String(repeating: " ", count: widths[index] - value.count)
                return numeric[index] ? padding + value : value + padding
            }.joined(separator: "  ").replacing(/\s+$/, with: "")
        }
        var text = line(columns) + "\n"
        text += line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for row in rows { text += line(row.map(\.text)) + "\n" }
        return text
    }
}
