import Crypto
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
        /// A token's first read (HTTP API, dashboard) of a day: reads are counted in metrics, not audited one by one.
        case read = 6
        /// A backup rastrod took on its schedule, or one that failed.
        case backup = 7

        public var name: String {
            switch self {
            case .batch: "batch"
            case .tokenCreated: "token_created"
            case .tokenRevoked: "token_revoked"
            case .importRun: "import"
            case .refused: "refused"
            case .read: "read"
            case .backup: "backup"
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

/// The audit trail is a hash chain: each record ends with the SHA-256 of the previous record's link, its own key and
/// its own bytes, so a record changed, removed or inserted anywhere but at the end breaks every link after it
/// (``Store/verifyAudit()``). Records written before the chain existed carry no link; the first chained record
/// links to the SHA-256 of the last of them.
///
/// ```
///   key: time (u64 BE) · sequence (u32 BE)      value: record bytes · link (32)
///   link(n) = SHA-256(link(n-1) · key(n) · record bytes(n)),   link(-1) = 32 zero bytes
/// ```
///
/// Keys never go backwards: a record whose time is before the last key's takes the last key's time, and records in
/// the same millisecond take the next sequence number, so key order is the order of appending.
enum AuditChain {
    static let linkBytes = 32
    static let genesis = [UInt8](repeating: 0, count: linkBytes)

    /// The link a record's bytes chain from, and the key of the last record (or nil in an empty trail).
    static func tail(in transaction: Transaction, _ databases: StoreDatabases) throws -> (link: [UInt8], key: (time: UInt64, sequence: UInt32)?) {
        try transaction.withCursor(databases.audit) { cursor in
            guard let last = try cursor.last() else { return (genesis, nil) }
            let key = (last.key.load(at: 0, as: UInt64.self).bigEndian, last.key.count >= 12 ? last.key.load(at: 8, as: UInt32.self).bigEndian : 0)
            return (try link(of: last.key, last.value), key)
        }
    }

    /// The link a record ends with, or for a record from before the chain, the SHA-256 of its key and bytes.
    static func link(of key: ByteView, _ value: ByteView) throws -> [UInt8] {
        if let stored = try storedLink(value) { return stored.array }
        var hasher = SHA256()
        hasher.update(data: key.array)
        hasher.update(data: value.array)
        return Array(hasher.finalize())
    }

    /// The link stored at the end of a chained record, nil for a record from before the chain.
    static func storedLink(_ value: ByteView) throws -> ByteView? {
        let recordBytes = try AuditRecord.encodedLength(value)
        switch value.count - recordBytes {
        case 0: return nil
        case linkBytes: return value.part(from: recordBytes)
        default: throw StoreCorruption("audit: \(value.count - recordBytes) bytes after a record")
        }
    }

    static func next(_ previous: [UInt8], key: ByteView, record: ByteView) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: key.array)
        hasher.update(data: record.array)
        return Array(hasher.finalize())
    }
}

extension AuditRecord {
    /// Appends this record inside a write transaction (the writer's, for a batch's record), linked to the last one.
    func append(in transaction: Transaction, _ databases: StoreDatabases) throws {
        let writer = ByteWriter(reservingCapacity: 128)
        encode(into: writer)
        let (previous, last) = try AuditChain.tail(in: transaction, databases)
        var time = UInt64(bitPattern: max(time, 0))
        var sequence: UInt32 = 0
        if let last, last.time >= time {
            // Same millisecond as the last key (or a clock behind it): the next sequence number, or the next
            // millisecond once the sequence is spent.
            time = last.sequence == .max ? last.time + 1 : last.time
            sequence = last.sequence == .max ? 0 : last.sequence + 1
        }
        var key = Key()
        key.append(bigEndian: time)
        key.append(bigEndian: sequence)
        let link = key.withBytes { key in writer.withBytes { AuditChain.next(previous, key: key, record: $0) } }
        writer.append(link)
        try transaction.put(databases.audit, key, writer)
    }

    /// How many bytes of `value` the record's fields take (the rest is its link).
    static func encodedLength(_ value: ByteView) throws(StoreCorruption) -> Int {
        var reader = ByteReader(value)
        do throws(CorruptBytes) {
            _ = try reader.byte()
            _ = try reader.varint32()
            for _ in 0..<3 { _ = try reader.slice(try reader.count(maximum: 1 << 16)) }
            for _ in 0..<4 { _ = try reader.varint() }
        } catch {
            throw StoreCorruption("audit: \(error.message)")
        }
        return reader.position
    }
}

/// What ``Store/verifyAudit()`` found.
public struct AuditVerification: Sendable, Equatable {
    /// Records checked, chained or not.
    public var records = 0
    /// Records from before the chain (not covered by it).
    public var unchained = 0
    /// The last link, in hex: write it down elsewhere to pin the trail up to now.
    public var head = ""
    /// The first record whose link does not match, with its position and time, or nil when the chain holds.
    public var broken: (index: Int, time: Int64)? = nil

    public static func == (lhs: AuditVerification, rhs: AuditVerification) -> Bool {
        lhs.records == rhs.records && lhs.unchained == rhs.unchained && lhs.head == rhs.head
            && lhs.broken?.index == rhs.broken?.index && lhs.broken?.time == rhs.broken?.time
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

    /// Walks the audit trail and recomputes every link: the first record whose link does not match is named (it was
    /// changed, or one before it was changed, removed or inserted).
    public func verifyAudit() throws -> AuditVerification {
        try environment.read { transaction in
            try transaction.withCursor(databases.audit) { cursor in
                var result = AuditVerification()
                var previous = AuditChain.genesis
                var entry = try cursor.first()
                while let current = entry {
                    let time = Int64(bitPattern: UInt64(bigEndian: current.key.load(at: 0, as: UInt64.self)))
                    if let stored = try AuditChain.storedLink(current.value) {
                        let record = current.value.prefix(upTo: current.value.count - AuditChain.linkBytes)
                        let expected = AuditChain.next(previous, key: current.key, record: record)
                        let link = stored.array
                        if result.broken == nil && link != expected { result.broken = (result.records, time) }
                        previous = link
                    } else {
                        result.unchained += 1
                        previous = try AuditChain.link(of: current.key, current.value)
                    }
                    result.records += 1
                    entry = try cursor.next()
                }
                result.head = Hex.string(previous)
                return result
            }
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
                    let length = try AuditRecord.encodedLength(entry.value)
                    records.append(try AuditRecord(time: time, decoding: entry.value.prefix(upTo: length)))
                    return records.count < limit
                }
                return records
            }
        }
    }
}
