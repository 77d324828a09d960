import ArgumentParser
import Foundation
import RastroCore
import RastroQueries
import RastroStore

/// `rastro backup`, `rastro backup keygen|list|verify` and `rastro restore` (docs/operations.md).
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back a data directory up, incrementally, into a backup directory; list, verify, make keys.",
        discussion: """
            The first backup into a directory is full; each later one writes only the pieces of the store that \
            changed. It reads one snapshot and never stops the server. With --key, every piece and manifest is \
            encrypted and authenticated (ChaCha20-Poly1305).
            """,
        subcommands: [Create.self, Keygen.self, List.self, Verify.self],
        defaultSubcommand: Create.self)

    struct KeyOption: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The backup key (rastro backup keygen).", valueName: "KEYFILE"))
        var key: String?

        func load() throws -> BackupKey? { try key.map { try BackupKey(file: $0) } }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Take a backup (the default subcommand).")

        @OptionGroup var dataOptions: DataOptions
        @Option(name: .long, help: ArgumentHelp("The backup directory (created, with the first backup).", valueName: "BACKUPDIR"))
        var to: String
        @OptionGroup var keyOption: KeyOption
        @Flag(name: .long, help: "No progress bar.") var quiet = false

        func run() throws {
            // A backup reads as the reports do, at their priority: beside a server that ingests, it takes what
            // ingest leaves of the cores (Limits.readerNice).
            ProcessTuning.setCurrentThreadNice(Limits.readerNice)
            let started = nowMilliseconds()
            let outcome = Result { try backUp(now: started) }
            let detail: String
            switch outcome {
            case .success(let summary):
                let manifest = summary.manifest
                detail = "\(to) backup \(manifest.sequence) (\(manifest.full ? "full" : "incremental")): "
                    + "\(manifest.scans) scans, \(manifest.newBytes) bytes written"
            case .failure(let error):
                detail = "\(to): failed: \(error)"
            }
            auditRun(dataOptions.directory, AuditRecord(time: started, kind: .backup, source: "rastro backup", channel: "backup", detail: detail))
            let manifest = try outcome.get().manifest
            Console.out(
                "backup \(manifest.sequence) (\(manifest.full ? "full" : "incremental")): \(manifest.scans) scans, "
                    + "\(manifest.newBytes) bytes written in \(manifest.newPieces) of \(manifest.pieces.count) pieces "
                    + "(\(manifest.totalBytes) bytes in all) in \(String(format: "%.2f", try outcome.get().seconds)) s\n")
        }

        /// The backup itself, from a read-only store closed when it returns (the audit record opens it to write).
        private func backUp(now: Int64) throws -> BackupSummary {
            let store = try dataOptions.openForReading()
            let repository = try BackupRepository(path: to, key: try keyOption.load(), create: true)
            let progress = Progress(enabled: !quiet && Console.errorIsTerminal)
            defer { progress.finish() }
            return try store.backup(into: repository, now: now) { done, total in
                progress.update("backup", done: done, total: total, unit: "bytes")
            }
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new 256-bit backup key to a file of mode 0600.")

        @Option(name: .long, help: ArgumentHelp("The key file to create (never overwritten).", valueName: "KEYFILE"))
        var out: String

        func run() throws {
            try BackupKey.generate().write(to: out)
            Console.error("wrote a backup key to \(out): keep a copy away from the backups; without it they cannot be read\n")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The backups in a backup directory, oldest first.")

        @Option(name: .long, help: ArgumentHelp("The backup directory.", valueName: "BACKUPDIR")) var from: String
        @OptionGroup var keyOption: KeyOption
        @OptionGroup var formatOption: FormatOption

        func run() throws {
            let manifests = try BackupRepository(path: from, key: try keyOption.load(), create: false).chain()
            var zone = SiteTimeZone(identifier: manifests.last?.timeZone ?? SiteTimeZone.defaultIdentifier)!
            let table = ReportTable(
                columns: ["id", "time", "scans", "bytes", "kind", "new_bytes", "pieces"],
                rows: manifests.map { manifest in
                    [
                        .integer(manifest.sequence), .text(Timestamp.format(manifest.createdAt, zone: &zone)),
                        .integer(manifest.scans), .integer(manifest.totalBytes),
                        .text(manifest.full ? "full" : "incremental"), .integer(manifest.newBytes),
                        .integer(manifest.pieces.count),
                    ]
                })
            Console.out(table.render(formatOption.resolved))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every backup without restoring: the chain, every piece, and that each backup restores.")

        @Option(name: .long, help: ArgumentHelp("The backup directory.", valueName: "BACKUPDIR")) var from: String
        @OptionGroup var keyOption: KeyOption
        @Flag(name: .long, help: "No progress bar.") var quiet = false

        func run() throws {
            let progress = Progress(enabled: !quiet && Console.errorIsTerminal)
            let repository = try BackupRepository(path: from, key: try keyOption.load(), create: false)
            let result = try repository.verify { done, total in progress.update("verify", done: done, total: total, unit: "pieces") }
            progress.finish()
            Console.out("\(result.backups) backups and \(result.pieces) pieces (\(result.pieceBytes) bytes) verified: every backup restores\n")
        }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Rebuild a data directory from a backup directory, as of one backup, and verify it.",
        discussion: "The target must not exist or be empty. The store is built beside it and moved into place only once it verifies.")

    @Option(name: .long, help: ArgumentHelp("The backup directory.", valueName: "BACKUPDIR")) var from: String
    @Option(name: .long, help: ArgumentHelp("The backup to restore (its id in rastro backup list; default: the newest).", valueName: "ID"))
    var at: Int?
    @Option(name: .long, help: ArgumentHelp("The new data directory.", valueName: "DIR")) var data: String
    @OptionGroup var keyOption: BackupCommand.KeyOption
    @Flag(name: .long, help: "No progress bar.") var quiet = false

    func run() throws {
        let progress = Progress(enabled: !quiet && Console.errorIsTerminal)
        let started = monotonicSeconds()
        let repository = try BackupRepository(path: from, key: try keyOption.load(), create: false)
        let manifest = try repository.restore(at: at, into: data) { done, total in
            progress.update("restore", done: done, total: total, unit: "pieces")
        }
        progress.finish()
        // The restored store's trail says where it came from; its records before this one are the source's.
        auditRun(
            data,
            AuditRecord(
                time: nowMilliseconds(), kind: .backup, source: "rastro restore", channel: "backup",
                detail: "restored \(from) backup \(manifest.sequence): \(manifest.scans) scans"))
        Console.out(
            "restored backup \(manifest.sequence) into \(data): \(manifest.scans) scans, verified, in "
                + "\(String(format: "%.2f", monotonicSeconds() - started)) s\n")
    }
}

/// Writes a backup or restore run's audit record into `data`'s store, opened for this one write. A run whose record
/// cannot be written (a store the operator may only read) still stands; the warning says it is not audited.
func auditRun(_ directory: String, _ record: AuditRecord) {
    do {
        try Store(directory: directory, create: false, readOnly: false).audit(record)
    } catch {
        Console.error("warning: this run is not in the audit trail of \(directory): \(error)\n")
    }
}
