import Foundation
import RastroCSV
import RastroCore
import RastroImport
import RastroProtocol
import RastroQueries
@testable import RastroServer
import RastroStore
import RastroTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the inbox tests share: files written whole, waits for a file's outcome, and `rastro import`'s answer for the
/// same file, the oracle every inbox result is checked against.
enum InboxFixtures {
    static func write(_ rows: [String], to path: String) throws {
        try (([StreamFixtures.header] + rows).joined(separator: "\n") + "\n").write(to: path)
    }

    /// Writes `rows` under a dot-name in `inbox` and renames the file in, as a sender does.
    static func drop(_ rows: [String], as name: String, into inbox: String) throws {
        try write(rows, to: inbox + "/." + name + ".part")
        #expect(rename(inbox + "/." + name + ".part", inbox + "/" + name) == 0)
    }

    /// Waits until `path` exists. The bound keeps a broken inbox from hanging the suite; it is not a speed.
    static func waitFor(_ path: String) async throws {
        for _ in 0..<3_000 {
            if FileManager.default.fileExists(atPath: path) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\(path) never appeared")
        throw CancellationError()
    }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// `rastro import` of the same file with the same batches into a store of its own: its result, its rejects file's
    /// text and its export.
    static func imported(_ file: String, name: String, batchScans: Int) throws -> (result: Importer.Result, rejects: String, export: [String]) {
        let directory = TemporaryDirectory()
        let store = try Store(directory: directory.path)
        var rejects: [UInt8] = []
        let importer = Importer(store: store, validator: try store.validator(), batchSize: batchScans)
        let result = try importer.importFile(file, name: name, commit: { try store.ingest($0.batch) }) { rows in
            if rejects.isEmpty && !rows.isEmpty { CSVWriter.appendRow(["file", "line", "field", "reason", "record"], to: &rejects) }
            for row in rows { CSVWriter.appendRow(row, to: &rejects) }
        }
        return (result, String(decoding: rejects, as: UTF8.self), try export(store))
    }

    /// Every stored scan as `rastro export` writes it, without `received_at` (each store received the file at its
    /// own time).
    static func export(_ store: Store) throws -> [String] {
        var text: [UInt8] = []
        _ = try store.read { reader in
            try ExportQuery(QueryParameters([:]), zone: store.zone).write(reader) { text += $0 }
        }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").map { line in
            String(line[..<line.lastIndex(of: ",")!])
        }
    }

    /// The counts a result file gives.
    static func counts(_ result: [String: Any]) -> [Int] {
        ["rows", "accepted", "duplicates", "conflicts", "rejected", "batches"].map { result[$0] as? Int ?? -1 }
    }

    static func counts(_ result: Importer.Result) -> [Int] {
        [
            result.rows, result.report.accepted, result.report.duplicates, result.report.conflicts,
            result.report.rejected + result.csvRejected, result.batches,
        ]
    }

    /// Rows of a generated stream with bad rows among them: each kind the parser refuses, at several places.
    static func rowsWithBadOnes(scans: Int, seed: UInt64) -> [String] {
        var rows = StreamFixtures.generated(scans: scans, seed: seed).all
        let bad = [
            "GU1,teleported,2026-09-01T08:00:00-05:00,M1,BOG-NOR,HH-1,1,,,",
            "GU2,picked_up,yesterday,M1,BOG-NOR,HH-1,2,,,",
            "GU3,picked_up,2026-09-01T08:00:00-05:00,M1,BOG-NOR,HH-1,not-a-seq,,,",
            "GU4,picked_up,2026-09-01T08:00:00-05:00,M1,BOG-NOR,HH-1,4,,91.5,0",
            "GU5,picked_up,2026-09-01T08:00:00-05:00,M1",
            "=HYPERLINK(\"x\"),picked_up,2026-09-01T08:00:00-05:00,M1,BOG-NOR,HH-1,6,,,",
        ]
        for (index, row) in bad.enumerated() {
            rows.insert(row, at: min(rows.count, (index + 1) * rows.count / (bad.count + 1)))
        }
        // A conflict: an early row's (device, seq) again, with another event.
        let split = rows.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        var fields = split.first { $0.count == 10 && $0[7].isEmpty && $0[1] != "delivered" }!
        fields[1] = fields[1] == "received" ? "in_transit" : "received"
        rows.append(fields.joined(separator: ","))
        return rows
    }
}

/// `rastrod --inbox DIR`: every CSV renamed into DIR imported as `rastro import` would, through the server's group
/// commits, then moved to `done/` with its result and rejects, or to `failed/` with the reason.
@Suite("Inbox", .serialized)
struct InboxTests {
    static func limits(batchScans: Int) -> ServerLimits {
        var limits = ServerLimits()
        limits.inboxBatchScans = batchScans
        return limits
    }

    @Test func aGoodFileIsImportedAsRastroImportWouldAndAudited() async throws {
        let files = TemporaryDirectory()
        let inbox = files.path + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let harness = try await ServerHarness(limits: Self.limits(batchScans: 1_000), inbox: InboxSettings(directory: inbox))
        let rows = StreamFixtures.generated(scans: 6_000, seed: 31).clean
        try InboxFixtures.drop(rows, as: "day-1.csv", into: inbox)
        try await InboxFixtures.waitFor(inbox + "/done/day-1.csv")

        try InboxFixtures.write(rows, to: files.path + "/oracle.csv")
        let oracle = try InboxFixtures.imported(files.path + "/oracle.csv", name: "day-1.csv", batchScans: 1_000)
        let result = try InboxFixtures.json(inbox + "/done/day-1.csv.result.json")
        #expect(InboxFixtures.counts(result) == InboxFixtures.counts(oracle.result))
        #expect(result["accepted"] as? Int == 6_000)
        #expect(result["resumed"] as? Bool == false)
        #expect(result["rejects"] is NSNull)
        #expect(!FileManager.default.fileExists(atPath: inbox + "/done/day-1.csv.rejects.csv"))
        #expect(!FileManager.default.fileExists(atPath: inbox + "/day-1.csv"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: inbox + "/processing").isEmpty)
        #expect(try InboxFixtures.export(harness.server.store) == oracle.export)
        let exposition = harness.server.metrics.exposition()
        #expect(exposition.contains("rastro_inbox_files_total{result=\"done\"} 1"), "\(exposition)")
        #expect(exposition.contains("rastro_scans_accepted_total 6000"))

        // Audited per batch, with the file's name and channel `inbox`, in the batches' own transactions.
        let audited = try harness.server.store.auditRecords().filter { $0.channel == "inbox" }
        #expect(audited.count == oracle.result.batches)
        #expect(audited.allSatisfy { $0.kind == .batch && $0.source == "day-1.csv" && $0.token == 0 })
        #expect(audited.reduce(0) { $0 + $1.accepted } == 6_000)
        try await harness.stop()
    }

    @Test func badRowsGoToTheRejectsFileAndCostNothingElse() async throws {
        let files = TemporaryDirectory()
        let inbox = files.path + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let harness = try await ServerHarness(limits: Self.limits(batchScans: 700), inbox: InboxSettings(directory: inbox))
        let rows = InboxFixtures.rowsWithBadOnes(scans: 3_000, seed: 32)
        try InboxFixtures.drop(rows, as: "mixed.csv", into: inbox)
        try await InboxFixtures.waitFor(inbox + "/done/mixed.csv")

        try InboxFixtures.write(rows, to: files.path + "/oracle.csv")
        let oracle = try InboxFixtures.imported(files.path + "/oracle.csv", name: "mixed.csv", batchScans: 700)
        let result = try InboxFixtures.json(inbox + "/done/mixed.csv.result.json")
        #expect(InboxFixtures.counts(result) == InboxFixtures.counts(oracle.result))
        #expect(oracle.result.csvRejected == 6)
        #expect(oracle.result.report.duplicates > 0 && oracle.result.report.conflicts > 0)
        #expect(result["rejects"] as? String == "mixed.csv.rejects.csv")
        let rejects = try String(contentsOfFile: inbox + "/done/mixed.csv.rejects.csv", encoding: .utf8)
        #expect(rejects == oracle.rejects)
        #expect(rejects.contains("mixed.csv,"), "rows name their file")
        #expect(rejects.contains("'=HYPERLINK"), "formulas are written as text")
        #expect(try InboxFixtures.export(harness.server.store) == oracle.export)
        let audited = try harness.server.store.auditRecords().filter { $0.channel == "inbox" }
        #expect(audited.reduce(0) { $0 + $1.rejected } == oracle.result.report.rejected + oracle.result.csvRejected)
        #expect(audited.reduce(0) { $0 + $1.conflicts } == oracle.result.report.conflicts)
        try await harness.stop()
    }

    @Test(arguments: [
        ("columns.csv", Array("tracking_id,foo\n1,2\n".utf8), "lacks required columns"),
        ("binary.csv", [0xFF, 0xFE, 0x00, 0x01, 0x0A, 0x00], "lacks required columns"),
    ] as [(String, [UInt8], String)])
    func aFileThatCannotBeReadMovesToFailedWithItsReason(name: String, bytes: [UInt8], reason: String) async throws {
        let files = TemporaryDirectory()
        let inbox = files.path + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox + "/dir.csv", withIntermediateDirectories: true)
        // What the inbox leaves alone: hidden files (still being written), other names, directories.
        try "x".write(to: inbox + "/.partial.csv")
        try "x".write(to: inbox + "/notes.txt")
        let harness = try await ServerHarness(inbox: InboxSettings(directory: inbox))
        try Data(bytes).write(to: URL(fileURLWithPath: inbox + "/." + name))
        #expect(rename(inbox + "/." + name, inbox + "/" + name) == 0)
        try await InboxFixtures.waitFor(inbox + "/failed/" + name)

        let written = try String(contentsOfFile: inbox + "/failed/" + name + ".reason.txt", encoding: .utf8)
        #expect(written.hasPrefix(name + ": line 1: "), "\(written)")
        #expect(written.contains(reason), "\(written)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: inbox + "/failed/" + name)) == Data(bytes), "moved as it came")
        #expect(try harness.server.store.counters().accepted == 0)
        #expect(harness.server.metrics.exposition().contains("rastro_inbox_files_total{result=\"failed\"} 1"))
        try await harness.stop()
        let audited = try Store(directory: harness.dataPath, create: false, readOnly: true).auditRecords().filter { $0.channel == "inbox" }
        #expect(audited.map(\.kind) == [.importRun])
        #expect(audited.first?.detail.hasPrefix("failed: \(name): line 1:") == true, "\(audited.map(\.detail))")
        for left in [".partial.csv", "notes.txt", "dir.csv"] {
            #expect(FileManager.default.fileExists(atPath: inbox + "/" + left), "\(left) is left alone")
        }
    }

    @Test func manyFilesAreTakenOneAtATimeInNameOrder() async throws {
        let files = TemporaryDirectory()
        let inbox = files.path + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let rows = StreamFixtures.generated(scans: 4_500, seed: 33).clean
        let names = (0..<15).map { "route-\(String($0 + 100)).csv" }
        // Written in a shuffled order: the order taken is the names', not the files' ages.
        for index in shuffled(Array(0..<15), seed: 4) {
            try InboxFixtures.drop(Array(rows[(index * 300)..<((index + 1) * 300)]), as: names[index], into: inbox)
        }
        try InboxFixtures.write(rows, to: files.path + "/oracle.csv")
        let oracle = try InboxFixtures.imported(files.path + "/oracle.csv", name: "all.csv", batchScans: 300)
        let harness = try await ServerHarness(limits: Self.limits(batchScans: 1_000), inbox: InboxSettings(directory: inbox))
        for name in names { try await InboxFixtures.waitFor(inbox + "/done/" + name + ".result.json") }
        try await InboxFixtures.waitFor(inbox + "/done/" + names.last!)

        let audited = try harness.server.store.auditRecords().filter { $0.channel == "inbox" }
        #expect(audited.map(\.source) == names)
        #expect(try InboxFixtures.export(harness.server.store) == oracle.export)
        for name in names {
            #expect(try InboxFixtures.json(inbox + "/done/" + name + ".result.json")["accepted"] as? Int == 300)
        }

        // A later file of a name already done keeps both: the new one is done as `stem-2.csv`.
        try InboxFixtures.drop(Array(StreamFixtures.generated(scans: 50, seed: 34).clean), as: names[0], into: inbox)
        let renamed = "route-100-2.csv"
        try await InboxFixtures.waitFor(inbox + "/done/" + renamed)
        let result = try InboxFixtures.json(inbox + "/done/" + renamed + ".result.json")
        #expect(result["file"] as? String == renamed)
        #expect(result["accepted"] as? Int == 50)
        #expect(try InboxFixtures.json(inbox + "/done/" + names[0] + ".result.json")["accepted"] as? Int == 300)
        try await harness.stop()
    }

    /// The answer kept for each inbox batch: its report and the file's receive time, round trip and refusals.
    @Test(arguments: [
        InboxAnswer(receivedAt: 1_798_675_200_000, report: IngestReport()),
        InboxAnswer(
            receivedAt: -5,
            report: {
                var report = IngestReport()
                report.accepted = 10
                report.duplicates = 3
                report.conflicts = 1
                report.rejected = 1
                report.problems = [
                    ScanProblem(index: 4, kind: .conflict, field: .event, message: "device H seq 2 is already stored"),
                    ScanProblem(index: 9, kind: .rejected, field: nil, message: "item over its bound"),
                ]
                return report
            }()),
    ])
    func inboxAnswersRoundTrip(answer: InboxAnswer) throws {
        #expect(try InboxAnswer.decode(answer.encode()) == answer)
    }

    @Test(arguments: [
        [], [0x80], [1, 1, 0, 0, 0, 1],
        // A problem the parser decides (invalid), which the store never answers.
        Ack(batch: 1, rejected: 1, problems: [Ack.Problem(index: 0, code: .invalid, field: .seq, message: "x")]).encode(),
        Ack(batch: 1).encode() + [0],
    ] as [[UInt8]])
    func aDamagedInboxAnswerIsRefused(bytes: [UInt8]) {
        #expect(throws: (any Error).self) { try InboxAnswer.decode(bytes) }
    }
}

/// `rastrod --inbox` as a real process, killed with SIGKILL in the middle of a file: after a restart the file is
/// finished, and nothing in it is lost, stored twice or counted twice.
@Suite("Inbox crash", .serialized, .tags(.endToEnd))
struct InboxCrashTests {
    @Test func aFileCutShortBySIGKILLIsFinishedExactlyAfterRestart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashRecoveryTests.binary), "build rastrod first (make test does)")
        let files = TemporaryDirectory()
        let data = files.path + "/data"
        let inbox = files.path + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let rows = InboxFixtures.rowsWithBadOnes(scans: 60_000, seed: 35)
        let arguments = ["--inbox", inbox, "--inbox-batch-scans", "1000"]
        let ports = [try await CrashRecoveryTests.freePort(), try await CrashRecoveryTests.freePort(), try await CrashRecoveryTests.freePort()]
        let first = try CrashRecoveryTests.launch(data: data, ports: ports, extra: arguments)
        try InboxFixtures.drop(rows, as: "big.csv", into: inbox)

        // Killed once a few of its batches are stored, with most of the file still to go.
        var stored = 0
        for _ in 0..<3_000 where stored < 5 {
            try await Task.sleep(for: .milliseconds(10))
            if let store = try? Store(directory: data, create: false, readOnly: true) {
                stored = (try? store.auditRecords().filter { $0.channel == "inbox" }.count) ?? 0
            }
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        try #require(stored >= 5)
        try #require(FileManager.default.fileExists(atPath: inbox + "/processing/big.csv"), "killed in the middle of the file")
        let before = try Store(directory: data, create: false, readOnly: true).auditRecords().filter { $0.channel == "inbox" }.count

        let second = try CrashRecoveryTests.launch(data: data, ports: ports, extra: arguments)
        try await InboxFixtures.waitFor(inbox + "/done/big.csv")
        second.terminate()
        second.waitUntilExit()

        try InboxFixtures.write(rows, to: files.path + "/oracle.csv")
        let oracle = try InboxFixtures.imported(files.path + "/oracle.csv", name: "big.csv", batchScans: 1_000)
        let result = try InboxFixtures.json(inbox + "/done/big.csv.result.json")
        #expect(InboxFixtures.counts(result) == InboxFixtures.counts(oracle.result))
        #expect(result["resumed"] as? Bool == true)
        #expect(try String(contentsOfFile: inbox + "/done/big.csv.rejects.csv", encoding: .utf8) == oracle.rejects)
        let store = try Store(directory: data, create: false, readOnly: true)
        #expect(try InboxFixtures.export(store) == oracle.export)
        #expect(try store.counters().accepted == UInt64(oracle.result.report.accepted))
        // One audit record per batch: those stored before the kill are not written again.
        let audited = try store.auditRecords().filter { $0.channel == "inbox" }
        #expect(before < oracle.result.batches)
        #expect(audited.count == oracle.result.batches)
        #expect(audited.reduce(0) { $0 + $1.accepted } == oracle.result.report.accepted)
        #expect(audited.reduce(0) { $0 + $1.duplicates } == oracle.result.report.duplicates)
    }
}
