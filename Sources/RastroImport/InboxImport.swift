#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RastroCSV
import RastroCore
import RastroPrimitives
import RastroStore

extension InboxDirectory {
    /// What became of one file of the inbox.
    public enum Outcome: Sendable {
        /// Imported: moved to `done/` under `name`, with its counts.
        case done(name: String, result: Importer.Result, seconds: Double)
        /// Unreadable: moved to `failed/` under `name`, beside its reason.
        case failed(name: String, reason: String)
    }

    /// Imports `file` with `importer` (whose receive time the caller fixes for the file), storing each batch through
    /// `commit`, and moves it to `done/` or, when the file itself cannot be read, to `failed/`.
    ///
    /// An error of the store or of the writer (a full disk, a shutdown) is rethrown and leaves the file in
    /// `processing/`, to be taken again: the file is not at fault.
    public func importFile(
        _ file: InboxFile, importer: Importer, commit: (Importer.Chunk) throws -> IngestReport
    ) throws -> Outcome {
        let started = SystemClock.monotonicSeconds
        let rejects = RejectsFile(path: rejectsPath(file))
        defer { rejects.close() }
        let result: Importer.Result
        do {
            result = try importer.importFile(file.path, name: file.name, commit: commit) { rows in
                rejects.append(rows)
            }
            try rejects.finish()
        } catch let error as ImportError {
            rejects.close()
            return .failed(name: try fail(file, reason: error.message), reason: error.message)
        }
        let seconds = SystemClock.monotonicSeconds - started
        let receivedAt = importer.receivedAt ?? SystemClock.wallMilliseconds
        let name = try finish(file, hasRejects: rejects.rows > 0) { name in
            Self.resultJSON(
                name: name, result: result, rejects: rejects.rows > 0 ? name + ".rejects.csv" : nil, resumed: file.resumed,
                receivedAt: receivedAt, seconds: seconds)
        }
        return .done(name: name, result: result, seconds: seconds)
    }

    /// `NAME.result.json`: the file's counts as `rastro import` gives them, and this run's timing.
    static func resultJSON(
        name: String, result: Importer.Result, rejects: String?, resumed: Bool, receivedAt: Int64, seconds: Double
    ) -> String {
        var utc = SiteTimeZone(identifier: "UTC")!
        let report = result.report
        let fields: [(String, String)] = [
            ("file", JSONText.quoted(name)),
            ("rows", "\(result.rows)"),
            ("accepted", "\(report.accepted)"),
            ("duplicates", "\(report.duplicates)"),
            ("conflicts", "\(report.conflicts)"),
            ("rejected", "\(report.rejected + result.csvRejected)"),
            ("batches", "\(result.batches)"),
            ("bytes", "\(result.bytes)"),
            ("unknown_columns", "[" + result.unknownColumns.map(JSONText.quoted).joined(separator: ",") + "]"),
            ("received_at", JSONText.quoted(Timestamp.format(receivedAt, zone: &utc))),
            ("finished_at", JSONText.quoted(Timestamp.format(SystemClock.wallMilliseconds, zone: &utc))),
            ("seconds", String(format3(seconds))),
            ("rows_per_second", "\(seconds > 0 ? Int(Double(result.rows) / seconds) : 0)"),
            ("resumed", resumed ? "true" : "false"),
            ("rejects", rejects.map(JSONText.quoted) ?? "null"),
        ]
        return "{\n" + fields.map { "  \(JSONText.quoted($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// `value` with three decimals.
    static func format3(_ value: Double) -> String {
        let thousandths = Int((value * 1_000).rounded())
        let fraction = String(thousandths % 1_000)
        return "\(thousandths / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// A file's refused rows, in `rastro import --rejects` form, created at its first row: a file read again after a
/// crash writes it again from the start, row for row the same.
final class RejectsFile {
    let path: String
    private var descriptor: Int32 = -1
    private(set) var rows = 0
    private var output: [UInt8] = []
    /// The first write that failed.
    private var failure: String? = nil

    init(path: String) {
        self.path = path
        unlink(path)
    }

    func append(_ refused: [[String]]) {
        guard !refused.isEmpty else { return }
        output.removeAll(keepingCapacity: true)
        if descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            CSVWriter.appendRow(["file", "line", "field", "reason", "record"], to: &output)
        }
        for row in refused { CSVWriter.appendRow(row, to: &output) }
        rows += refused.count
        guard descriptor >= 0, failure == nil else {
            failure = failure ?? "cannot write \(path): \(String(cString: strerror(errno)))"
            return
        }
        var written = 0
        while written < output.count {
            let count = output.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            guard count > 0 else {
                failure = "cannot write \(path): \(String(cString: strerror(errno)))"
                return
            }
            written += count
        }
    }

    /// Makes the rows durable before the file is moved to `done/`. A failure here is the inbox's disk, not the
    /// file: it is not an ``ImportError``, and the file stays in `processing/` to be taken again.
    func finish() throws(InboxWriteError) {
        if let failure { throw InboxWriteError(message: failure) }
        guard rows > 0 else { return }
        guard fsync(descriptor) == 0 else {
            throw InboxWriteError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }
}

/// The inbox could not write its own files (a rejects file, a result): the file imported is not at fault.
public struct InboxWriteError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
