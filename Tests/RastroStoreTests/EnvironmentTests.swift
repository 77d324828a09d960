import RastroTestSupport
import Testing

@testable import RastroStore

/// The map grows by itself: ahead of need between writes, and by redoing a write that ran out of room.
@Suite("LMDB environment")
struct EnvironmentTests {
    static func environment(_ directory: TemporaryDirectory, initialMapBytes: Int) throws -> Environment {
        try Environment(path: directory.path, maxDatabases: 4, initialMapBytes: initialMapBytes, maximumMapBytes: 1 << 30)
    }

    /// Writes that each fit in the free half of the map never fail: the map doubles before it is half used, so
    /// no write's work is thrown away and redone.
    @Test func theMapGrowsBeforeWritesRunOutOfRoom() throws {
        let directory = TemporaryDirectory()
        let environment = try Self.environment(directory, initialMapBytes: 256 << 10)
        let database = try environment.database("values", create: true)
        var attempts = 0
        let value = [UInt8](repeating: 7, count: 30 << 10)
        for write in 0..<40 {
            try environment.write { transaction in
                attempts += 1
                try transaction.put(database, Key.uint32(UInt32(write)), value)
            }
        }
        #expect(attempts == 40)
        #expect(environment.mapBytes > 2 << 20)
        let (pageBytes, pages, _) = environment.statistics()
        #expect(pageBytes * pages <= environment.mapBytes)
    }

    /// A write larger than the free half still succeeds: it fails with MDB_MAP_FULL, the map doubles, and the write
    /// is redone from scratch until it fits.
    @Test func aWriteLargerThanTheMapIsRedoneAfterTheMapGrows() throws {
        let directory = TemporaryDirectory()
        let environment = try Self.environment(directory, initialMapBytes: 256 << 10)
        let database = try environment.database("values", create: true)
        var attempts = 0
        try environment.write { transaction in
            attempts += 1
            for index in 0..<64 {
                try transaction.put(database, Key.uint32(UInt32(index)), [UInt8](repeating: 1, count: 16 << 10))
            }
        }
        #expect(attempts > 1)
        let stored = try environment.read { transaction in
            try transaction.withValue(database, Key.uint32(63)) { $0.count }
        }
        #expect(stored == 16 << 10)
    }
}
