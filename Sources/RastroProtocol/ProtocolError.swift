/// A violation of the binary protocol: the server sends it in an `error` frame and closes the connection.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ProtocolErrorCode
    public var message: String

    public init(_ code: ProtocolErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}
