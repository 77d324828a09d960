#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCore
import RastroPrimitives

/// A data directory's store: every scan and every index, in one LMDB environment.
///
/// Writes go through ``ingest(_:now:)`` — one durable transaction per group of batches, one at a time per process
/// (LMDB serialises writers across processes too) — to the store's ``Writer``, which owns everything only writing
/// needs. Reads go through ``read(_:)`` — one read transaction per question, so a query never blocks ingest and
/// always sees one consistent commit.
public final class Store: Sendable {
    public static let schemaVersion: UInt32 = 4
    /// Named databases an environment may hold (`mdb_env_set_maxdbs`): the store's fifteen and room to grow.
    static let maximumDatabases = 32

    public let directory: String
    public let environment: Environment
    let databases: StoreDatabases
    /// The site time zone, fixed when the store was created.
    public let zone: SiteTimeZone
    public let limits: Limits

    /// The write engine, for a store opened to write (``ingest(_:now:)``); `nil` when opened read-only.
    let writer: Writer?
    /// Zstd contexts and a helper thread for read transactions (apart from the writer's).
    let readerResources = ReaderResources()

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
            path: directory, maxDatabases: Store.maximumDatabases, initialMapBytes: limits.initialMapBytes,
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
        writer = readOnly ? nil : Writer(environment: environment, databases: databases, zone: zone, limits: limits)
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
            // Schemas 2 and 3 lack only what later schemas add — trace-block tails (3), checksums on every stored
            // value (4), docs/storage.md §5.0–5.1 — which this version reads and writes: such a store is taken as it
            // is and marked current as soon as this process may write, so that an older binary refuses it rather
            // than meet a value it cannot read. Its unchecked values gain checksums as they are rewritten.
            guard schema == 2 || schema == 3 else {
                throw StoreError("\(directory) has storage schema \(schema); this rastro reads schemas 2 to \(Self.schemaVersion)")
            }
            if !readOnly { try environment.write { try Self.markSchema($0, databases) } }
        }
    }

    static func markSchema(_ transaction: Transaction, _ databases: StoreDatabases) throws {
        let version = ByteWriter()
        version.uint32BigEndian(Self.schemaVersion)
        try transaction.put(databases.meta, MetaKey.key(MetaKey.schema), version.bytes)
    }

    static func makeDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST {
                throw StoreError("cannot create \(partial): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The counters as of the latest commit.
    public func counters() throws -> Counters {
        try environment.read { try self.counters(in: $0) }
    }

    func counters(in transaction: Transaction) throws -> Counters {
        try databases.counters(in: transaction)
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
