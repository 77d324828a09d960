import RastroCore

/// Why a store could not be opened or used, in words an operator can act on.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
