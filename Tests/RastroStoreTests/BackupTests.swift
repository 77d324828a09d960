import Foundation
import RastroCore
import RastroPrimitives
@testable import RastroStore
import RastroTestSupport
import Testing

/// Backups (`rastro backup`, `restore`): a restored store holds exactly the records the source held when the backup
/// read it; later backups write only what changed; every kind of damage and a wrong or missing key are named.
@Suite("Backup")
struct BackupTests {
    /// Every record of every database, as stored: two stores that dump the same answer every question the same.
    static func dump(_ store: Store) throws -> [String: [[UInt8]]] {
        try store.read { reader in
            var result: [String: [[UInt8]]] = [:]
            for database in store.databases.all {
                var records: [[UInt8]] = []
                try reader.transaction.withCursor(database) { cursor in
                    var entry = try cursor.first()
                    while let current = entry {
                        records.append(Array(current.key) + [0xFF, 0xFE] + Array(current.value))
                        entry = try cursor.next()
                    }
                }
                result[database.name] = records
            }
            return result
        }
    }

    /// A store fed a generated stream in `parts` commits, with a token, and the stream's rows.
    static func store(_ directory: TemporaryDirectory, scans: Int = 4_000) throws -> (store: Store, rows: [String]) {
        let store = try Store(directory: directory.path + "/data")
        _ = try store.createToken(kind: .gateway, subject: "gw", hash: Array(repeating: 7, count: 32), now: 1_000)
        return (store, StreamFixtures.generated(scans: scans, seed: 12).clean)
    }

    static let smallPieces: BackupChunking = {
        var chunking = BackupChunking()
        chunking.minimumBytes = 4 << 10
        chunking.averageExtraBytes = 4 << 10
        chunking.maximumBytes = 64 << 10
        return chunking
    }()

    @Test(arguments: [false, true])
    func everyBackupRestoresExactlyWhatItRead(encrypted: Bool) throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory)
        let key = encrypted ? BackupKey.generate() : nil
        let repository = try BackupRepository(path: directory.path + "/backups", key: key, create: true)
        var dumps: [[String: [[UInt8]]]] = []
        var manifests: [BackupManifest] = []
        for part in stride(from: 0, to: rows.count, by: 1_000) {
            _ = try store.ingest(StreamFixtures.batch(Array(rows[part..<min(part + 1_000, rows.count)])))
            manifests.append(try store.backup(into: repository, now: 2_000 + Int64(part), chunking: Self.smallPieces).manifest)
            dumps.append(try Self.dump(store))
        }
        #expect(manifests.map(\.sequence) == [1, 2, 3, 4])
        #expect(manifests.map(\.full) == [true, false, false, false])
        #expect(manifests.last!.scans == UInt64(rows.count))
        // Later backups share pieces with earlier ones.
        for manifest in manifests.dropFirst() { #expect(manifest.newPieces < manifest.pieces.count) }
        let verification = try repository.verify()
        #expect(verification.backups == 4)
        #expect(try Self.deltaPieces(repository) > 0, "incrementals store changed pieces as deltas")
        for (index, manifest) in manifests.enumerated() {
            let target = directory.path + "/restored-\(index)"
            let restored = try repository.restore(at: manifest.sequence, into: target)
            #expect(restored == manifest)
            let store = try Store(directory: target, create: false, readOnly: true)
            #expect(try Self.dump(store) == dumps[index], "backup \(manifest.sequence)")
        }
        // The restored newest store goes on working: its token authenticates and a resend is a duplicate.
        let restored = try Store(directory: directory.path + "/restored-3", create: false)
        #expect(try restored.token(hash: Array(repeating: 7, count: 32))?.subject == "gw")
        let report = try restored.ingest(StreamFixtures.batch(Array(rows.prefix(500))))
        #expect(report.accepted == 0 && report.duplicates == 500)
    }

    /// Pieces stored as deltas against an earlier piece.
    static func deltaPieces(_ repository: BackupRepository) throws -> Int {
        var count = 0
        for directory in try FileManager.default.contentsOfDirectory(atPath: repository.path + "/pieces") {
            for name in try FileManager.default.contentsOfDirectory(atPath: repository.path + "/pieces/" + directory) {
                let file = FileManager.default.contents(atPath: repository.path + "/pieces/\(directory)/\(name)")!
                if file.starts(with: BackupFiles.deltaMagic) { count += 1 }
            }
        }
        return count
    }

    /// A long chain of incrementals: deltas on deltas stay within ``BackupRepository/maximumDeltaDepth``, and every
    /// backup restores exactly.
    @Test(arguments: [false, true])
    func deltasOnDeltasAreBoundedAndRestore(encrypted: Bool) throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory, scans: 3_000)
        let repository = try BackupRepository(path: directory.path + "/backups", key: encrypted ? BackupKey.generate() : nil, create: true)
        var dumps: [[String: [[UInt8]]]] = []
        for part in stride(from: 0, to: 2_400, by: 200) {
            _ = try store.ingest(StreamFixtures.batch(Array(rows[part..<(part + 200)])))
            _ = try store.backup(into: repository, now: Int64(part), chunking: Self.smallPieces)
            dumps.append(try Self.dump(store))
        }
        let manifests = try repository.chain()
        #expect(manifests.count == 12)
        let zstd = Zstd()
        let depths = try Set(manifests.flatMap(\.pieces)).map { try repository.readStoredPiece($0, zstd: zstd).depth }
        #expect(depths.max() == BackupRepository.maximumDeltaDepth, "depths \(depths.sorted())")
        for manifest in manifests {
            let target = directory.path + "/restored-\(manifest.sequence)"
            _ = try repository.restore(at: manifest.sequence, into: target)
            #expect(try Self.dump(Store(directory: target, create: false, readOnly: true)) == dumps[manifest.sequence - 1])
        }
    }

    /// A directory of format 1 (before deltas) is read and extended with whole pieces only.
    @Test func aFormatOneDirectoryGetsNoDeltas() throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory, scans: 1_000)
        let path = directory.path + "/backups"
        _ = try BackupRepository(path: path, key: nil, create: true)
        let header = try String(contentsOfFile: path + "/" + BackupRepository.headerName, encoding: .utf8)
        #expect(header.contains("\"format\":2"))
        try header.replacingOccurrences(of: "\"format\":2", with: "\"format\":1").write(
            toFile: path + "/" + BackupRepository.headerName, atomically: true, encoding: .utf8)
        let repository = try BackupRepository(path: path, key: nil, create: false)
        for part in stride(from: 0, to: 1_000, by: 250) {
            _ = try store.ingest(StreamFixtures.batch(Array(rows[part..<(part + 250)])))
            _ = try store.backup(into: repository, now: Int64(part), chunking: Self.smallPieces)
        }
        #expect(try Self.deltaPieces(repository) == 0)
        _ = try repository.restore(into: directory.path + "/restored")
        #expect(try Self.dump(Store(directory: directory.path + "/restored", create: false, readOnly: true)) == Self.dump(store))
    }

    /// An incremental backup after a few more scans writes a small share of what the full one did.
    @Test func anIncrementalBackupWritesWhatChanged() throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory, scans: 20_000)
        let repository = try BackupRepository(path: directory.path + "/backups", key: nil, create: true)
        _ = try store.ingest(StreamFixtures.batch(Array(rows.prefix(19_800))))
        let full = try store.backup(into: repository, now: 1, chunking: Self.smallPieces).manifest
        _ = try store.ingest(StreamFixtures.batch(Array(rows.suffix(200))))
        let incremental = try store.backup(into: repository, now: 2, chunking: Self.smallPieces).manifest
        #expect(incremental.newBytes * 4 < full.newBytes, "full \(full.newBytes) bytes, incremental \(incremental.newBytes)")
        let unchanged = try store.backup(into: repository, now: 3, chunking: Self.smallPieces).manifest
        #expect(unchanged.newPieces == 0 && unchanged.pieces == incremental.pieces)
    }

    /// A backup taken while another thread ingests is the snapshot of one commit: it restores to a store that verifies
    /// and holds exactly the scans its manifest counts.
    @Test func aBackupDuringIngestIsOneCommit() throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory, scans: 12_000)
        _ = try store.ingest(StreamFixtures.batch(Array(rows.prefix(2_000))))
        let repository = try BackupRepository(path: directory.path + "/backups", key: nil, create: true)
        let writer = Thread {
            for part in stride(from: 2_000, to: rows.count, by: 500) {
                _ = try? store.ingest(StreamFixtures.batch(Array(rows[part..<min(part + 500, rows.count)])))
            }
        }
        writer.start()
        var manifests: [BackupManifest] = []
        for _ in 0..<3 { manifests.append(try store.backup(into: repository, now: 1, chunking: Self.smallPieces).manifest) }
        while !writer.isFinished { usleep(1_000) }
        for manifest in manifests {
            let target = directory.path + "/restored-\(manifest.sequence)"
            _ = try repository.restore(at: manifest.sequence, into: target)
            let restored = try Store(directory: target, create: false, readOnly: true)
            #expect(try restored.counters().accepted == manifest.scans)
        }
    }

    /// Every kind of damage to a backup directory, found by `verify` and by `restore`, which then leaves nothing.
    enum Tampering: String, CaseIterable, CustomTestStringConvertible {
        case flippedPieceByte, truncatedPiece, missingPiece, replayedPiece, missingManifest, swappedManifests, changedManifest
        /// The pieces only earlier backups name are deleted: the newest backup's deltas lose their bases.
        case missingBases
        var testDescription: String { rawValue }
    }

    @Test(arguments: [false, true], Tampering.allCases)
    func damageIsNamed(encrypted: Bool, tampering: Tampering) throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory)
        let key = encrypted ? BackupKey.generate() : nil
        let repository = try BackupRepository(path: directory.path + "/backups", key: key, create: true)
        for part in stride(from: 0, to: rows.count, by: 2_000) {
            _ = try store.ingest(StreamFixtures.batch(Array(rows[part..<min(part + 2_000, rows.count)])))
            _ = try store.backup(into: repository, now: 1, chunking: Self.smallPieces)
        }
        _ = try store.ingest(StreamFixtures.batch(Array(rows.prefix(10))))
        _ = try store.backup(into: repository, now: 1, chunking: Self.smallPieces)
        let newest = try repository.chain().last!
        let piece = repository.piecePath(newest.pieces[newest.pieces.count / 2])
        let other = repository.piecePath(newest.pieces[0])
        let expected: String
        switch tampering {
        case .flippedPieceByte:
            var bytes = [UInt8](FileManager.default.contents(atPath: piece)!)
            bytes[bytes.count - 5] ^= 0x01
            FileManager.default.createFile(atPath: piece, contents: Data(bytes))
            expected = "is damaged"
        case .truncatedPiece:
            let bytes = [UInt8](FileManager.default.contents(atPath: piece)!)
            FileManager.default.createFile(atPath: piece, contents: Data(bytes.prefix(bytes.count / 2)))
            expected = "is damaged"
        case .missingPiece:
            try FileManager.default.removeItem(atPath: piece)
            expected = "is missing"
        case .replayedPiece:
            try FileManager.default.removeItem(atPath: piece)
            try FileManager.default.copyItem(atPath: other, toPath: piece)
            expected = "is damaged"
        case .missingBases:
            let newestPieces = Set(newest.pieces)
            for id in Set(try repository.chain().flatMap(\.pieces)).subtracting(newestPieces) {
                try FileManager.default.removeItem(atPath: repository.piecePath(id))
            }
            expected = "is missing"
        case .missingManifest:
            try FileManager.default.removeItem(atPath: repository.manifestPath(1))
            expected = "backup 1 is missing"
        case .swappedManifests:
            let first = repository.manifestPath(1), second = repository.manifestPath(2)
            try FileManager.default.moveItem(atPath: first, toPath: first + ".x")
            try FileManager.default.moveItem(atPath: second, toPath: first)
            try FileManager.default.moveItem(atPath: first + ".x", toPath: second)
            expected = encrypted ? "another backup's manifest renamed" : "holds the manifest of backup 2"
        case .changedManifest:
            // A manifest rewritten whole and consistently (unencrypted: anyone can), then the chain after it breaks.
            if encrypted {
                var bytes = [UInt8](FileManager.default.contents(atPath: repository.manifestPath(2))!)
                bytes[bytes.count / 2] ^= 0x01
                FileManager.default.createFile(atPath: repository.manifestPath(2), contents: Data(bytes))
                expected = "backup 2 is damaged"
            } else {
                var manifest = try repository.readManifest(2).manifest
                manifest.scans += 1
                try FileManager.default.removeItem(atPath: repository.manifestPath(2))
                _ = try repository.writeManifest(manifest)
                expected = "backup 3 does not follow backup 2"
            }
        }
        let verifyError = #expect(throws: BackupError.self) { try repository.verify() }
        #expect(verifyError?.description.contains(expected) == true, "\(verifyError?.description ?? "")")
        let target = directory.path + "/restored"
        let restoreError = #expect(throws: BackupError.self) { try repository.restore(into: target) }
        #expect(restoreError?.description.contains(expected) == true, "\(restoreError?.description ?? "")")
        if tampering == .missingBases {
            #expect(restoreError?.description.contains("is damaged: its base piece") == true, "\(restoreError?.description ?? "")")
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".restoring") }
        #expect(leftovers.isEmpty)
    }

    @Test func aWrongOrMissingKeyIsSaid() throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory, scans: 200)
        _ = try store.ingest(StreamFixtures.batch(rows))
        let path = directory.path + "/backups"
        _ = try store.backup(into: try BackupRepository(path: path, key: BackupKey.generate(), create: true), now: 1)
        let wrong = #expect(throws: BackupError.self) { try BackupRepository(path: path, key: BackupKey.generate(), create: false) }
        #expect(wrong?.description.contains("the key does not open") == true)
        let missing = #expect(throws: BackupError.self) { try BackupRepository(path: path, key: nil, create: false) }
        #expect(missing?.description.contains("is encrypted: give its key") == true)
        // The pieces and manifests say nothing readable without the key.
        let manifest = [UInt8](FileManager.default.contents(atPath: path + "/backups/000001")!)
        #expect(!String(decoding: manifest, as: UTF8.self).contains("pieces"))
    }

    @Test func aRestoreIntoANonEmptyDirectoryIsRefused() throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory, scans: 200)
        _ = try store.ingest(StreamFixtures.batch(rows))
        let repository = try BackupRepository(path: directory.path + "/backups", key: nil, create: true)
        _ = try store.backup(into: repository, now: 1)
        let target = directory.path + "/occupied"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: target + "/keep.txt", contents: Data("mine".utf8))
        let error = #expect(throws: BackupError.self) { try repository.restore(into: target) }
        #expect(error?.description.contains("is not empty") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["keep.txt"])
        // An empty directory is fine.
        let empty = directory.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        _ = try repository.restore(into: empty)
        #expect(FileManager.default.fileExists(atPath: empty + "/data.mdb"))
    }

    /// A backup cut short before its manifest (a SIGKILL) leaves pieces no manifest names: the chain before it is
    /// intact and the next backup carries on from it.
    @Test func anInterruptedBackupLeavesThePreviousChainValid() throws {
        let directory = TemporaryDirectory()
        let (store, rows) = try Self.store(directory, scans: 2_000)
        _ = try store.ingest(StreamFixtures.batch(Array(rows.prefix(1_000))))
        let repository = try BackupRepository(path: directory.path + "/backups", key: nil, create: true)
        _ = try store.backup(into: repository, now: 1, chunking: Self.smallPieces)
        _ = try store.ingest(StreamFixtures.batch(Array(rows.suffix(1_000))))
        let second = try store.backup(into: repository, now: 2, chunking: Self.smallPieces).manifest
        // As if killed before the manifest: the pieces stay, the manifest is gone (and a half-written file beside it).
        try FileManager.default.removeItem(atPath: repository.manifestPath(2))
        FileManager.default.createFile(atPath: repository.manifestPath(2) + ".partial", contents: Data([1, 2, 3]))
        #expect(try repository.verify().backups == 1)
        let third = try store.backup(into: repository, now: 3, chunking: Self.smallPieces).manifest
        #expect(third.sequence == 2 && third.newPieces == 0 && third.pieces == second.pieces)
        #expect(try repository.verify().backups == 2)
    }
}
