import Foundation
@testable import RastroStore
import RastroTestSupport
import Testing

/// `rastro backup`, `backup keygen|list|verify` and `rastro restore` as an operator runs them: the built binary, its
/// output and exit status.
@Suite(.serialized)
struct BackupCommandTests {
    static func run(_ arguments: [String]) throws -> BuiltRastro.Outcome { try BuiltRastro.run(arguments) }

    @Test func backupListVerifyAndRestore() throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data", backups = directory.path + "/backups", key = directory.path + "/backup.key"
        let stream = StreamFixtures.generated(scans: 2_000, seed: 5)
        do {
            let store = try Store(directory: data)
            _ = try store.ingest(StreamFixtures.batch(Array(stream.clean.prefix(1_500))))
        }
        #expect(try Self.run(["backup", "keygen", "--out", key]).status == 0)
        var status = stat()
        #expect(stat(key, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(try Self.run(["backup", "keygen", "--out", key]).status == 1, "an existing key is never overwritten")

        let first = try Self.run(["backup", "--data", data, "--to", backups, "--key", key])
        #expect(first.status == 0 && first.output.hasPrefix("backup 1 (full): 1500 scans"), "\(first)")
        do {
            let store = try Store(directory: data)
            _ = try store.ingest(StreamFixtures.batch(Array(stream.clean.suffix(500))))
        }
        let second = try Self.run(["backup", "create", "--data", data, "--to", backups, "--key", key])
        #expect(second.status == 0 && second.output.hasPrefix("backup 2 (incremental): 2000 scans"), "\(second)")

        let list = try Self.run(["backup", "list", "--from", backups, "--key", key, "--format", "csv"])
        let rows = list.output.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["id", "time", "scans", "bytes", "kind", "new_bytes", "pieces"])
        #expect(rows.dropFirst().map { [$0[0], $0[2], $0[4]] } == [["1", "1500", "full"], ["2", "2000", "incremental"]])

        let verify = try Self.run(["backup", "verify", "--from", backups, "--key", key])
        #expect(verify.status == 0 && verify.output.contains("2 backups"), "\(verify)")
        let noKey = try Self.run(["backup", "verify", "--from", backups])
        #expect(noKey.status == 1 && noKey.errors.contains("is encrypted: give its key"), "\(noKey)")

        let restored = directory.path + "/restored"
        let restore = try Self.run(["restore", "--from", backups, "--at", "1", "--data", restored, "--key", key])
        #expect(restore.status == 0 && restore.output.contains("restored backup 1"), "\(restore)")
        let info = try Self.run(["info", "--data", restored, "--format", "csv"])
        #expect(info.output.contains("scans,1500,"), "\(info.output)")
        let again = try Self.run(["restore", "--from", backups, "--data", restored, "--key", key])
        #expect(again.status == 1 && again.errors.contains("is not empty"), "\(again)")

        // Every run is in the audit trail: backups in the source's, failed ones too; a restore in the new store's.
        let unkeyed = try Self.run(["backup", "--data", data, "--to", backups])
        #expect(unkeyed.status == 1, "\(unkeyed)")
        let audited = try Store(directory: data, create: false, readOnly: true).auditRecords().filter { $0.kind == .backup }
        #expect(audited.map(\.source) == ["rastro backup", "rastro backup", "rastro backup"])
        #expect(audited[0].detail == "\(backups) backup 1 (full): 1500 scans, \(first.output.split(separator: " ")[5]) bytes written")
        #expect(audited[1].detail.hasPrefix("\(backups) backup 2 (incremental): 2000 scans"))
        #expect(audited[2].detail.hasPrefix("\(backups): failed: ") && audited[2].detail.contains("key"), "\(audited[2].detail)")
        let restoredTrail = try Store(directory: restored, create: false, readOnly: true).auditRecords()
        #expect(restoredTrail.last?.detail == "restored \(backups) backup 1: 1500 scans", "\(restoredTrail.map(\.detail))")
        #expect(try Store(directory: restored, create: false, readOnly: true).verifyAudit().broken == nil)
    }
}
