/// Appends CSV fields, quoting only when a value needs it (RFC 4180), with spreadsheet formulas neutralised.
///
/// A field that a spreadsheet would run as a formula — one starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return (OWASP's CSV injection list) that is not a plain decimal number — is written with a `'` in front, which
/// spreadsheets show as text. `rastro import` removes that `'` again (``CSVScanReader``), so an export or a rejects
/// file reads back as what was stored or sent. Plain numbers (`-74.07`) are left as numbers.
public enum CSVWriter {
    /// The byte put in front of a field a spreadsheet would take for a formula.
    public static let formulaGuard = UInt8(ascii: "'")

    /// Whether a field starting with `first` would be taken for a formula.
    @inlinable
    public static func startsFormula(_ first: UInt8) -> Bool {
        first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@")
            || first == 0x09 || first == 0x0D
    }

    /// Whether `bytes` need the guard: they start like a formula and are not a plain decimal number.
    public static func needsFormulaGuard<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        guard let first = bytes.first, startsFormula(first) else { return false }
        var digits = 0
        var dots = 0
        for (offset, byte) in bytes.enumerated() {
            if offset == 0 && (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")) { continue }
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
            } else if byte == UInt8(ascii: ".") && dots == 0 && digits > 0 {
                dots += 1
            } else {
                return true
            }
        }
        return digits == 0
    }

    /// Appends an identifier (validated to `A-Z a-z 0-9 - _ . /`, so never quoted), guarded when it starts with `-`.
    public static func appendIdentifier<Bytes: Collection<UInt8>>(_ bytes: Bytes, to output: inout [UInt8]) {
        if needsFormulaGuard(bytes) { output.append(formulaGuard) }
        output.append(contentsOf: bytes)
    }

    /// Appends one field, guarded if a spreadsheet would take it for a formula, quoted if it holds the delimiter, a
    /// quote, CR or LF.
    public static func appendField(_ value: String, delimiter: UInt8 = UInt8(ascii: ","), to output: inout [UInt8]) {
        let guarded = needsFormulaGuard(value.utf8)
        var needsQuotes = false
        for byte in value.utf8
        where byte == delimiter || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            needsQuotes = true
            break
        }
        guard needsQuotes else {
            if guarded { output.append(formulaGuard) }
            output.append(contentsOf: value.utf8)
            return
        }
        output.append(UInt8(ascii: "\""))
        if guarded { output.append(formulaGuard) }
        for byte in value.utf8 {
            if byte == UInt8(ascii: "\"") { output.append(byte) }
            output.append(byte)
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends a whole row and a line feed.
    public static func appendRow(_ values: [String], delimiter: UInt8 = UInt8(ascii: ","), to output: inout [UInt8]) {
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(delimiter) }
            appendField(value, delimiter: delimiter, to: &output)
        }
        output.append(UInt8(ascii: "\n"))
    }

    /// One row as a `String`, without the line feed.
    public static func row(_ values: [String]) -> String {
        var output: [UInt8] = []
        appendRow(values, to: &output)
        output.removeLast()
        return String(decoding: output, as: UTF8.self)
    }
}
