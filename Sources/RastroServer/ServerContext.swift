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

    init(store: Store, writer: GroupCommitWriter, limits: ServerLimits, metrics: ServerMetrics, logger: Logger, validator: ScanValidator) {
        self.store = store
        self.writer = writer
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        self.validator = validator
        connections = ConnectionRegistry(maximum: limits.connections, metrics: metrics)
        revokedTokens = RevokedTokens(store: store, intervalMilliseconds: limits.revocationCheckMilliseconds)
    }

    /// Checks a token before anything else a peer sent is parsed; refusals are audited (never with the token).
    func authorize(_ token: String, peer: String, channel: String) -> Result<TokenRecord, TokenVault.Refusal> {
        let result: Result<TokenRecord, TokenVault.Refusal>
        do {
            result = try TokenVault.authorizeIngest(token, store: store)
        } catch {
            logger.error("token lookup failed", metadata: ["error": "\(error)"])
            result = .failure(.unknown)
        }
        if case .failure(let refusal) = result {
            metrics.refused.increment()
            logger.warning("refused", metadata: ["peer": "\(peer)", "channel": "\(channel)", "reason": "\(refusal)"])
            var tokenID: UInt32 = 0
            switch refusal {
            case .revoked(let id), .cannotIngest(let id): tokenID = id
            case .unknown: break
            }
            writer.audit(
                AuditRecord(
                    time: serverMilliseconds(), kind: .refused, token: tokenID, source: peer, channel: channel,
                    detail: "\(refusal)"))
        }
        return result
    }
}

/// `ip:port` of a channel's peer.
func peerDescription(_ channel: any Channel) -> String {
    guard let address = channel.remoteAddress else { return "unknown" }
    if let ip = address.ipAddress, let port = address.port { return "\(ip):\(port)" }
    return "\(address)"
}
