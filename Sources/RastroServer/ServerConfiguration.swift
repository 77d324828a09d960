import RastroCore

/// Every bound `rastrod` enforces, in one place. A violation closes the offending connection with a clear error and
/// never affects the others.
public struct ServerLimits: Sendable, Equatable {
    /// Largest binary frame (type byte and payload), in bytes.
    public var frameBytes = 4 << 20
    /// Longest CSV record or `AUTH` line, in bytes.
    public var lineBytes = Limits.default.csvRecordBytes
    /// Most scans in one binary batch, one CSV acknowledgement or one HTTP batch.
    public var scansPerBatch = 10_000
    /// Most open connections over all listeners; more are refused with an error.
    public var connections = 1_024
    /// A connection with nothing to read and nothing in flight for this long is closed.
    public var idleTimeoutSeconds = 60
    /// A commit takes at most this many scans: smaller commits re-encode the same trace blocks more often, larger ones
    /// hold more memory for little gain (half of `rastro import`'s, since the server's memory must stay bounded)…
    public var commitScans = 250_000
    /// …and waits at most this long for more once the first batch is queued (under load the previous commit's
    /// duration gathers far more than this window does).
    public var commitWindowMilliseconds = 5
    /// Batches a connection may have waiting for their acknowledgement before it stops reading.
    public var batchesInFlight = 32
    /// Scans queued for the writer above which every connection stops reading until it drains.
    public var queuedScans = 600_000
    /// Largest HTTP request body, in bytes.
    public var httpBodyBytes = 64 << 20
    /// Refused rows an HTTP answer lists at most (the first, by line); the answer says how many more there were. A
    /// body of bad rows would otherwise make an answer several times its own size.
    public var answerErrors = 1_000
    /// How long the answers to committed batches are kept for resends.
    public var replayHours = 168
    /// How stale the server's view of revoked tokens may get: an open connection whose token is revoked (by `rastro
    /// token revoke`, another process) has its next batch refused within this long. Re-reading the small `tokens`
    /// database more often buys nothing a person revoking a token would notice.
    public var revocationCheckMilliseconds = 1_000

    public init() {}
}

/// Where `rastrod` listens and what it serves.
public struct ServerConfiguration: Sendable {
    public var dataDirectory: String
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var binaryPort = 7400
    public var csvPort = 7401
    public var httpPort = 7480
    public var limits = ServerLimits()

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}
