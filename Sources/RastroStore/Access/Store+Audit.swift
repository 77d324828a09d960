import RastroCore
import RastroPrimitives

/// One entry of the audit trail: a committed batch, an administrative action, or a refused connection.
public struct AuditRecord: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case batch = 1
        case tokenCreated = 2
        case tokenRevoked = 3
        case importRun = 4
        case refused = 5

        public var name: String {
            switch self {
            case .batch: "batch"
            case .tokenCreated: "token_created"
            case .tokenRevoked: "token_revoked"
            case .importRun: "import"
            case .refused: "refused"
            }
        }
    }

    /// Server time, UTC milliseconds.
    public var time: Int64
    public var kind: Kind
    /// The token involved, 0 when none (an import run, an unknown token).
    public var token: UInt32
    /// `ip:port` of the peer, or the file for an import.
    public var source: String
    /// `binary`, `csv`, `http` or `import`.
    public var channel: String
    public var accepted: Int
    public var duplicates: Int
    public var conflicts: Int
    public var rejected: Int
    public var detail: String

    public init(
        time: Int64, kind: Kind, token: UInt32 = 0, source: String = "", channel: String = "", accepted: Int = 0,
        duplicates: Int = 0, conflicts: Int = 0, rejected: Int = 0, detail: String = ""
    ) {
        self.time = time
        self.kind = kind
        self.token = token
        self.source = source
        self.channel = channel
        self.accepted = accepted
        self.duplicates = duplicates
        self.conflicts = conflicts
        self.rejected = rejected
        self.detail = detail
    }

    func encode(into writer: ByteWriter) {
        writer.byte(kind.rawValue)
        writer.varint(token)
        for text in [source, channel, detail] {
            let bytes = Array(text.utf8)
            writer.varint(bytes.count)
            writer.append(bytes)
        }
        writer.varint(accepted)
        writer.varint(duplicates)
        writer.varint(conflicts)
        writer.varint(rejected)
    }

    init(time: Int64, decoding value: ByteView) throws(StoreCorruption) {
        var reader = ByteReader(value)
        guard let kind = Kind(rawValue: try reader.byte()) else { throw StoreCorruption("audit: unknown kind") }
        let token = try reader.varint32()
        var texts: [String] = []
        for _ in 0..<3 { texts.append(String(decoding: try reader.slice(try reader.count(maximum: 1 << 16)), as: UTF8.self)) }
        self.init(
            time: time, kind: kind, token: token, source: texts[0], channel: texts[1],
            accepted: try reader.count(maximum: Int.max), duplicates: try reader.count(maximum: Int.max),
            conflicts: try reader.count(maximum: Int.max), rejected: try reader.count(maximum: Int.max), detail: texts[2])
    }
}

extension AuditRecord {
    /// Appends this record inside a write transaction (the writer's, for a batch's record). Keys are the time and four
    /// random bytes, so records sort by time and two in the same millisecond do not collide.
    func append(in transaction: Transaction, _ databases: StoreDatabases) throws {
        let writer = ByteWriter(reservingCapacity: 96)
        encode(into: writer)
        var key = Key()
        key.append(bigEndian: UInt64(bitPattern: time))
        key.append(bigEndian: UInt32.random(in: 0...UInt32.max))
        try transaction.put(databases.audit, key, writer)
    }
}

extension Store {
    /// Appends an audit record in its own transaction (administrative actions, refused connections).
    public func audit(_ record: AuditRecord) throws {
        try audit([record])
    }

    /// Appends several audit records in one transaction (the server's refused connections, coalesced).
    public func audit(_ records: [AuditRecord]) throws {
        guard !records.isEmpty else { return }
        let databases = self.databases
        try environment.write { transaction in
            for record in records { try record.append(in: transaction, databases) }
        }
    }

    /// Audit records from `since` (UTC milliseconds) on, oldest first.
    public func auditRecords(since: Int64 = 0, limit: Int = .max) throws -> [AuditRecord] {
        try environment.read { transaction in
            try transaction.withCursor(databases.audit) { cursor in
                var records: [AuditRecord] = []
                var start = Key()
                start.append(bigEndian: UInt64(bitPattern: max(since, 0)))
                try cursor.forEach(from: start, before: nil) { entry in
                    let time = Int64(bitPattern: UInt64(bigEndian: entry.key.load(at: 0, as: UInt64.self)))
                    records.append(try AuditRecord(time: time, decoding: entry.value))
                    return records.count < limit
                }
                return records
            }
        }
    }
}
