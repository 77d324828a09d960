#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore

/// A data directory's store: every scan and every index, in one LMDB environment.
///
/// Writes go through ``ingest(_:)`` — one durable transaction per batch, one batch at a time per process (LMDB
/// serialises writers across processes too). Reads go through ``read(_:)`` — one read transaction per question,
/// so a query never blocks ingest and always sees one consistent commit.
public final class Store: @unchecked Sendable {
    public static let schemaVersion: UInt32 = 3

    public let directory: String
    public let environment: Environment
    let databases: StoreDatabases
    /// The site time zone, fixed when the store was created.
    public let zone: SiteTimeZone
    public let limits: Limits

    /// Serialises this process's writers and guards the caches below.
    let writerLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Committed identifier → id mappings per ``EntityKind`` (index `rawValue - 1`). Entities are few.
    var entityIDs: [[InlineBytes: UInt32]] = Array(repeating: [:], count: EntityKind.allCases.count)
    var itemCache: ItemCache
    var blockCache: BlockCache
    /// Identifies this process's writer in ``Counters/writerToken``.
    let writerToken = UInt64.random(in: 1...UInt64.max)
    /// The store's commit count after this process's last commit.
    var lastCommit: UInt64 = 0
    let writerZstd = Zstd(level: 1)
    /// The helper thread's own, for the cells it seals while the writer seals blocks with ``writerZstd``.
    let helperZstd = Zstd(level: 1)
    /// The writer's and the helper's scratch for ``IndexWork``, in that order.
    lazy var indexParticipants = [
        IndexWork.Participant(zone: zone, zstd: writerZstd), IndexWork.Participant(zone: zone, zstd: helperZstd),
    ]
    /// The block phase of a commit runs on two workers: this thread's and the helper's.
    lazy var blockWorkers = [BlockWorker(zone: zone), BlockWorker(zone: zone)]
    lazy var helper = HelperThread()
    /// Zstd contexts and a helper thread for read transactions (separate from the writer's).
    let readerResources = ReaderResources()
    var sessionBuffers: WriteSessionBuffers? = WriteSessionBuffers()
    /// Where ingest time went, cumulated over this process's commits.
    public internal(set) var phases = IngestPhases()

    /// Options for ``open(directory:timeZone:create:readOnly:limits:)``.
    public struct OpenError: Error {}

    /// Opens the store in `directory`.
    ///
    /// - Parameters:
    ///   - timeZone: the site time zone for a new store; for an existing one it must match (or be `nil`).
    ///   - create: create the directory and store when missing; otherwise a missing store is an error.
    public init(
        directory: String, timeZone: String? = nil, create: Bool = true, readOnly: Bool = false, limits: Limits = .default
    ) throws {
        self.directory = directory
        self.limits = limits
        var status = stat()
        let exists = stat(directory + "/data.mdb", &status) == 0
        if !exists {
            guard create && !readOnly else {
                throw StoreError("no Rastro data directory at \(directory) (import scans first, or pass --data)")
            }
            try Self.makeDirectory(directory)
        }
        environment = try Environment(
            path: directory, maxDatabases: 32, initialMapBytes: limits.initialMapBytes,
            maximumMapBytes: limits.maximumMapBytes, readOnly: readOnly)
        databases = try StoreDatabases(environment: environment, create: !readOnly)
        let databases = self.databases
        let storedZone: String? = try environment.read { transaction in
            try transaction.withValue(databases.meta, MetaKey.key(MetaKey.timeZone)) { String(decoding: $0, as: UTF8.self) }
        }
        let zoneIdentifier: String
        if let storedZone {
            if let timeZone, timeZone != storedZone {
                throw StoreError(
                    "\(directory) keeps days in \(storedZone); it cannot switch to \(timeZone) (every day key depends on it)")
            }
            zoneIdentifier = storedZone
        } else {
            zoneIdentifier = timeZone ?? SiteTimeZone.defaultIdentifier
        }
        guard let zone = SiteTimeZone(identifier: zoneIdentifier) else {
            throw StoreError("unknown time zone '\(zoneIdentifier)' (use an IANA name such as America/Bogota)")
        }
        self.zone = zone
        itemCache = ItemCache(capacity: limits.itemCacheEntries)
        blockCache = BlockCache(capacity: limits.blockCacheEntries)
        pthread_mutex_init(writerLock, nil)
        if storedZone == nil && !readOnly {
            try environment.write { transaction in
                try transaction.put(databases.meta, MetaKey.key(MetaKey.timeZone), Array(zoneIdentifier.utf8))
                try Self.markSchema(transaction, databases)
            }
        }
        let schema: UInt32? = try environment.read { transaction in
            try transaction.withValue(databases.meta, MetaKey.key(MetaKey.schema)) { bytes -> UInt32 in
                var reader = ByteReader(bytes)
                return (try? reader.uint32BigEndian()) ?? 0
            }
        }
        if let schema, schema != Self.schemaVersion {
            // Schema 2 lacks only the trace-block tails of schema 3 (docs/storage.md §5.1), which this version reads and
            // writes: such a store is taken as it is and marked 3 as soon as this process may write, so that a
            // schema-2 binary refuses it rather than meet a tail it cannot read.
            guard schema == 2 else {
                throw StoreError("\(directory) has storage schema \(schema); this rastro reads schemas 2 and \(Self.schemaVersion)")
            }
            if !readOnly { try environment.write { try Self.markSchema($0, databases) } }
        }
    }

    static func markSchema(_ transaction: Transaction, _ databases: StoreDatabases) throws {
        let version = ByteWriter()
        version.uint32BigEndian(Self.schemaVersion)
        try transaction.put(databases.meta, MetaKey.key(MetaKey.schema), version.bytes)
    }

    deinit {
        pthread_mutex_destroy(writerLock)
        writerLock.deallocate()
    }

    static func makeDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw StoreError("cannot create \(partial): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The counters as of the latest commit.
    public func counters() throws -> Counters {
        try environment.read { try self.counters(in: $0) }
    }

    func counters(in transaction: Transaction) throws -> Counters {
        try transaction.withValue(databases.meta, MetaKey.key(MetaKey.counters)) { try Counters(decoding: $0) } ?? Counters()
    }

    /// Bytes on disk of the data file (what `du` reports for `data.mdb`).
    public func fileBytes() -> Int {
        var status = stat()
        guard stat(directory + "/data.mdb", &status) == 0 else { return 0 }
        return Int(status.st_blocks) * 512
    }

    /// `mdb_stat` of every database, by name.
    public func databaseStatistics() throws -> [(name: String, statistics: DatabaseStatistics)] {
        try environment.read { transaction in
            try databases.all.map { ($0.name, try transaction.statistics($0)) }
        }
    }
}
