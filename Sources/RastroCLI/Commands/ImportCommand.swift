#if canImport(Glibc)
import Glibc
#endif
import RastroQueries
import ArgumentParser
import RastroCSV
import RastroCore
import RastroImport
import RastroPrimitives
import RastroStore

/// `rastro import`: bulk load CSV files.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import scans from CSV files (or - for standard input).",
        discussion: """
            Rows are validated, resends are counted as duplicates, a (device, seq) stored with different content is a \
            conflict. Rejected rows and conflicts go to --rejects with their line, field and reason.
            """)

    @OptionGroup var dataOptions: DataOptions

    @Argument(help: "CSV files to import; - reads standard input.")
    var files: [String]

    @Option(name: .long, help: ArgumentHelp("Write rejected rows and conflicts to this CSV file.", valueName: "FILE"))
    var rejects: String?

    @Option(name: .long, help: ArgumentHelp("Site time zone of a new data directory (IANA name).", valueName: "ZONE"))
    var timezone: String?

    @Option(name: .long, help: "Scans per durable commit.")
    var batchSize = Limits.default.scansPerCommit

    @Flag(name: .long, help: "No progress bar.")
    var quiet = false

    @Flag(name: .long, help: "Print where the writer's time went, per ingest step.")
    var phases = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Nice value of the CSV parsing thread, 0-19 (0: the writer's own priority). The writer and its helper take "
                + "the cores first and the parser fills the time they leave idle.", valueName: "N"))
    var parserNice: Int32 = Importer.defaultParserNice

    func validate() throws {
        guard batchSize > 0 && batchSize <= 1_000_000 else { throw ValidationError("--batch-size must be 1…1000000") }
        guard ProcessTuning.niceValues.contains(parserNice) else { throw ValidationError("--parser-nice must be 0…19") }
    }

    @Flag(name: .long, help: "Leave a new data directory's free pages in its file (it is compacted when they are over 10 %).")
    var noCompact = false

    /// A new store's first commits rewrite much of what they wrote: past this share of free pages, an import that
    /// created the data directory ends by compacting it (docs/storage.md, "Free pages").
    static let compactAboveFreeShare = 0.10

    func run() throws {
        let isNew = access(dataOptions.directory + "/data.mdb", F_OK) != 0
        let freeShare = try importFiles()
        if isNew && !noCompact && freeShare > Self.compactAboveFreeShare {
            let started = monotonicSeconds()
            let result = try Store.compact(directory: dataOptions.directory)
            if !quiet {
                Console.error(
                    "compacted the new data directory in \(formatFixed(monotonicSeconds() - started, 2)) s: "
                        + "\(result.bytesBefore) → \(result.bytesAfter) bytes\n")
            }
        }
    }

    /// Imports every file; returns the share of the store's pages left free. The store is closed when this returns.
    private func importFiles() throws -> Double {
        let store = try Store(directory: dataOptions.directory, timeZone: timezone)
        let validator = try store.validator()
        // Rejected rows are written as each commit reports them, so that memory stays bounded by one batch's
        // rejections however many rows a file has wrong.
        let rejectsFile = try rejects.map { try OutputFile($0) }
        defer { rejectsFile?.close() }
        var rejectsOutput: [UInt8] = []
        if let rejectsFile {
            CSVWriter.appendRow(["file", "line", "field", "reason", "record"], to: &rejectsOutput)
            rejectsFile.write(rejectsOutput)
        }
        var totals = IngestReport()
        var csvRejected = 0
        let started = monotonicSeconds()
        let progress = Progress(enabled: !quiet && Console.errorIsTerminal)
        for file in files {
            let importer = Importer(
                store: store, validator: validator, batchSize: batchSize, parserNice: parserNice,
                progress: { progress.update(file: file, rows: $0, bytes: $1, size: $2) })
            let result: Importer.Result
            do {
                result = try importer.importFile(file) { rows in
                    guard let rejectsFile, !rows.isEmpty else { return }
                    rejectsOutput.removeAll(keepingCapacity: true)
                    for row in rows { CSVWriter.appendRow(row, to: &rejectsOutput) }
                    rejectsFile.write(rejectsOutput)
                }
            } catch let error as ImportError {
                throw ValidationError(error.message)
            }
            totals.add(result.report)
            csvRejected += result.csvRejected
            // An import is an administrative action: it lands in the audit trail beside the batches rastrod commits.
            try store.audit(
                AuditRecord(
                    time: nowMilliseconds(), kind: .importRun, source: file, channel: "import", accepted: result.report.accepted,
                    duplicates: result.report.duplicates, conflicts: result.report.conflicts,
                    rejected: result.report.rejected + result.csvRejected))
            if !result.unknownColumns.isEmpty {
                Console.error("warning: \(file): ignored unknown columns: \(result.unknownColumns.joined(separator: ", "))\n")
            }
        }
        progress.finish()
        let seconds = max(monotonicSeconds() - started, 1e-9)
        let rows = totals.accepted + totals.duplicates + totals.conflicts + totals.rejected + csvRejected
        Console.out(
            "accepted \(totals.accepted), duplicates \(totals.duplicates), rejected \(totals.rejected + csvRejected), "
                + "conflicts \(totals.conflicts)\n")
        Console.out("\(rows) rows in \(formatFixed(seconds, 2)) s: \(Int(Double(rows) / seconds)) rows/s\n")
        if phases { Console.error(phasesReport(store, rows: rows)) }
        return try store.freePageShare()
    }
}
