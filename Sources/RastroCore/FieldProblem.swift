/// Why one field of one scan is invalid, in words a clerk can act on.
///
/// It is the error of the field-level parsers; the record-level reader adds the line and the field's name.
public struct FieldProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    @inlinable
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
