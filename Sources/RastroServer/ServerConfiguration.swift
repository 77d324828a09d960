import NIOCore
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
    /// A connection with nothing to read and nothing in flight for this long is closed (HTTP keep-alive included).
    public var idleTimeoutSeconds = 60
    /// Open connections from one address, authenticated or not: room for a gateway or a carrier's NAT in front of
    /// many handhelds, while one host cannot take every connection the server holds.
    public var connectionsPerAddress = 256
    /// Connections from one address that have not authenticated yet. A handheld authenticates in its first round
    /// trip, so a handful is plenty; silent connections from one host cannot crowd out the others.
    public var unauthenticatedPerAddress = 16
    /// Before authenticating, a connection may send only its hello frame or `AUTH` line, of at most this many bytes
    /// (a token and a client name), and must send it within ``helloTimeoutSeconds``.
    public var helloBytes = 4 << 10
    public var helloTimeoutSeconds = 10
    /// A frame, CSV record or HTTP request that has started must arrive whole within this long: a sender trickling
    /// a byte every few seconds never looks idle, and would otherwise hold its buffer and its connection forever.
    public var requestSeconds = 60
    /// Answers a connection has not read yet, in bytes, above which it stops reading its requests until the client
    /// catches up: a client that never reads cannot make the server buffer answers without end.
    public var unsentAnswerBytes = 1 << 20
    /// Failed authentications from one address in a minute before it is refused without a token check; the audit
    /// trail records the first failure of each address in a minute and then one record for the rest.
    public var failedAuthenticationsPerMinute = 10
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
    /// Read API requests a token may make per second, on average; `readBurst` more may come at once.
    public var readsPerSecond = 20
    public var readBurst = 40
    /// Read API requests answered at once; more are refused (503, `Retry-After`) rather than queued.
    public var concurrentReads = 16
    /// Of those, exports: each walks every stored scan on a thread of its own, so a few at once already keep the
    /// cores they may have busy; more would only take turns with ingest.
    public var concurrentExports = 2
    /// The longest `from`–`to` window a read API request may give, in days (an open window covers what is stored).
    public var queryDays = 400
    /// How long the answers to committed batches are kept for resends.
    public var replayHours = 168
    /// How stale the server's view of revoked tokens may get: an open connection whose token is revoked (by `rastro
    /// token revoke`, another process) has its next batch refused within this long. Re-reading the small `tokens`
    /// database more often buys nothing a person revoking a token would notice.
    public var revocationCheckMilliseconds = 1_000

    /// Scans per batch of an inbox file. A batch of a whole commit never waits for company, so a file loads at nearly
    /// `rastro import`'s pace; live batches queued meanwhile go into the next commit, ahead of the file's next batch.
    public var inboxBatchScans = 250_000

    /// How long a connection being closed with an error keeps trying to deliver it to a client that is not reading.
    static let closeGrace = TimeAmount.seconds(5)

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
    /// TLS on all three ports; `nil` serves plain TCP (loopback and `make run`).
    public var tls: TLSFiles? = nil
    /// Backups taken by the server on a schedule (`--backup-dir`), or none.
    public var backup: BackupSchedule? = nil
    /// The watched folder of CSV files (`--inbox`), or none.
    public var inbox: InboxSettings? = nil

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}
