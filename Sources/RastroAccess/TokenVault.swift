import Crypto
import RastroCore
import RastroStore

/// Tokens: created at random, shown once, kept only as a SHA-256, checked before anything a peer sends is parsed.
///
/// A token reads `rst_` followed by 64 hex digits: 256 random bits from the system's generator. The store keeps its
/// SHA-256, so a copy of the data directory reveals no token.
public enum TokenVault {
    /// A new random token.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = "rst_"
        for _ in 0..<4 {
            let value = generator.next() as UInt64
            let digits = String(value, radix: 16)
            text += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return text
    }

    /// SHA-256 of a token's UTF-8 bytes.
    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// Creates, stores and returns a new token with its id.
    public static func create(kind: TokenKind, subject: String, store: Store, now: Int64) throws -> (id: UInt32, token: String) {
        let token = generate()
        let id = try store.createToken(kind: kind, subject: subject, hash: hash(token), now: now)
        return (id, token)
    }

    /// Why a token may not be used, in words safe to send back (they never repeat the token).
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case unknown
        case revoked(id: UInt32)
        case cannotIngest(id: UInt32)
        case cannotRead(id: UInt32)

        public var description: String {
            switch self {
            case .unknown: "unknown token"
            case .revoked(let id): "token \(id) is revoked"
            case .cannotIngest(let id): "token \(id) is an analyst token; analyst tokens cannot send scans"
            case .cannotRead(let id): "token \(id) is a device token; device tokens cannot read reports"
            }
        }
    }

    /// The token record allowed to send scans, or why not.
    public static func authorizeIngest(_ token: String, store: Store) throws -> Result<TokenRecord, Refusal> {
        guard token.utf8.count <= 256, let record = try store.token(hash: hash(token)) else { return .failure(.unknown) }
        if record.revoked != nil { return .failure(.revoked(id: record.id)) }
        if record.kind == .analyst { return .failure(.cannotIngest(id: record.id)) }
        return .success(record)
    }

    /// The token record allowed to read reports (an analyst's or a gateway's), or why not.
    public static func authorizeRead(_ token: String, store: Store) throws -> Result<TokenRecord, Refusal> {
        guard token.utf8.count <= 256, let record = try store.token(hash: hash(token)) else { return .failure(.unknown) }
        if record.revoked != nil { return .failure(.revoked(id: record.id)) }
        if record.kind == .device { return .failure(.cannotRead(id: record.id)) }
        return .success(record)
    }
}

extension TokenVault.Refusal {
    /// A known token without the right for what it asked (403 rather than 401): an analyst's sending scans, a
    /// device's reading reports.
    public var isAnalyst: Bool {
        switch self {
        case .cannotIngest, .cannotRead: true
        default: false
        }
    }
}
