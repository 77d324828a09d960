import RastroCore
import RastroPrimitives

/// Who may send or read: a handheld, a gateway relaying many handhelds, or an analyst.
public enum TokenKind: UInt8, Sendable, CaseIterable {
    case device = 1
    case gateway = 2
    case analyst = 3

    public var name: String {
        switch self {
        case .device: "device"
        case .gateway: "gateway"
        case .analyst: "analyst"
        }
    }
}

/// A token as the store keeps it: never the token itself, only its SHA-256.
public struct TokenRecord: Sendable, Equatable {
    public var id: UInt32
    public var kind: TokenKind
    /// The device id for a device token, the name otherwise.
    public var subject: String
    public var hash: [UInt8]
    public var created: Int64
    public var revoked: Int64?

    public init(id: UInt32, kind: TokenKind, subject: String, hash: [UInt8], created: Int64, revoked: Int64?) {
        self.id = id
        self.kind = kind
        self.subject = subject
        self.hash = hash
        self.created = created
        self.revoked = revoked
    }

    func encode(into writer: ByteWriter) {
        writer.byte(kind.rawValue)
        let subject = Array(self.subject.utf8)
        writer.varint(subject.count)
        writer.append(subject)
        writer.append(hash)
        writer.zigzag(created)
        writer.zigzag(revoked ?? 0)
    }

    init(id: UInt32, decoding value: ByteView) throws(StoreCorruption) {
        var reader = ByteReader(value)
        guard let kind = TokenKind(rawValue: try reader.byte()) else { throw StoreCorruption("token \(id): unknown kind") }
        let subject = String(decoding: try reader.slice(try reader.count(maximum: 256)), as: UTF8.self)
        let hash = Array(try reader.slice(32))
        let created = try reader.zigzag()
        let revoked = try reader.zigzag()
        self.init(id: id, kind: kind, subject: subject, hash: hash, created: created, revoked: revoked == 0 ? nil : revoked)
    }
}

extension Store {
    /// Stores a new token (its SHA-256 only) and audits its creation; returns its id.
    public func createToken(kind: TokenKind, subject: String, hash: [UInt8], now: Int64) throws -> UInt32 {
        precondition(hash.count == 32, "a SHA-256 is 32 bytes")
        let databases = self.databases
        return try environment.write { transaction in
            var id: UInt32 = 1
            try transaction.withCursor(databases.tokens) { cursor in
                if let last = try cursor.last() { id = UInt32(bigEndian: last.key.load(at: 0, as: UInt32.self)) + 1 }
            }
            let record = TokenRecord(id: id, kind: kind, subject: subject, hash: hash, created: now, revoked: nil)
            let writer = ByteWriter()
            record.encode(into: writer)
            try transaction.put(databases.tokens, Key.uint32(id), writer, append: true)
            try hash.withByteView { try transaction.put(databases.tokenHashes, Key($0), Key.uint32(id).bytes) }
            try AuditRecord(time: now, kind: .tokenCreated, token: id, detail: "\(kind.name) \(subject)").append(in: transaction, databases)
            return id
        }
    }

    /// Marks a token revoked and audits it; returns it, or `nil` when there is no such token.
    public func revokeToken(id: UInt32, now: Int64) throws -> TokenRecord? {
        let databases = self.databases
        return try environment.write { transaction -> TokenRecord? in
            guard var record = try transaction.withValue(databases.tokens, Key.uint32(id), { try TokenRecord(id: id, decoding: $0) })
            else { return nil }
            if record.revoked == nil {
                record.revoked = now
                let writer = ByteWriter()
                record.encode(into: writer)
                try transaction.put(databases.tokens, Key.uint32(id), writer)
                try AuditRecord(time: now, kind: .tokenRevoked, token: id, detail: "\(record.kind.name) \(record.subject)").append(in: transaction, databases)
            }
            return record
        }
    }

    /// Every token, by id.
    public func tokens() throws -> [TokenRecord] {
        try environment.read { transaction in
            try transaction.withCursor(databases.tokens) { cursor in
                var records: [TokenRecord] = []
                var entry = try cursor.first()
                while let current = entry {
                    let id = UInt32(bigEndian: current.key.load(at: 0, as: UInt32.self))
                    records.append(try TokenRecord(id: id, decoding: current.value))
                    entry = try cursor.next()
                }
                return records
            }
        }
    }

    /// The token with this SHA-256, revoked or not, or `nil`.
    public func token(hash: [UInt8]) throws -> TokenRecord? {
        guard hash.count == 32 else { return nil }
        return try environment.read { transaction in
            guard let id = try hash.withByteView({ key in
                try transaction.withValue(databases.tokenHashes, key) { UInt32(bigEndian: $0.load(at: 0, as: UInt32.self)) }
            }) else { return nil }
            return try transaction.withValue(databases.tokens, Key.uint32(id)) { try TokenRecord(id: id, decoding: $0) }
        }
    }
}
