import Foundation
import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// `Store.compact`: the same records in a file without free pages, and never under a process that has the store open.
@Suite("Compaction", .serialized)
struct CompactTests {
    /// A store whose commits rewrote its blocks: many small commits over the same items.
    static func youngStore(_ directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/data"
        let store = try Store(directory: path)
        let rows = StreamFixtures.generated(scans: 6_000, seed: 51).clean
        for part in stride(from: 0, to: rows.count, by: 500) {
            _ = try store.ingest(StreamFixtures.batch(Array(rows[part..<min(part + 500, rows.count)])))
        }
        return path
    }

    @Test func compactionKeepsEveryRecordAndDropsTheFreePages() throws {
        let directory = TemporaryDirectory()
        let path = try Self.youngStore(directory)
        let (dump, freeBefore) = try {
            let store = try Store(directory: path, create: false, readOnly: true)
            return (try BackupTests.dump(store), try store.freePageShare())
        }()
        #expect(freeBefore > 0.1, "free share \(freeBefore)")
        let result = try Store.compact(directory: path)
        #expect(result.bytesAfter < result.bytesBefore)
        let store = try Store(directory: path, create: false, readOnly: true)
        #expect(try BackupTests.dump(store) == dump)
        #expect(try store.freePageShare() < 0.01)
        #expect(try store.verify().problems.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path + "/.compacting"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "/data.mdb")
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "the store's file stays the owner's alone")
    }

    @Test func aCompactedStoreTakesScansAgain() throws {
        let directory = TemporaryDirectory()
        let path = try Self.youngStore(directory)
        try Store.compact(directory: path)
        let store = try Store(directory: path, create: false)
        let rows = StreamFixtures.generated(scans: 6_000, seed: 51).clean
        #expect(try store.ingest(StreamFixtures.batch(Array(rows.prefix(100)))).duplicates == 100)
        let more = StreamFixtures.generated(scans: 200, seed: 52).clean
        #expect(try store.ingest(StreamFixtures.batch(more)).accepted > 0)
        #expect(try store.verify().problems.isEmpty)
    }

    @Test func aStoreOpenInThisProcessIsNotCompacted() throws {
        let directory = TemporaryDirectory()
        let path = try Self.youngStore(directory)
        let store = try Store(directory: path, create: false, readOnly: true)
        let error = #expect(throws: StoreError.self) { try Store.compact(directory: path) }
        #expect(error?.description.contains("still open in this process") == true)
        _ = store
    }

    @Test func aStoreOpenInAnotherProcessIsNotCompacted() throws {
        let directory = TemporaryDirectory()
        let path = try Self.youngStore(directory)
        // Another process holding lock.mdb as LMDB does (a shared fcntl lock), until told to stop.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [
            "-c",
            "import fcntl,sys; f=open(sys.argv[1],'r+'); fcntl.lockf(f, fcntl.LOCK_SH); print('held', flush=True); sys.stdin.read()",
            path + "/lock.mdb",
        ]
        let input = Pipe(), output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        _ = output.fileHandleForReading.availableData  // "held": the lock is taken
        let error = #expect(throws: StoreError.self) { try Store.compact(directory: path) }
        #expect(error?.description.contains("is open in another process") == true, "\(error?.description ?? "")")
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        #expect(try Store.compact(directory: path).bytesAfter > 0, "once the other process is gone")
    }
}
