#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RastroCore
import RastroPrimitives

/// How a store's records are cut into pieces. A cut falls after a record whose key hashes into a share of the hash
/// space proportional to the record's size, once a piece holds `minimumBytes`: cuts depend on keys, not on where the
/// last cut fell, so a change to some records rewrites the pieces around them and no others. Every database starts a
/// piece of its own.
public struct BackupChunking: Sendable {
    public var minimumBytes = 64 << 10
    /// The bytes a piece holds on average past the minimum.
    public var averageExtraBytes = 64 << 10
    public var maximumBytes = 1 << 20

    public init() {}

    @inline(__always)
    func cutsAfter(database: Int, key: ByteView, recordBytes: Int, pieceBytes: Int) -> Bool {
        if pieceBytes >= maximumBytes { return true }
        guard pieceBytes >= minimumBytes else { return false }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(database)
        for index in 0..<key.count {
            hash = (hash ^ UInt64(key[index])) &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 29
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 32
        // A record of `recordBytes` cuts with probability recordBytes / averageExtraBytes.
        return hash % UInt64(averageExtraBytes) < UInt64(recordBytes)
    }
}

/// What one backup run did.
public struct BackupSummary: Sendable {
    public var manifest: BackupManifest
    public var seconds: Double
}

extension Store {
    /// Backs the store up into `repository`, in one read transaction (it never blocks the writer): every record of
    /// every database, as stored, in pieces, writing only the pieces the directory does not hold yet. The backup
    /// exists once its manifest is written, after its pieces are synced.
    ///
    /// `progress` is called with the records' bytes read so far and the store's size in pages' bytes.
    public func backup(
        into repository: BackupRepository, now: Int64, chunking: BackupChunking = BackupChunking(),
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> BackupSummary {
        let started = SystemClock.monotonicSeconds
        // The chain is checked before it is extended: a backup never follows a damaged one.
        let previous = try repository.manifestSequences().isEmpty ? nil : try repository.checkedChain()
        let zstd = Zstd(level: 3)
        let databases = self.databases
        // A piece this backup writes anew is stored as a delta against the previous backup's piece that held the
        // same keys (``DeltaBases``).
        let bases = DeltaBases(repository: repository, pieces: previous?.manifests.last?.pieces ?? [], zstd: zstd)
        let totalBytes = fileBytes()
        let zoneName = zone.identifier
        let manifest = try environment.read { transaction -> BackupManifest in
            let counters = try databases.counters(in: transaction)
            let schema: UInt32 = try transaction.withValue(databases.meta, MetaKey.key(MetaKey.schema)) { bytes in
                var reader = ByteReader(bytes)
                return try reader.uint32BigEndian()
            } ?? Store.schemaVersion
            var manifest = BackupManifest(
                format: BackupRepository.format, sequence: (previous?.manifests.count ?? 0) + 1,
                previous: previous?.head, createdAt: now, schema: schema,
                timeZone: zoneName, scans: counters.accepted, full: previous == nil, pieces: [], databases: [], recordBytes: 0,
                newPieces: 0, newBytes: 0, totalBytes: 0)
            let piece = ByteWriter(reservingCapacity: chunking.maximumBytes + (64 << 10))
            var read = 0
            func cut() throws {
                guard piece.count > 0 else { return }
                try piece.withBytes { records in
                    let id = repository.pieceID(records)
                    manifest.pieces.append(id)
                    if repository.hasPiece(id) {
                        manifest.totalBytes += try repository.pieceBytes(id)
                        bases.reused(id)
                    } else {
                        let base = bases.base(for: records)
                        let bytes = try repository.writePiece(id: id, records: records, zstd: zstd, base: base)
                        manifest.newPieces += 1
                        manifest.newBytes += bytes
                        manifest.totalBytes += bytes
                    }
                }
                piece.removeAll()
                progress?(read, totalBytes)
            }
            for (index, database) in databases.all.enumerated() {
                var records = 0
                try transaction.withCursor(database) { cursor in
                    var entry = try cursor.first()
                    while let current = entry {
                        // Copied into the piece inside the transaction: bytes from LMDB never outlive it.
                        let before = piece.count
                        piece.byte(UInt8(index))
                        piece.varint(current.key.count)
                        piece.append(current.key)
                        piece.varint(current.value.count)
                        piece.append(current.value)
                        let recordBytes = piece.count - before
                        records += 1
                        read += recordBytes
                        manifest.recordBytes += current.key.count + current.value.count
                        if chunking.cutsAfter(database: index, key: current.key, recordBytes: recordBytes, pieceBytes: piece.count) {
                            try cut()
                        }
                        entry = try cursor.next()
                    }
                }
                try cut()
                manifest.databases.append(.init(name: database.name, records: records))
            }
            return manifest
        }
        try repository.syncPieceDirectories()
        _ = try repository.writeManifest(manifest)
        return BackupSummary(manifest: manifest, seconds: SystemClock.monotonicSeconds - started)
    }
}

extension BackupRepository {
    /// Bytes on disk of piece `id`.
    func pieceBytes(_ id: String) throws -> Int {
        var status = stat()
        guard stat(piecePath(id), &status) == 0 else { throw BackupError("piece \(id) vanished during the backup") }
        return Int(status.st_size)
    }
}

/// Finds, for a piece an incremental backup writes, the previous backup's piece that held the same keys: the last one
/// whose first record is not after the new piece's first record. Cuts depend on keys, so most changed pieces have
/// such a twin holding nearly the same records; when a record grew or shrank, the cuts after it may move, and the
/// twin is then found by key, not by position. The previous pieces are read forward only, from the last piece both
/// backups share, each at most once.
final class DeltaBases {
    typealias Base = (id: String, piece: BackupRepository.StoredPiece)

    let repository: BackupRepository
    let pieces: [String]
    let zstd: Zstd
    private var index: [String: Int] = [:]
    private var cursor = 0
    private var read: [Int: (base: Base, first: [UInt8])] = [:]

    init(repository: BackupRepository, pieces: [String], zstd: Zstd) {
        self.repository = repository
        self.pieces = pieces
        self.zstd = zstd
        for (position, id) in pieces.enumerated() where index[id] == nil { index[id] = position }
    }

    /// A piece both backups hold: the next twin lies after it.
    func reused(_ id: String) {
        if let position = index[id], position > cursor { cursor = position }
    }

    /// The twin of a new piece holding `records`, or `nil` when there is none (a full backup, or a base that cannot
    /// be read: a damaged piece costs only its delta here, and `verify` names it).
    func base(for records: ByteView) -> Base? {
        guard let first = Self.firstRecordKey(records) else { return nil }
        guard var current = load(cursor) else { return nil }
        while let next = load(cursor + 1), !Self.isAfter(next.first, first) {
            cursor += 1
            current = next
        }
        return current.base
    }

    private func load(_ position: Int) -> (base: Base, first: [UInt8])? {
        guard position < pieces.count else { return nil }
        if let loaded = read[position] { return loaded }
        guard let piece = try? repository.readStoredPiece(pieces[position], zstd: zstd),
            let first = piece.records.withByteView({ Self.firstRecordKey($0) })
        else { return nil }
        // Only the pieces at and after the cursor are looked at again.
        read = read.filter { $0.key >= cursor }
        read[position] = ((pieces[position], piece), first)
        return read[position]
    }

    /// The database byte and key of a piece's first record, comparable byte by byte (records are in database, then
    /// key order).
    static func firstRecordKey(_ records: ByteView) -> [UInt8]? {
        var reader = ByteReader(records)
        guard let database = try? reader.byte(), let length = try? reader.count(maximum: reader.remaining),
            let key = try? reader.slice(length)
        else { return nil }
        return [database] + Array(key)
    }

    /// Whether the key `a` sorts after `b` (keys of one database compare as LMDB orders them: bytes, then length).
    static func isAfter(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        b.lexicographicallyPrecedes(a)
    }
}
