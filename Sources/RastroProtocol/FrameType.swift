/// The kinds of frames of the binary protocol (docs/protocol.md §3). Raw values are on the wire.
public enum FrameType: UInt8, Sendable, CaseIterable {
    /// Client → server, first frame: magic, version, session, token.
    case hello = 0x01
    /// Server → client, reply to `hello`: the limits the server enforces.
    case welcome = 0x02
    /// Client → server: a numbered batch of scans.
    case batch = 0x10
    /// Server → client: the outcome of a batch, once durably committed.
    case ack = 0x11
    /// Server → client, then the connection closes: why.
    case error = 0x7F
}

/// Why the server closes a connection (docs/protocol.md §6). Raw values are on the wire.
public enum ProtocolErrorCode: UInt16, Sendable, CaseIterable {
    case malformedFrame = 1
    case badChecksum = 2
    case frameTooLarge = 3
    case unsupportedVersion = 4
    case notRastro = 5
    case unauthorized = 6
    case forbidden = 7
    case limitExceeded = 8
    case idleTimeout = 9
    case shuttingDown = 10
    case unexpectedFrame = 11
    case tooManyConnections = 12
    case internalError = 13

    public var name: String {
        switch self {
        case .malformedFrame: "malformed frame"
        case .badChecksum: "bad checksum"
        case .frameTooLarge: "frame too large"
        case .unsupportedVersion: "unsupported version"
        case .notRastro: "not a Rastro client"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .limitExceeded: "limit exceeded"
        case .idleTimeout: "idle timeout"
        case .shuttingDown: "server shutting down"
        case .unexpectedFrame: "unexpected frame"
        case .tooManyConnections: "too many connections"
        case .internalError: "internal error"
        }
    }
}

/// What happened to one scan of a batch that was not accepted (docs/protocol.md §5). Raw values are on the wire.
public enum ScanProblemCode: UInt8, Sendable, CaseIterable {
    /// A field is invalid; the problem names it.
    case invalid = 1
    /// The scan's `(device, seq)` is stored with different content.
    case conflict = 2
    /// Valid, but refused by a store bound (scans per item).
    case rejected = 3
    /// A device token sent a scan for another device.
    case forbiddenDevice = 4
}
