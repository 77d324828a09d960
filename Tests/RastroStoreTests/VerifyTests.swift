import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// `Store.verify` (`rastro verify`): a clean store has no problems; a damaged value, and a value that decodes but
/// disagrees with the traces, are each found and named by database and key.
@Suite("Verify")
struct VerifyTests {
    /// A store of generated scans, ingested in several commits so that trace blocks carry tails.
    static func store(_ directory: TemporaryDirectory) throws -> Store {
        let store = try Store(directory: directory.path)
        let stream = StreamFixtures.generated(scans: 3_000, seed: 4)
        for part in stride(from: 0, to: stream.all.count, by: 700) {
            _ = try store.ingest(StreamFixtures.batch(Array(stream.all[part..<min(part + 700, stream.all.count)])))
        }
        return store
    }

    /// Rewrites the stored value of `key` in `database` through `change` (the bytes as stored).
    static func damage(_ store: Store, _ database: KeyPath<StoreDatabases, Database>, _ key: Key, _ change: (inout [UInt8]) throws -> Void) throws {
        let db = store.databases[keyPath: database]
        try store.environment.write { transaction in
            var bytes = try #require(try transaction.withValue(db, key) { Array($0) })
            try change(&bytes)
            try transaction.put(db, key, bytes)
        }
    }

    /// The first key of `database`.
    static func firstKey(_ store: Store, _ database: KeyPath<StoreDatabases, Database>) throws -> Key {
        try store.read { reader in
            try reader.transaction.withCursor(store.databases[keyPath: database]) { cursor in Key(try cursor.first()!.key) }
        }
    }

    @Test func aCleanStoreHasNoProblems() throws {
        let directory = TemporaryDirectory()
        let store = try Self.store(directory)
        let result = try store.verify()
        #expect(result.isClean, "\(result.problems)")
        #expect(result.scans == Int(try store.counters().accepted))
        #expect(result.items == Int(try store.counters().nextItem))
        #expect(result.uncheckedValues == 0)
        #expect(result.values.map(\.database) == [
            "entities", "items", "names", "seqs", "cells", "cellsums", "daystates", "durations", "current", "touched",
        ])
        #expect(result.audit.broken == nil)
    }

    /// A flipped byte in a trace block or a cell is refused by the value's checksum, named, and the walk goes on to
    /// check everything else.
    @Test(arguments: ["items", "cells"])
    func aFlippedByteIsNamed(name: String) throws {
        let database = name == "items" ? \StoreDatabases.items : \StoreDatabases.cells
        let directory = TemporaryDirectory()
        let store = try Self.store(directory)
        let key = try Self.firstKey(store, database)
        try Self.damage(store, database, key) { $0[$0.count / 2] ^= 0x20 }
        let result = try store.verify()
        let problem = try #require(result.problems.first { $0.database == name })
        #expect(problem.message.contains("checksum mismatch"), "\(problem)")
        if database == \StoreDatabases.items {
            #expect(problem.key == "block 0")
        } else {
            #expect(problem.key.hasPrefix("day 2026-") && problem.key.contains("centre "), "\(problem.key)")
        }
        // The other databases were still walked.
        #expect(result.values.count == 10)
        // A reader asking for the damaged value gets an error naming it, not an answer.
        if database == \StoreDatabases.items {
            let error = try #require(throws: StoreCorruption.self) { try store.read { try $0.timeline(item: 0) } }
            #expect(error.message.contains("items[block 0]"), "\(error)")
        }
    }

    /// Values that decode, with valid checksums, but say something the traces do not (a writer's bug, a restore
    /// mixed from two backups): each disagreeing key is named.
    @Test func indexesThatDisagreeWithTheTracesAreNamed() throws {
        let directory = TemporaryDirectory()
        let store = try Self.store(directory)
        // A cell whose first record moved by a second, re-encoded with a valid checksum.
        let cellKey = try Self.firstKey(store, \.cells)
        try Self.damage(store, \.cells, cellKey) { bytes in
            let (day, center) = (cellKey.uint32(at: 0), cellKey.uint32(at: 4))
            var zone = store.zone
            let dayStart = zone.startOfDay(Int32(day))
            var people: [(messenger: UInt32, records: [CellRecord])] = []
            var scratch: [UInt8] = []
            try bytes.withByteView { value in
                try SealedValue.withPayload(value, zstd: Zstd(), scratch: &scratch) { payload in
                    try Cell.decode(payload, center: center, dayStart: dayStart, wantRecords: true) { people.append(($0, $2)) }
                }
            }
            people[0].records[0].time += 1_000
            let payload = ByteWriter()
            Cell.encode(people, center: center, dayStart: dayStart, into: payload, scratch: ByteWriter())
            let value = ByteWriter()
            SealedValue.encode(payload, into: value, zstd: nil)
            bytes = value.bytes
        }
        // A day with one item too many in `touched`, a state list gone, and a device that claims one more seq.
        let touchedKey = try Self.firstKey(store, \.touched)
        try Self.damage(store, \.touched, touchedKey) { bytes in
            var items: [UInt64] = []
            try bytes.withByteView { try TouchedItems.decode($0, into: &items) }
            items.append((items.last! >> 8 + 1) << 8 | 1)
            let writer = ByteWriter()
            TouchedItems.encode(items, into: writer)
            bytes = writer.bytes
        }
        let currentKey = try Self.firstKey(store, \.current)
        _ = try store.environment.write { try $0.delete(store.databases.current, currentKey) }
        let seqsKey = try Self.firstKey(store, \.seqs)
        try Self.damage(store, \.seqs, seqsKey) { bytes in
            var ranges = SeqRanges()
            try bytes.withByteView { try ranges.decode($0) }
            ranges.insert(ranges.ends.last! + 2)
            let writer = ByteWriter()
            ranges.encode(into: writer)
            bytes = writer.bytes
        }
        let result = try store.verify()
        let found = Set(result.problems.map(\.database))
        // The moved record changed its person's first scan, so `cellsums` no longer agrees with the cell either.
        #expect(found == ["cells", "cellsums", "touched", "current", "seqs"], "\(result.problems)")
        #expect(result.problems.contains { $0.database == "cells" && $0.message.contains("differ from those the traces imply") })
        #expect(result.problems.contains { $0.database == "touched" && $0.message.contains("holds") })
        #expect(result.problems.contains { $0.database == "current" && $0.message.hasPrefix("missing") })
        #expect(result.problems.contains { $0.database == "seqs" && $0.key.hasPrefix("device ") })
        #expect(result.problemCount == result.problems.count)
    }

    /// The list is bounded; the count is not.
    @Test func problemsBeyondTheLimitAreCounted() throws {
        let directory = TemporaryDirectory()
        let store = try Self.store(directory)
        let keys: [Key] = try store.read { reader in
            try reader.transaction.withCursor(store.databases.items) { cursor in
                var keys: [Key] = []
                var entry = try cursor.first()
                while let current = entry {
                    keys.append(Key(current.key))
                    entry = try cursor.next()
                }
                return keys
            }
        }
        #expect(keys.count >= 3)
        for key in keys { try Self.damage(store, \.items, key) { $0[$0.count - 1] ^= 1 } }
        let result = try store.verify(maximumProblems: 2)
        #expect(result.problems.count == 2)
        #expect(result.problemCount > keys.count)
    }
}
