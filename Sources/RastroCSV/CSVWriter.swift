/// Appends CSV fields, quoting only when a value needs it (RFC 4180).
public enum CSVWriter {
    /// Appends one field, quoted if it holds the delimiter, a quote, CR or LF.
    public static func appendField(_ value: String, delimiter: UInt8 = UInt8(ascii: ","), to output: inout [UInt8]) {
        var needsQuotes = false
        for byte in value.utf8
        where byte == delimiter || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            needsQuotes = true
            break
        }
        guard needsQuotes else {
            output.append(contentsOf: value.utf8)
            return
        }
        output.append(UInt8(ascii: "\""))
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
