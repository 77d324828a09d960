import Logging
import NIOCore
import RastroAccess
import RastroCore
import RastroStore

/// What every connection handler shares: the store, the writer, the bounds, metrics and logs.
final class ServerContext: Sendable {
    let store: Store
    let writer: GroupCommitWriter
    let limits: ServerLimits
    let metrics: ServerMetrics
    let logger: Logger
    let connections: ConnectionRegistry
    /// The validator the data directory's catalogs configure.
    let validator: ScanValidator
    /// Revocations, so that a connection's token is checked again at each batch.
    let revokedTokens: RevokedTokens
    /// Failed authentications per address (``ServerLimits/failedAuthenticationsPerMinute``).
    let throttle: AuthenticationThrottle
    /// The read API's bounds: requests per token, requests at once, and the first read of each token each day.
    let reads: ReadAPILimiter

    init(store: Store, writer: GroupCommitWriter, limits: ServerLimits, metrics: ServerMetrics, logger: Logger, validator: ScanValidator) {
        self.store = store
        self.writer = writer
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        self.validator = validator
        connections = ConnectionRegistry(limits: limits, metrics: metrics)
        throttle = AuthenticationThrottle(limit: limits.failedAuthenticationsPerMinute)
        revokedTokens = RevokedTokens(store: store, intervalMilliseconds: limits.revocationCheckMilliseconds)
        reads = ReadAPILimiter(limits: limits)
    }

    /// Checks a token before anything else a peer sent is parsed; refusals are audited (never with the token).
    /// An address that failed too often in the last minute is refused before its token is looked up
    /// (``AuthenticationThrottle``).
    ///
    /// `reading` checks the token for the read API (analyst and gateway tokens) instead of for sending scans.
    func authorize(_ token: String, peer: String, address: String, channel: String, reading: Bool = false) -> Result<TokenRecord, Refusal> {
        let now = serverMilliseconds()
        if let seconds = throttle.retryAfter(address, now: now) {
            metrics.refused.increment()
            metrics.throttled.increment()
            return .failure(.throttled(address: address, retryAfterSeconds: seconds))
        }
        let result: Result<TokenRecord, TokenVault.Refusal>
        do {
            result = reading ? try TokenVault.authorizeRead(token, store: store) : try TokenVault.authorizeIngest(token, store: store)
        } catch {
            logger.error("token lookup failed", metadata: ["error": "\(error)"])
            result = .failure(.unknown)
        }
        guard case .failure(let refusal) = result else { return result.mapError { .token($0) } }
        metrics.refused.increment()
        var tokenID: UInt32 = 0
        switch refusal {
        case .revoked(let id), .cannotIngest(let id), .cannotRead(let id): tokenID = id
        case .unknown: break
        }
        let detail: String
        switch throttle.failed(address, now: now) {
        case .coalesce:
            logger.debug("refused", metadata: ["peer": "\(peer)", "channel": "\(channel)", "reason": "\(refusal)"])
            return .failure(.token(refusal))
        case .audit:
            detail = "\(refusal)"
        case .auditLimitReached(let failures):
            detail = "\(refusal); \(failures) failed authentications from \(address) within a minute: refused for the rest of it"
        }
        logger.warning("refused", metadata: ["peer": "\(peer)", "channel": "\(channel)", "reason": "\(EscapedText.escaping(detail))"])
        writer.audit(AuditRecord(time: now, kind: .refused, token: tokenID, source: peer, channel: channel, detail: detail))
        return .failure(.token(refusal))
    }

    /// Why a connection or request is not authorized.
    enum Refusal: Error, CustomStringConvertible {
        case token(TokenVault.Refusal)
        case throttled(address: String, retryAfterSeconds: Int)

        /// A known analyst token, which may not send scans (403 rather than 401).
        var isAnalyst: Bool {
            if case .token(let refusal) = self { return refusal.isAnalyst }
            return false
        }

        var description: String {
            switch self {
            case .token(let refusal): "\(refusal)"
            case .throttled(let address, let seconds):
                "too many failed authentications from \(address); try again in \(seconds) s"
            }
        }
    }
}

/// `ip:port` of a channel's peer.
func peerDescription(_ channel: any Channel) -> String {
    guard let address = channel.remoteAddress else { return "unknown" }
    if let ip = address.ipAddress, let port = address.port { return "\(ip):\(port)" }
    return "\(address)"
}
