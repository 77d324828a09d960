import RastroCore
import RastroProtocol

/// What `rastro send` does.
public struct SendConfiguration: Sendable {
    public enum Channel: String, Sendable, CaseIterable {
        case binary, csv, http
    }

    public var host: String
    public var port: Int
    public var token: String
    public var channel = Channel.binary
    public var files: [String]
    /// Parallel connections (each its own session).
    public var connections = 1
    /// Scans (or CSV rows) per batch.
    public var batchSize = 1_000
    /// Batches a connection sends before waiting for acknowledgements.
    public var window = 32
    /// Reconnection backoff: first wait and cap, in milliseconds.
    public var backoffMilliseconds = (first: 50, maximum: 5_000)
    /// Give up after this many consecutive failed connection attempts.
    public var maximumAttempts = 50
    /// TLS, when the server serves it (`rastrod --tls-cert`).
    public var tls: ClientTLS? = nil
    /// Called for every acknowledged binary batch with its scans and the server's answer (tests, tools).
    public var onAcknowledged: (@Sendable (ScanBatch, Ack) -> Void)? = nil

    public init(host: String, port: Int, token: String, files: [String]) {
        self.host = host
        self.port = port
        self.token = token
        self.files = files
    }
}

/// What a send achieved, from the server's acknowledgements.
public struct SendResult: Sendable, Equatable {
    public var accepted = 0
    public var duplicates = 0
    public var conflicts = 0
    /// Rows the server rejected, plus rows the client could not encode (binary: invalid before sending).
    public var rejected = 0
    public var batches = 0
    public var reconnections = 0
    public var seconds = 0.0

    public init() {}

    public var rows: Int { accepted + duplicates + conflicts + rejected }
}

/// A failure retrying cannot fix (a refused token, a refused file).
public struct SendFailure: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

extension SendConfiguration {
    /// After the `failures`-th failed connection in a row: gives up once ``maximumAttempts`` is reached, otherwise
    /// counts the reconnection and waits the backoff (doubling from the first wait up to the cap).
    func reconnect(after failures: Int, _ error: any Error, statistics: SendStatistics) async throws {
        guard failures < maximumAttempts else {
            throw SendFailure("gave up after \(failures) failed connections to \(host):\(port): \(error)")
        }
        statistics.reconnected()
        let wait = min(backoffMilliseconds.first << min(failures - 1, 16), backoffMilliseconds.maximum)
        try await Task.sleep(for: .milliseconds(wait))
    }
}
