import RastroCore

/// A CSV record that was not stored, with what a clerk needs to fix it: where, which field, why, and the record.
public struct CSVRejection: Sendable, Equatable, CustomStringConvertible {
    /// The physical line the record starts on (the header is line 1).
    public var line: Int
    /// The column that failed, or `row` for a problem with the record as a whole.
    public var field: String
    public var reason: String
    /// The record as it was read (at most ``Limits/csvRecordBytes``), without its line ending.
    public var record: String

    public init(line: Int, field: String, reason: String, record: String) {
        self.line = line
        self.field = field
        self.reason = reason
        self.record = record
    }

    public var description: String { "line \(line): \(field): \(reason)" }
}

/// A problem that stops a whole file from being read (its header), as opposed to a rejected record.
public struct CSVFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}
