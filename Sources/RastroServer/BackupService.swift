import Foundation
import Logging
import RastroCore
import RastroPrimitives
import RastroStore
import ServiceLifecycle

/// Backups `rastrod` takes by itself (`--backup-dir`, docs/operations.md §2).
public struct BackupSchedule: Sendable {
    /// The directory that holds the chains: `chain-000001/`, `chain-000002/`, … each a backup directory.
    public var directory: String
    /// The backup key file (`rastro backup keygen`); backups are not encrypted without one.
    public var keyFile: String?
    /// Seconds between backups; the first is taken when the server starts.
    public var everySeconds = 3_600
    /// Backups kept at least; chains older than the newest `keep` backups are removed whole.
    public var keep = 48
    /// Backups per chain: a chain's first is full, the rest incremental; then a new chain starts with a full one.
    public var fullEvery = 24

    public init(directory: String, keyFile: String? = nil) {
        self.directory = directory
        self.keyFile = keyFile
    }
}

/// Takes a backup on start and every ``BackupSchedule/everySeconds`` after, on the readers' niced threads (a backup
/// reads one snapshot and never holds up a commit), into the newest chain or a new one; prunes old chains; counts,
/// logs and audits each run. A failed backup changes nothing else: ingest goes on.
struct BackupService: Service {
    let schedule: BackupSchedule
    let key: BackupKey?
    let context: ServerContext

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            await backUp()
            do {
                try await gracefulShutdown(orSleep: schedule.everySeconds)
            } catch {
                return
            }
        }
    }

    private func gracefulShutdown(orSleep seconds: Int) async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(seconds)) }
    }

    func backUp() async {
        let (schedule, key, store) = (schedule, key, context.store)
        let now = serverMilliseconds()
        do {
            let outcome = try await ReadAPI.readThreads.runIfActive {
                ThreadPriority.setCurrentThreadNice(Limits.readerNice)
                return try Self.backUp(store: store, schedule: schedule, key: key, now: now)
            }
            let manifest = outcome.summary.manifest
            context.metrics.backups["ok"]?.increment()
            context.metrics.backupLastSuccess.record(Double(now) / 1000)
            context.metrics.backupLastSeconds.record(outcome.summary.seconds)
            context.metrics.backupLastBytes.record(manifest.newBytes)
            let detail = "\(outcome.chain) backup \(manifest.sequence) (\(manifest.full ? "full" : "incremental")): "
                + "\(manifest.scans) scans, \(manifest.newBytes) bytes written"
                + (outcome.pruned.isEmpty ? "" : "; pruned \(outcome.pruned.joined(separator: ", "))")
            context.logger.info("backup", metadata: ["detail": "\(detail)"])
            context.writer.audit(AuditRecord(time: now, kind: .backup, source: "rastrod", channel: "backup", detail: detail))
        } catch {
            context.metrics.backups["failed"]?.increment()
            context.logger.error("backup failed", metadata: ["error": "\(error)"])
            context.writer.audit(
                AuditRecord(time: now, kind: .backup, source: "rastrod", channel: "backup", detail: "failed: \(error)"))
        }
    }

    /// The chains in `directory`, oldest first.
    static func chains(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("chain-") && $0.count == 12 && Int($0.dropFirst(6)) != nil }.sorted()
    }

    /// Backups in one chain, from its manifests' names.
    static func backups(in chain: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: chain + "/backups")) ?? []
        return names.filter { $0.count == 6 && Int($0) != nil }.count
    }

    /// One scheduled backup: into the newest chain unless it holds `fullEvery` backups (then into a new one), then
    /// every chain older than those holding the newest `keep` backups is removed.
    static func backUp(store: Store, schedule: BackupSchedule, key: BackupKey?, now: Int64) throws
        -> (chain: String, summary: BackupSummary, pruned: [String])
    {
        // Owner-only, as the data directory is: the chains hold everything the store does.
        try FileManager.default.createDirectory(
            atPath: schedule.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var chains = chains(in: schedule.directory)
        if chains.isEmpty || backups(in: schedule.directory + "/" + chains.last!) >= max(1, schedule.fullEvery) {
            let next = (chains.last.flatMap { Int($0.dropFirst(6)) } ?? 0) + 1
            let digits = String(next)
            chains.append("chain-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits)
        }
        let chain = chains.last!
        let repository = try BackupRepository(path: schedule.directory + "/" + chain, key: key, create: true)
        let summary = try store.backup(into: repository, now: now)
        var kept = 0
        var pruned: [String] = []
        for name in chains.reversed() {
            if kept >= max(1, schedule.keep) {
                try FileManager.default.removeItem(atPath: schedule.directory + "/" + name)
                pruned.append(name)
            } else {
                kept += backups(in: schedule.directory + "/" + name)
            }
        }
        return (chain, summary, pruned.reversed())
    }
}
