#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RastroCore
import RastroPrimitives

/// What `rastro backup verify` found: every backup's chain link and every piece checked, and each backup's records
/// counted against its manifest and found in key order.
public struct BackupVerification: Sendable {
    public var backups: Int
    public var pieces: Int
    public var pieceBytes: Int
}

extension BackupRepository {
    /// One piece's records, walked: the callback gets each record's database index, key and value (views valid only
    /// during the call). A record cut short or naming no database is an error naming the piece.
    static func forEachRecord(
        in records: [UInt8], piece id: String, databases: Int, _ body: (Int, ByteView, ByteView) throws -> Void
    ) throws {
        try records.withByteView { view in
            var reader = ByteReader(view)
            while !reader.isAtEnd {
                do {
                    let database = Int(try reader.byte())
                    guard database < databases else { throw BackupError("a record names database \(database) of \(databases)") }
                    let key = try reader.slice(try reader.count(maximum: 511))
                    let value = try reader.slice(try reader.count(maximum: 1 << 30))
                    try body(database, key, value)
                } catch let error as BackupError {
                    throw BackupError("piece \(id) is damaged: \(error)")
                } catch {
                    throw BackupError("piece \(id) is damaged: a record is cut short (\(error))")
                }
            }
        }
    }

    /// Checks every backup in the directory without writing a store: the manifests' chain, every piece any of them
    /// names (authenticated when encrypted, decompressed, hashed against its name, its records well formed), and for
    /// every backup that its pieces hold the records its manifest counts, in key order within each database.
    public func verify(progress: ((Int, Int) -> Void)? = nil) throws -> BackupVerification {
        let manifests = try chain()
        let zstd = Zstd()
        let databaseCount = manifests.map { $0.databases.count }.max() ?? 0
        // What each piece holds, read once however many backups share it: records per database and the first and
        // last key of each, to check order across the pieces of every backup.
        struct PieceSummary {
            var records: [Int]
            var firstKey: [[UInt8]?]
            var lastKey: [[UInt8]?]
        }
        var summaries: [String: PieceSummary] = [:]
        var pieceBytes = 0
        let everyPiece = Array(Set(manifests.flatMap(\.pieces))).sorted()
        for (index, id) in everyPiece.enumerated() {
            let records = try readPiece(id, zstd: zstd)
            pieceBytes += try self.pieceBytes(id)
            var summary = PieceSummary(
                records: Array(repeating: 0, count: databaseCount), firstKey: Array(repeating: nil, count: databaseCount),
                lastKey: Array(repeating: nil, count: databaseCount))
            var lastKey: [UInt8]? = nil
            var lastDatabase = -1
            try Self.forEachRecord(in: records, piece: id, databases: databaseCount) { database, key, _ in
                guard database >= lastDatabase else { throw BackupError("piece \(id) is damaged: its databases are out of order") }
                if database == lastDatabase, let lastKey, lastKey.withByteView({ key.compare($0) <= 0 }) {
                    throw BackupError("piece \(id) is damaged: its keys are out of order")
                }
                if database != lastDatabase { lastKey = nil }
                let copy = Array(key)
                if summary.firstKey[database] == nil { summary.firstKey[database] = copy }
                summary.lastKey[database] = copy
                summary.records[database] += 1
                lastKey = copy
                lastDatabase = database
            }
            summaries[id] = summary
            progress?(index + 1, everyPiece.count)
        }
        for manifest in manifests {
            var counts = Array(repeating: 0, count: databaseCount)
            var lastKey: [[UInt8]?] = Array(repeating: nil, count: databaseCount)
            for id in manifest.pieces {
                let summary = summaries[id]!
                for database in 0..<databaseCount where summary.records[database] > 0 {
                    if let previous = lastKey[database], let first = summary.firstKey[database],
                        first.withByteView({ first in previous.withByteView { first.compare($0) <= 0 } })
                    {
                        throw BackupError("backup \(manifest.sequence) does not restore: its pieces put keys of \(manifest.databases[database].name) out of order at piece \(id)")
                    }
                    lastKey[database] = summary.lastKey[database]
                    counts[database] += summary.records[database]
                }
            }
            for (index, database) in manifest.databases.enumerated() where counts[index] != database.records {
                throw BackupError(
                    "backup \(manifest.sequence) does not restore: its pieces hold \(counts[index]) records of \(database.name), its manifest counts \(database.records)")
            }
        }
        return BackupVerification(backups: manifests.count, pieces: everyPiece.count, pieceBytes: pieceBytes)
    }

    /// Rebuilds the store as of backup `sequence` (default: the newest) in `directory`, which must not exist or be
    /// empty, then verifies it (`Store.verify`). The store is built under a temporary name beside `directory` and
    /// renamed into place only once it verifies: a restore that fails leaves nothing at `directory`.
    public func restore(
        at sequence: Int? = nil, into directory: String, limits: Limits = .default, progress: ((Int, Int) -> Void)? = nil
    ) throws -> BackupManifest {
        let manifest = try chain(upTo: sequence).last!
        if FileManager.default.fileExists(atPath: directory) {
            let contents = try FileManager.default.contentsOfDirectory(atPath: directory)
            guard contents.isEmpty else {
                throw BackupError("\(directory) is not empty: restore into a new or empty directory (nothing was written)")
            }
        }
        let (parent, name) = BackupFiles.split(directory)
        let temporary = "\(parent)/.restoring-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try build(manifest, in: temporary, limits: limits, progress: progress)
            let store = try Store(directory: temporary, create: false, readOnly: true, limits: limits)
            let verification = try store.verify(maximumProblems: 10)
            guard verification.isClean else {
                throw BackupError(
                    "the restored store does not verify: " + verification.problems.map(\.description).joined(separator: "; "))
            }
            let counters = try store.counters()
            guard counters.accepted == manifest.scans else {
                throw BackupError("the restored store holds \(counters.accepted) scans, backup \(manifest.sequence) \(manifest.scans)")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        if FileManager.default.fileExists(atPath: directory) { rmdir(directory) }
        guard rename(temporary, directory) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw BackupError("cannot move the restored store to \(directory): \(reason)")
        }
        return manifest
    }

    /// Writes the records of `manifest`'s pieces into a new environment at `path`, in commits of about 64 MiB.
    private func build(_ manifest: BackupManifest, in path: String, limits: Limits, progress: ((Int, Int) -> Void)?) throws {
        try Store.makeDirectory(path)
        let environment = try Environment(
            path: path, maxDatabases: Store.maximumDatabases, initialMapBytes: limits.initialMapBytes, maximumMapBytes: limits.maximumMapBytes)
        var handles: [Database] = []
        for database in manifest.databases { handles.append(try environment.database(database.name, create: true)) }
        let zstd = Zstd()
        var counts = Array(repeating: 0, count: handles.count)
        var batch: [(id: String, records: [UInt8])] = []
        var batchBytes = 0
        func commit() throws {
            guard !batch.isEmpty else { return }
            // Counted inside the transaction and added once it commits: a write redone after the map grows counts
            // its records again from zero.
            let committed = try environment.write { transaction in
                var written = Array(repeating: 0, count: handles.count)
                for (id, records) in batch {
                    try Self.forEachRecord(in: records, piece: id, databases: handles.count) { database, key, value in
                        try transaction.put(handles[database], key, value, append: true)
                        written[database] += 1
                    }
                }
                return written
            }
            for index in counts.indices { counts[index] += committed[index] }
            batch.removeAll()
            batchBytes = 0
        }
        for (index, id) in manifest.pieces.enumerated() {
            let records = try readPiece(id, zstd: zstd)
            batch.append((id, records))
            batchBytes += records.count
            if batchBytes >= 64 << 20 { try commit() }
            progress?(index + 1, manifest.pieces.count)
        }
        try commit()
        for (index, database) in manifest.databases.enumerated() where counts[index] != database.records {
            throw BackupError("backup \(manifest.sequence) holds \(counts[index]) records of \(database.name), its manifest counts \(database.records)")
        }
        try environment.sync()
    }
}
