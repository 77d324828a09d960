import Foundation
import RastroServer
@testable import RastroStore
import RastroTestSupport
import Testing

/// `rastrod --backup-dir`: a backup on start and on every tick, into chains of `fullEvery` backups, old chains
/// removed whole once the newest `keep` backups are elsewhere; counted in /metrics and audited.
@Suite(.serialized)
struct ScheduledBackupTests {
    @Test func theServerBacksUpOnItsScheduleAndPrunesOldChains() async throws {
        let backups = TemporaryDirectory()
        var schedule = BackupSchedule(directory: backups.path + "/chains")
        schedule.everySeconds = 1
        schedule.keep = 2
        schedule.fullEvery = 2
        let harness = try await ServerHarness(backup: schedule)
        let rows = StreamFixtures.generated(scans: 3_000, seed: 21).clean
        var fed = 0
        // Until the first chain has been pruned: backups 1-2 fill chain 1, 3-4 chain 2, and then chain 1 holds none
        // of the newest two. The wait bounds a hang, not a speed.
        var chains: [String] = []
        for _ in 0..<600 {
            if fed < rows.count {
                _ = try harness.server.store.ingest(StreamFixtures.batch(Array(rows[fed..<min(fed + 300, rows.count)])))
                fed += 300
            }
            chains = try FileManager.default.contentsOfDirectory(atPath: schedule.directory).sorted()
            if !chains.isEmpty && !chains.contains("chain-000001") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!chains.contains("chain-000001"), "chains: \(chains)")
        #expect(chains.first.map { $0 >= "chain-000002" } == true)
        let attributes = try FileManager.default.attributesOfItem(atPath: schedule.directory)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)

        // The newest backup restores to the scans its manifest counts, and verifies.
        let newest = try BackupRepository(path: schedule.directory + "/" + chains.last!, key: nil, create: false)
        let restored = backups.path + "/restored"
        let manifest = try newest.restore(into: restored)
        #expect(try Store(directory: restored, create: false, readOnly: true).counters().accepted == manifest.scans)

        // A backup prunes old chains before it is counted: the fourth may still be on its way to the counter.
        var exposition = ""
        var ok: Substring? = nil
        for _ in 0..<100 {
            exposition = harness.server.metrics.exposition()
            ok = exposition.split(separator: "\n").first { $0.hasPrefix("rastro_backups_total{result=\"ok\"}") }
            if ok.flatMap({ Double($0.split(separator: " ").last ?? "") }).map({ $0 >= 4 }) == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(ok.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 4 } == true, "\(ok ?? "no counter")")
        #expect(exposition.contains("rastro_backup_last_success_timestamp_seconds"))
        try await harness.stop()
        let audited = try Store(directory: harness.dataPath, create: false, readOnly: true).auditRecords().filter { $0.kind == .backup }
        #expect(audited.count >= 4)
        #expect(audited.contains { $0.detail.contains("pruned chain-000001") }, "\(audited.map(\.detail))")
    }
}
