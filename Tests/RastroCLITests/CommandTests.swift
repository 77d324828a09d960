import RastroQueries
import ArgumentParser
@testable import RastroCLI
import RastroImport
import RastroStore
import RastroTestSupport
import Testing

@Suite("rastro commands")
struct CommandTests {
    static let rows = [
        "GU1,picked_up,2026-09-01T08:00:00-05:00,MSG-01,BOG-NOR,HH-01,1,,4.7,-74.07",
        "GU1,received,2026-09-01 17:30:00,CLK-01,BOG-NOR,HH-K1,50,,,",
        "GU1,out_for_delivery,2026-09-02T07:00:00-05:00,MSG-01,BOG-NOR,HH-01,2,,4.711,-74.0721",
        "GU1,NOVEDAD,2026-09-02T11:00:00-05:00,MSG-01,BOG-NOR,HH-01,3,CERRADO,4.72,-74.05",
        "GU1,received,2026-09-01 17:30:00,CLK-01,BOG-NOR,HH-K1,50,,,",
        "GU2,delivered,not-a-time,MSG-01,BOG-NOR,HH-01,4,,,",
        "GU3,delivered,2026-09-02T12:00:00-05:00,MSG-01,BOG-NOR,HH-01,3,,,",
    ]

    static func csv(_ rows: [String]) -> String {
        (["tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon"] + rows).joined(separator: "\n") + "\n"
    }

    @Test func importCountsEveryOutcomeAndReportsRejectsWithLineFieldAndReason() async throws {
        let directory = TemporaryDirectory()
        try write(Self.csv(Self.rows), to: directory.path + "/scans.csv")
        let output = try await rastro(
            "import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--rejects", directory.path + "/rejects.csv",
            "--quiet")
        #expect(output.standardOutput.hasPrefix("accepted 4, duplicates 1, rejected 1, conflicts 1\n"))
        #expect(output.standardOutput.contains("7 rows in"))
        let rejects = try read(directory.path + "/rejects.csv").split(separator: "\n").map(String.init)
        #expect(rejects.count == 3)
        #expect(rejects[0] == "file,line,field,reason,record")
        #expect(rejects[1].hasPrefix(directory.path + "/scans.csv,7,scanned_at,'not-a-time' is not a timestamp"))
        #expect(rejects[2].hasPrefix(directory.path + "/scans.csv,8,trackingID".replacingOccurrences(of: "trackingID", with: "tracking_id")))
        #expect(rejects[2].contains("conflict: device HH-01 seq 3 appears twice in this batch with a different tracking_id"))
    }

    @Test func auditVerifyReportsAnIntactChain() async throws {
        let directory = TemporaryDirectory()
        try write(Self.csv(Self.rows), to: directory.path + "/scans.csv")
        _ = try await rastro("import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--quiet")
        _ = try await rastro("token", "create", "--gateway", "gw", "--data", directory.path + "/data")
        let output = try await rastro("audit", "--verify", "--data", directory.path + "/data")
        #expect(output.standardOutput.hasPrefix("audit trail intact: 2 records, head "), "\(output.standardOutput)")
    }

    /// A rejected row that a spreadsheet would run (a formula in its first field) is written to the rejects file as
    /// text: the record cell starts with the `'` guard.
    @Test func aRejectedFormulaIsWrittenAsText() async throws {
        let directory = TemporaryDirectory()
        try write(Self.csv(["=HYPERLINK(\"http://x\";\"open\"),delivered,2026-09-01T10:00:00Z,M,C,D,1,,,"]), to: directory.path + "/scans.csv")
        _ = try await rastro(
            "import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--rejects", directory.path + "/rejects.csv",
            "--quiet")
        let rejects = try read(directory.path + "/rejects.csv").split(separator: "\n").map(String.init)
        #expect(rejects.count == 2)
        #expect(rejects[1].hasSuffix(#","'=HYPERLINK(""http://x"";""open""),delivered,2026-09-01T10:00:00Z,M,C,D,1,,,""#), "\(rejects)")
    }

    /// The parser's priority changes when rows are parsed, never what they become: the same counts at every nice
    /// value, and the command's thread keeps its own priority.
    @Test(arguments: [Int32(0), 10, 19])
    func importCountsDoNotDependOnTheParsersPriority(nice: Int32) async throws {
        let directory = TemporaryDirectory()
        try write(Self.csv(Self.rows), to: directory.path + "/scans.csv")
        let before = ProcessTuning.currentThreadNice()
        let output = try await rastro(
            "import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--quiet", "--parser-nice", "\(nice)")
        #expect(output.standardOutput.hasPrefix("accepted 4, duplicates 1, rejected 1, conflicts 1\n"))
        #expect(ProcessTuning.currentThreadNice() == before)
    }

    @Test(arguments: [OutputFormat.csv, .json, .table])
    func traceShowsTheItemInTimelineOrder(format: OutputFormat) async throws {
        let directory = TemporaryDirectory()
        // Out of order on purpose: the trace is ordered by scanned_at.
        try write(Self.csv(Array(Self.rows[0..<4].reversed())), to: directory.path + "/scans.csv")
        _ = try await rastro("import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--quiet")
        let output = try await rastro("trace", "GU1", "--data", directory.path + "/data", "--format", format.rawValue)
        let text = output.standardOutput
        switch format {
        case .csv:
            let lines = text.split(separator: "\n").map { line in line.split(separator: ",", omittingEmptySubsequences: false).prefix(9).joined(separator: ",") }
            #expect(lines == [
                "scanned_at,event,messenger,work_center,device,seq,reason,lat,lon",
                "2026-09-01T08:00:00.000-05:00,picked_up,MSG-01,BOG-NOR,HH-01,1,,4.7,-74.07",
                "2026-09-01T17:30:00.000-05:00,received,CLK-01,BOG-NOR,HH-K1,50,,,",
                "2026-09-02T07:00:00.000-05:00,out_for_delivery,MSG-01,BOG-NOR,HH-01,2,,4.711,-74.0721",
                "2026-09-02T11:00:00.000-05:00,failed_attempt,MSG-01,BOG-NOR,HH-01,3,CERRADO,4.72,-74.05",
            ])
        case .json:
            #expect(text.hasPrefix("[\n  {\"scanned_at\": \"2026-09-01T08:00:00.000-05:00\", \"event\": \"picked_up\""))
            #expect(text.contains("\"seq\": 50, \"reason\": null, \"lat\": null, \"lon\": null"))
            #expect(text.contains("\"reason\": \"CERRADO\", \"lat\": 4.72, \"lon\": -74.05"))
        case .table:
            let lines = text.split(separator: "\n")
            #expect(lines.count == 6)
            #expect(lines[0].hasPrefix("scanned_at                     event"))
            #expect(lines[2].hasPrefix("2026-09-01T08:00:00.000-05:00  picked_up"))
        }
    }

    @Test func anUnknownItemIsAClearError() async throws {
        let directory = TemporaryDirectory()
        try write(Self.csv([Self.rows[0]]), to: directory.path + "/scans.csv")
        _ = try await rastro("import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--quiet")
        await #expect {
            _ = try await rastro("trace", "NOPE", "--data", directory.path + "/data")
        } throws: { error in
            "\(error)".contains("no scans for tracking id NOPE")
        }
        await #expect {
            _ = try await rastro("trace", "GU1", "--data", directory.path + "/missing")
        } throws: { error in
            "\(error)".contains("no Rastro data directory")
        }
    }

    @Test func aReasonCatalogIsEnforcedOnceConfigured() async throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        _ = try await rastro("init", "--data", data, "--reasons", "standard", "--timezone", "America/Bogota")
        try write(
            Self.csv([
                "GU9,failed_attempt,2026-09-01T10:00:00-05:00,MSG-01,BOG-NOR,HH-01,1,cerrado,,",
                "GU9,failed_attempt,2026-09-01T11:00:00-05:00,MSG-01,BOG-NOR,HH-01,2,TEA_TIME,,",
            ]), to: directory.path + "/scans.csv")
        let output = try await rastro("import", directory.path + "/scans.csv", "--data", data, "--quiet", "--rejects", directory.path + "/r.csv")
        #expect(output.standardOutput.hasPrefix("accepted 1, duplicates 0, rejected 1, conflicts 0"))
        #expect(try read(directory.path + "/r.csv").contains("'TEA_TIME' is not in the reason catalog"))
        let trace = try await rastro("trace", "GU9", "--data", data, "--format", "csv")
        #expect(trace.standardOutput.contains(",CERRADO,"))
        await #expect {
            _ = try await rastro("init", "--data", data, "--timezone", "Europe/Madrid")
        } throws: { error in
            "\(error)".contains("cannot switch to Europe/Madrid")
        }
    }

    @Test func generateIsDeterministicAndImportsCleanly() async throws {
        let first = try await rastro("generate", "--scans", "500", "--seed", "9")
        let second = try await rastro("generate", "--scans", "500", "--seed", "9")
        let other = try await rastro("generate", "--scans", "500", "--seed", "10")
        #expect(first.standardOutput == second.standardOutput)
        #expect(first.standardOutput != other.standardOutput)
        #expect(first.standardError.hasPrefix("generated "))
        #expect(first.standardError.contains("500 scans"))
        let clean = try await rastro("generate", "--scans", "500", "--seed", "9", "--clean")
        #expect(clean.standardOutput.split(separator: "\n").count == 501)
        let directory = TemporaryDirectory()
        try write(clean.standardOutput, to: directory.path + "/clean.csv")
        let imported = try await rastro("import", directory.path + "/clean.csv", "--data", directory.path + "/data", "--quiet")
        #expect(imported.standardOutput.hasPrefix("accepted 500, duplicates 0, rejected 0, conflicts 0"))
    }

    /// `--phases` (shared with `rastrod --phases`) accounts for the commits it made and lists every step.
    @Test func importPhasesListEveryStepOfItsCommits() async throws {
        let directory = TemporaryDirectory()
        try write(Self.csv(Array(Self.rows[0..<4])), to: directory.path + "/scans.csv")
        let output = try await rastro(
            "import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--quiet", "--phases")
        let lines = output.standardError.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("writer time by step over 1 commits (1 trace blocks holding 4 scans rewritten") == true)
        for step in IngestPhases.names {
            #expect(lines.contains { $0.hasPrefix("  \(step): ") && $0.hasSuffix(" ns/row)") }, "no line for \(step)")
        }
    }

    /// The first commit is small, so that the writer starts early: a file of 70,000 scans with batches of 100,000
    /// commits twice (65,536 scans, then the rest), and every scan is stored once.
    @Test func theFirstCommitOfAnImportIsSmall() async throws {
        let directory = TemporaryDirectory()
        let clean = try await rastro("generate", "--scans", "70000", "--seed", "4", "--clean")
        try write(clean.standardOutput, to: directory.path + "/clean.csv")
        let output = try await rastro(
            "import", directory.path + "/clean.csv", "--data", directory.path + "/data", "--quiet", "--phases",
            "--batch-size", "100000")
        #expect(output.standardOutput.hasPrefix("accepted 70000, duplicates 0, rejected 0, conflicts 0"))
        #expect(output.standardError.hasPrefix("writer time by step over 2 commits"))
        #expect(Importer.firstBatchScans == 65_536)
    }

    @Test func infoSummarisesTheStore() async throws {
        let directory = TemporaryDirectory()
        try write(Self.csv(Array(Self.rows[0..<4])), to: directory.path + "/scans.csv")
        _ = try await rastro("import", directory.path + "/scans.csv", "--data", directory.path + "/data", "--quiet")
        let output = try await rastro("info", "--data", directory.path + "/data", "--format", "csv")
        let lines = output.standardOutput.split(separator: "\n")
        #expect(lines.contains("scans,4,"))
        #expect(lines.contains("items,1,"))
        #expect(lines.contains("time_zone,America/Bogota,"))
    }

    @Test func tokensAreShownOnceListedWithoutSecretsAndEveryActionIsAudited() async throws {
        let directory = TemporaryDirectory()
        let data = directory.path + "/data"
        try write(Self.csv(Array(Self.rows[0..<3])), to: directory.path + "/scans.csv")
        _ = try await rastro("import", directory.path + "/scans.csv", "--data", data, "--quiet")
        let created = try await rastro("token", "create", "--device", "HH-01", "--data", data)
        let token = try #require(created.standardOutput.split(separator: " ").last.map { String($0.dropLast()) })
        #expect(token.hasPrefix("rst_") && token.count == 68)
        _ = try await rastro("token", "create", "--analyst", "ana", "--data", data)
        _ = try await rastro("token", "revoke", "1", "--data", data)
        let list = try await rastro("token", "list", "--data", data, "--format", "csv")
        #expect(!list.standardOutput.contains(token))
        let lines = list.standardOutput.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].contains("device") && lines[1].contains("HH-01") && !lines[1].hasSuffix(","))
        #expect(lines[2].contains("analyst") && lines[2].contains("ana") && lines[2].hasSuffix(","))
        let audit = try await rastro("audit", "--data", data, "--format", "csv")
        #expect(!audit.standardOutput.contains(token))
        let actions = audit.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] }
        #expect(actions == ["import", "token_created", "token_created", "token_revoked"])
        #expect(audit.standardOutput.contains(",import,,import," + directory.path + "/scans.csv,3,0,0,0,"))
        await #expect(throws: (any Error).self) { _ = try await rastro("token", "revoke", "9", "--data", data) }
        await #expect(throws: (any Error).self) { _ = try await rastro("token", "create", "--device", "HH 1", "--data", data) }
    }

    @Test(arguments: [
        ["generate", "--scans", "0"], ["import", "x.csv", "--batch-size", "0"], ["generate", "--scans", "5", "--start", "2026-02-30"],
        ["import", "x.csv", "--parser-nice", "20"], ["import", "x.csv", "--parser-nice", "-1"],
    ])
    func badArgumentsAreRejectedBeforeRunning(arguments: [String]) async {
        await #expect(throws: (any Error).self) { _ = try await rastro(arguments) }
    }
}
