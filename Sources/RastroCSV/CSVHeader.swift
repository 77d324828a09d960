import RastroCore
import RastroPrimitives

/// The header row: which delimiter the file uses and which column holds which field.
public struct CSVHeader: Sendable, Equatable {
    public var delimiter: UInt8
    /// For each column of the file, the field it holds, or `nil` for a column Rastro ignores.
    public var columns: [ScanField?]
    /// The names of the ignored columns, in file order (reported once per file).
    public var unknownColumns: [String]

    /// The column index of each field, or -1 when the file has no such column.
    public var columnOfField: [Int] {
        var result = Array(repeating: -1, count: ScanField.allCases.count)
        for (index, field) in columns.enumerated() { if let field { result[field.rawValue] = index } }
        return result
    }

    /// Picks `,` or `;`, whichever the header line uses more; a header with neither has one column.
    public static func detectDelimiter(_ headerLine: ByteView) -> UInt8 {
        var commas = 0
        var semicolons = 0
        for byte in headerLine {
            if byte == UInt8(ascii: ",") { commas += 1 }
            if byte == UInt8(ascii: ";") { semicolons += 1 }
        }
        return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }

    /// Maps header names (case-insensitive, surrounding spaces ignored) to fields.
    public init(names: [String], delimiter: UInt8, line: Int) throws(CSVFileError) {
        self.delimiter = delimiter
        columns = []
        unknownColumns = []
        var seen = Set<ScanField>()
        for rawName in names {
            let name = String(rawName.lowercased().drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
            if let field = ScanField(name: name) {
                guard seen.insert(field).inserted else {
                    throw CSVFileError(line: line, message: "column '\(field.name)' appears twice in the header")
                }
                columns.append(field)
            } else {
                columns.append(nil)
                unknownColumns.append(rawName)
            }
        }
        let missing = ScanField.allCases.filter { $0.isRequiredColumn && !seen.contains($0) }
        if !missing.isEmpty {
            let delimiterName = delimiter == UInt8(ascii: ";") ? "';'" : "','"
            throw CSVFileError(
                line: line,
                message: "the header lacks required column\(missing.count > 1 ? "s" : "") "
                    + missing.map(\.name).joined(separator: ", ") + " (delimiter \(delimiterName))")
        }
        if seen.contains(.latitude) != seen.contains(.longitude) {
            throw CSVFileError(line: line, message: "the header has one of lat and lon; give both columns or neither")
        }
    }
}
