import ArgumentParser
import RastroCSV
import RastroCore
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

    func run() throws {
        let store = try Store(directory: dataOptions.directory, timeZone: timezone)
        let validator = try store.validator()
        var rejectsOutput: [UInt8] = []
        if rejects != nil { CSVWriter.appendRow(["file", "line", "field", "reason", "record"], to: &rejectsOutput) }
        var totals = IngestReport()
        var csvRejected = 0
        let started = monotonicSeconds()
        let progress = Progress(enabled: !quiet && Console.errorIsTerminal)
        for file in files {
            let result = try Importer(
                store: store, validator: validator, batchSize: batchSize, progress: progress, parserNice: parserNice)
                .importFile(file) { rows in
                    guard rejects != nil else { return }
                    for row in rows { CSVWriter.appendRow(row, to: &rejectsOutput) }
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
        if let rejects { try writeFile(rejects, rejectsOutput) }
        let seconds = max(monotonicSeconds() - started, 1e-9)
        let rows = totals.accepted + totals.duplicates + totals.conflicts + totals.rejected + csvRejected
        Console.out(
            "accepted \(totals.accepted), duplicates \(totals.duplicates), rejected \(totals.rejected + csvRejected), "
                + "conflicts \(totals.conflicts)\n")
        Console.out("\(rows) rows in \(formatFixed(seconds, 2)) s: \(Int(Double(rows) / seconds)) rows/s\n")
        if phases { Console.error(phasesReport(store, rows: rows)) }
    }
}

/// Streams one CSV file into the store: a parser thread fills batches, the calling thread commits them.
struct Importer {
    let store: Store
    let validator: ScanValidator
    let batchSize: Int
    let progress: Progress
    /// The parsing thread's nice value (``defaultParserNice``; 0 leaves it at the writer's priority).
    var parserNice: Int32

    /// The parser runs below the writer's priority: on two cores, the writer's thread sets the pace, and at equal
    /// priority the parser takes a core from it while the writer and its helper rewrite trace blocks, then idles while
    /// the writer works alone. At nice 17 it parses in the time they leave and still stays a batch ahead; higher values
    /// starve it on a busy machine (docs/performance.md, "Tuning that holds").
    static let defaultParserNice: Int32 = 17

    /// The first batch is small, so that the writer starts after a few milliseconds of parsing rather than after a
    /// whole batch's.
    static let firstBatchScans = 65_536

    struct Result {
        var report = IngestReport()
        var csvRejected = 0
        var unknownColumns: [String] = []
    }

    private struct Parsed: Sendable {
        var batch: ScanBatch
        var rejects: [CSVRejection]
        var bytesRead: Int
        var size: Int?
    }

    private enum Outcome: Sendable {
        case parsed(Parsed)
        case failed(String)
        case finished(unknownColumns: [String])
    }

    func importFile(_ file: String, rejected: ([[String]]) -> Void) throws -> Result {
        let queue = BoundedQueue<Outcome>(capacity: 2)
        let validator = self.validator
        let batchSize = self.batchSize
        let parserNice = self.parserNice
        let parser = OwnedThread(name: "rastro-parser") {
            if parserNice > 0 { ProcessTuning.setCurrentThreadNice(parserNice) }
            do {
                let source = try CSVFileSource(path: file, validator: validator)
                var first = true
                while true {
                    let scans = first ? min(batchSize, Importer.firstBatchScans) : batchSize
                    first = false
                    var batch = ScanBatch(reservingScans: scans)
                    var rejects: [CSVRejection] = []
                    let more = try source.next(maximumScans: scans, receivedAt: nowMilliseconds(), into: &batch, rejects: &rejects)
                    if batch.isEmpty && rejects.isEmpty && !more { break }
                    guard queue.push(.parsed(Parsed(batch: batch, rejects: rejects, bytesRead: source.bytesRead, size: source.size)))
                    else { return }
                    if !more { break }
                }
                queue.push(.finished(unknownColumns: source.reader.header?.unknownColumns ?? []))
            } catch {
                queue.push(.failed("\(file): \(error)"))
            }
        }
        defer {
            queue.close()
            parser.join()
        }
        var result = Result()
        while let outcome = queue.pop() {
            switch outcome {
            case .failed(let message):
                throw ValidationError(message)
            case .finished(let unknownColumns):
                result.unknownColumns = unknownColumns
                return result
            case .parsed(let parsed):
                result.csvRejected += parsed.rejects.count
                var rows = parsed.rejects.map { [file, String($0.line), $0.field, $0.reason, $0.record] }
                if !parsed.batch.isEmpty {
                    let report = try store.ingest(parsed.batch)
                    result.report.add(report)
                    for problem in report.problems {
                        let scan = parsed.batch.scans[problem.index]
                        rows.append([
                            file, String(scan.source), problem.field?.name ?? "row", "\(problem.kind.rawValue): \(problem.message)",
                            canonicalRow(parsed.batch, scan),
                        ])
                    }
                }
                rejected(rows)
                progress.update(
                    file: file, rows: result.report.accepted + result.report.duplicates + result.report.conflicts
                        + result.report.rejected + result.csvRejected, bytes: parsed.bytesRead, size: parsed.size)
            }
        }
        return result
    }

    /// A stored-form CSV row for a scan the store refused (its original text is gone by then).
    func canonicalRow(_ batch: ScanBatch, _ scan: Scan) -> String {
        var zone = store.zone
        return CSVWriter.row([
            batch.string(scan.trackingID), scan.event.code, Timestamp.format(scan.scannedAt, zone: &zone),
            batch.string(scan.messenger), batch.string(scan.workCenter), batch.string(scan.device), String(scan.seq),
            batch.string(scan.reason), scan.hasLocation ? Coordinate.format(scan.latitude) : "",
            scan.hasLocation ? Coordinate.format(scan.longitude) : "",
        ])
    }
}
