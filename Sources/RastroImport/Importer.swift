#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCSV
import RastroCore
import RastroPrimitives
import RastroStore

/// A file that could not be read or parsed at all (rows with bad fields are rejections, not this).
public struct ImportError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

/// Streams one CSV file into a store: a parser thread fills batches, the calling thread commits them. `rastro import`
/// runs one per file; any other front end that loads files (a watched folder, a replica catching up) can do the same.
public struct Importer: Sendable {
    public let store: Store
    public let validator: ScanValidator
    /// Scans per durable commit (``Limits/scansPerCommit`` by default).
    public let batchSize: Int
    /// The parsing thread's nice value (``defaultParserNice``; 0 leaves it at the writer's priority).
    public let parserNice: Int32
    /// Rows a batch may carry rejected at most: a batch also ends here, so that a file of bad rows is read in
    /// bounded steps like a file of good ones (``defaultRejectsPerBatch``).
    public let rejectsPerBatch: Int
    /// Called on the calling thread after each commit: rows read so far, bytes read and the file's size when known.
    public let progress: @Sendable (_ rows: Int, _ bytesRead: Int, _ size: Int?) -> Void
    /// The receive time every scan of the file gets, or `nil` for the wall clock when its batch is parsed. A file
    /// read again after a crash (the watched inbox) must be cut into the same batches, and the validator's clock
    /// check depends on the receive time.
    public let receivedAt: Int64?

    public init(
        store: Store, validator: ScanValidator, batchSize: Int = Limits.default.scansPerCommit,
        parserNice: Int32 = Importer.defaultParserNice, rejectsPerBatch: Int = Importer.defaultRejectsPerBatch,
        receivedAt: Int64? = nil,
        progress: @escaping @Sendable (_ rows: Int, _ bytesRead: Int, _ size: Int?) -> Void = { _, _, _ in }
    ) {
        precondition(batchSize > 0, "a commit holds at least one scan")
        precondition(ThreadPriority.niceValues.contains(parserNice), "nice values are 0...19")
        self.store = store
        self.validator = validator
        self.batchSize = batchSize
        self.parserNice = parserNice
        precondition(rejectsPerBatch > 0, "a batch holds at least one rejected row")
        self.rejectsPerBatch = rejectsPerBatch
        self.progress = progress
        self.receivedAt = receivedAt
    }

    /// The parser runs below the writer's priority: on two cores, the writer's thread sets the pace, and at equal
    /// priority the parser takes a core from it while the writer and its helper rewrite trace blocks, then idles while
    /// the writer works alone. At nice 17 it parses in the time they leave and still stays a batch ahead; higher values
    /// starve it on a busy machine (docs/performance.md, "Tuning that holds").
    public static let defaultParserNice: Int32 = 17

    /// The first batch is small, so that the writer starts after a few milliseconds of parsing rather than after a
    /// whole batch's.
    public static let firstBatchScans = 65_536

    /// Rejected rows per batch at most: each keeps its record's text (up to ``Limits/csvRecordBytes``), so this bounds
    /// a batch of bad rows to a few tens of megabytes, about what a batch of good scans takes.
    public static let defaultRejectsPerBatch = 65_536

    /// What one file gave.
    public struct Result: Sendable {
        /// What the store did with the scans that reached it.
        public var report = IngestReport()
        /// Rows the parser rejected before the store (each also passed to `rejected`).
        public var csvRejected = 0
        /// Header columns the dialect does not know, ignored.
        public var unknownColumns: [String] = []
        /// Batches the file was cut into (each passed to the commit, empty ones included when a commit is given).
        public var batches = 0
        /// Bytes of the file read.
        public var bytes = 0

        /// Every row of the file but its header: stored, refused by the store or rejected by the parser.
        public var rows: Int { report.accepted + report.duplicates + report.conflicts + report.rejected + csvRejected }
    }

    /// One batch of a file on its way to the store: its number in the file (from 0), its scans, and how many rows the
    /// parser rejected while cutting it.
    public struct Chunk {
        public var number: Int
        public var batch: ScanBatch
        public var parserRejects: Int
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

    /// Imports `file` (`-` for standard input). `rejected` receives, after each commit, the rows refused in it as
    /// `[file, line, field, reason, record]`.
    public func importFile(_ file: String, rejected: ([[String]]) -> Void) throws -> Result {
        let store = self.store
        return try importFile(file, name: file, commit: { try store.ingest($0.batch) }, rejected: rejected)
    }

    /// Imports `file`, storing each batch (empty ones too, for the rows the parser rejected) through `commit`: a front
    /// end with a writer of its own (rastrod's group commits) records every batch of the file. `name` is the file's
    /// name in the rejected rows and in errors.
    public func importFile(
        _ file: String, name: String, commit: (Chunk) throws -> IngestReport, rejected: ([[String]]) -> Void
    ) throws -> Result {
        let fixedReceivedAt = receivedAt
        let queue = BoundedQueue<Outcome>(capacity: 2)
        let validator = self.validator
        let batchSize = self.batchSize
        let parserNice = self.parserNice
        let parser = OwnedThread(name: "rastro-parser") {
            if parserNice > 0 { ThreadPriority.setCurrentThreadNice(parserNice) }
            do {
                let source = try CSVFileSource(path: file, validator: validator)
                var first = true
                while true {
                    let scans = first ? min(batchSize, Importer.firstBatchScans) : batchSize
                    first = false
                    var batch = ScanBatch(reservingScans: scans)
                    var rejects: [CSVRejection] = []
                    let more = try source.next(
                        maximumScans: scans, maximumRejects: rejectsPerBatch, receivedAt: fixedReceivedAt ?? SystemClock.wallMilliseconds,
                        into: &batch,
                        rejects: &rejects)
                    if batch.isEmpty && rejects.isEmpty && !more { break }
                    guard queue.push(.parsed(Parsed(batch: batch, rejects: rejects, bytesRead: source.bytesRead, size: source.size)))
                    else { return }
                    if !more { break }
                }
                queue.push(.finished(unknownColumns: source.reader.header?.unknownColumns ?? []))
            } catch {
                queue.push(.failed("\(name): \(error)"))
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
                throw ImportError(message: message)
            case .finished(let unknownColumns):
                result.unknownColumns = unknownColumns
                return result
            case .parsed(let parsed):
                result.csvRejected += parsed.rejects.count
                result.bytes = parsed.bytesRead
                var rows = parsed.rejects.map { [name, String($0.line), $0.field, $0.reason, $0.record] }
                let chunk = Chunk(number: result.batches, batch: parsed.batch, parserRejects: parsed.rejects.count)
                result.batches += 1
                let report = try commit(chunk)
                result.report.add(report)
                for problem in report.problems {
                    guard problem.index < parsed.batch.count else {
                        throw ImportError(message: "\(name): batch \(chunk.number) was answered for scan \(problem.index) of \(parsed.batch.count)")
                    }
                    let scan = parsed.batch.scans[problem.index]
                    rows.append([
                        name, String(scan.source), problem.field?.name ?? "row", "\(problem.kind.rawValue): \(problem.message)",
                        canonicalRow(parsed.batch, scan),
                    ])
                }
                rejected(rows)
                progress(
                    result.report.accepted + result.report.duplicates + result.report.conflicts + result.report.rejected
                        + result.csvRejected, parsed.bytesRead, parsed.size)
            }
        }
        return result
    }

    /// A stored-form CSV row for a scan the store refused (its original text is gone by then).
    public func canonicalRow(_ batch: ScanBatch, _ scan: Scan) -> String {
        var zone = store.zone
        return CSVWriter.row([
            batch.string(scan.trackingID), scan.event.code, Timestamp.format(scan.scannedAt, zone: &zone),
            batch.string(scan.messenger), batch.string(scan.workCenter), batch.string(scan.device), String(scan.seq),
            batch.string(scan.reason), scan.hasLocation ? Coordinate.format(scan.latitude) : "",
            scan.hasLocation ? Coordinate.format(scan.longitude) : "",
        ])
    }
}

