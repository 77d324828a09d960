import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// The audit trail's hash chain: every change, removal or insertion that does not rewrite the chain is found and
/// named by its position.
@Suite("Audit chain")
struct AuditChainTests {
    static func records(_ count: Int) -> [AuditRecord] {
        (0..<count).map {
            AuditRecord(time: 1_788_274_800_000 + Int64($0 / 3), kind: .refused, source: "10.0.0.\($0):5000", channel: "csv", detail: "unknown token")
        }
    }

    /// Every entry of the audit database, key and value, in key order.
    static func entries(_ store: Store) throws -> [(key: [UInt8], value: [UInt8])] {
        try store.environment.read { transaction in
            try transaction.withCursor(store.databases.audit) { cursor in
                var entries: [(key: [UInt8], value: [UInt8])] = []
                var entry = try cursor.first()
                while let current = entry {
                    entries.append((current.key.array, current.value.array))
                    entry = try cursor.next()
                }
                return entries
            }
        }
    }

    static func replace(_ store: Store, key: [UInt8], value: [UInt8]?) throws {
        try store.environment.write { transaction in
            let lmdbKey = key.withByteView { Key($0) }
            if let value {
                try transaction.put(store.databases.audit, lmdbKey, value)
            } else {
                try transaction.delete(store.databases.audit, lmdbKey)
            }
        }
    }

    @Test func anUntouchedTrailVerifiesAndKeepsItsOrder() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        // Several records in one millisecond, and one whose clock is behind the last: keys still follow appending.
        try store.audit(Self.records(7))
        try store.audit(AuditRecord(time: 1_788_274_000_000, kind: .tokenCreated, detail: "late clock"))
        let result = try store.verifyAudit()
        #expect(result.broken == nil)
        #expect(result.records == 8 && result.unchained == 0)
        #expect(result.head.count == 64)
        let listed = try store.auditRecords()
        #expect(listed.map(\.source).prefix(7) == Self.records(7).map(\.source)[...])
        #expect(listed.last?.detail == "late clock")
        #expect(listed.map(\.time) == listed.map(\.time).sorted())
    }

    @Test(arguments: ["flip", "remove", "insert"])
    func aChangedTrailIsNamed(change: String) throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        try store.audit(Self.records(9))
        let entries = try Self.entries(store)
        switch change {
        case "flip":
            var value = entries[4].value
            value[3] ^= 0x01  // A byte of the source text: the record still decodes.
            try Self.replace(store, key: entries[4].key, value: value)
            #expect(try store.verifyAudit().broken?.index == 4)
        case "remove":
            try Self.replace(store, key: entries[4].key, value: nil)
            #expect(try store.verifyAudit().broken?.index == 4)
        default:
            let key = entries[4].key + [0]  // Sorts between records 4 and 5; a copy of record 4's bytes.
            try Self.replace(store, key: key, value: entries[4].value)
            #expect(try store.verifyAudit().broken?.index == 5)
        }
    }

    /// Records from before the chain are counted and the chain starts from them: changing one of them is found at
    /// the first chained record.
    @Test func recordsFromBeforeTheChainAreCoveredFromTheirEnd() throws {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        // Two legacy records: no link, a random key suffix.
        for (index, record) in Self.records(2).enumerated() {
            let writer = ByteWriter()
            record.encode(into: writer)
            var key = Key()
            key.append(bigEndian: UInt64(record.time))
            key.append(bigEndian: UInt32(1_000 + index))
            try store.environment.write { try $0.put(store.databases.audit, key, writer) }
        }
        try store.audit(Self.records(3))
        let result = try store.verifyAudit()
        #expect(result.broken == nil && result.records == 5 && result.unchained == 2)
        let entries = try Self.entries(store)
        var value = entries[1].value
        value[3] ^= 0x01
        try Self.replace(store, key: entries[1].key, value: value)
        #expect(try store.verifyAudit().broken?.index == 2)
        #expect(try store.auditRecords().count == 5)
    }
}
